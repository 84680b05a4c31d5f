package org.jgan.mlp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.jgan.api.DataShape;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Minibatch discrimination and virtual batch normalization (Salimans et al. 2016) against their equations. */
class MlpTechniquesTest {

    @Test
    void minibatchFeaturesAreSumsOfExpNegativeL1Distances() {
        MlpNetworksTest.Scope scope = new MlpNetworksTest.Scope();
        int n = 3, a = 2, kernels = 2, dims = 3;
        double[][] f = {{0.5, -1}, {0.2, 0.3}, {-0.7, 0.1}};
        SDVariable fv = scope.sd.constant("f", Nd4j.create(f).castTo(DataType.FLOAT));
        SDVariable out = MinibatchDiscrimination.append(scope, fv, a, kernels, dims);
        INDArray got = scope.sd.outputSingle(Map.of(), out.name());
        double[] t = scope.params.get("minibatch/T").dup().data().asDouble(); // [a, kernels * dims], row-major
        double[][][] m = new double[n][kernels][dims];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < kernels * dims; k++) {
                double s = 0;
                for (int j = 0; j < a; j++) {
                    s += f[i][j] * t[j * kernels * dims + k];
                }
                m[i][k / dims][k % dims] = s;
            }
        }
        assertEquals(a + kernels, got.size(1));
        for (int i = 0; i < n; i++) {
            assertEquals(f[i][0], got.getDouble(i, 0), 1e-6);
            for (int b = 0; b < kernels; b++) {
                double o = 0;
                for (int j = 0; j < n; j++) {
                    double l1 = 0;
                    for (int c = 0; c < dims; c++) {
                        l1 += Math.abs(m[i][b][c] - m[j][b][c]);
                    }
                    o += Math.exp(-l1);
                }
                assertEquals(o, got.getDouble(i, a + b), 1e-5, "o(x_" + i + ")_" + b);
            }
        }
        // a collapsed batch: every example is identical, so every o equals the batch size
        SDVariable same = scope.sd.constant("same", Nd4j.create(new double[][] {{1, 2}, {1, 2}, {1, 2}, {1, 2}})
                .castTo(DataType.FLOAT));
        INDArray collapsed = scope.sd.outputSingle(Map.of(), MinibatchDiscrimination.append(scope, same, a, kernels,
                dims).name());
        assertEquals(4.0, collapsed.getDouble(0, a), 1e-5);
        assertEquals(4.0, collapsed.getDouble(3, a + 1), 1e-5);
    }

    @Test
    void virtualBatchNormMatchesItsEquationAndIgnoresTheRestOfTheMinibatch() {
        MlpNetworksTest.Scope scope = new MlpNetworksTest.Scope();
        VirtualBatchNorm vbn = new VirtualBatchNorm(scope, 4, 2);
        INDArray ref = Nd4j.create(new double[][] {{1}, {2}, {4}, {5}}).castTo(DataType.FLOAT);
        SDVariable aRef = scope.sd.constant("aref", ref);
        SDVariable a = scope.sd.placeHolder("a", DataType.FLOAT, -1, 1);
        SDVariable out = vbn.normalize("v", a, aRef, 1);
        SDVariable refOut = vbn.normalizeReference("v", aRef, 1);
        // mu_ref = 3, q_ref = (1 + 4 + 16 + 25) / 4 = 11.5; for a = 6, c = 1/5: mu = 1.2 + 2.4 = 3.6,
        // q = 7.2 + 9.2 = 16.4, var = 16.4 - 12.96 = 3.44, out = 2.4 / sqrt(3.44 + 1e-5) = 1.293997
        INDArray got = scope.sd.outputSingle(Map.of("a", Nd4j.create(new double[][] {{6}, {-100}})
                .castTo(DataType.FLOAT)), out.name());
        assertEquals(2.4 / Math.sqrt(3.44 + 1e-5), got.getDouble(0, 0), 1e-5);
        INDArray alone = scope.sd.outputSingle(Map.of("a", Nd4j.create(new double[][] {{6}}).castTo(DataType.FLOAT)),
                out.name());
        assertEquals(got.getDouble(0, 0), alone.getDouble(0, 0), 1e-7, "an example's output depends on the others");
        // the reference batch is normalized with its own statistics: var = 11.5 - 9 = 2.5
        INDArray r = scope.sd.outputSingle(Map.of(), refOut.name());
        assertEquals(-2 / Math.sqrt(2.5 + 1e-5), r.getDouble(0, 0), 1e-5);
    }

    @Test
    void generatorWithVbnBuildsAndRefusesLabels() {
        Networks nets = new MlpArchitecture().create(new DataShape(2), 4, 0, Options.resolve("architecture",
                MlpArchitecture.OPTIONS, Map.of("gNorm", "vbn", "vbnReference", "8", "hidden", "16")));
        MlpNetworksTest.Scope scope = new MlpNetworksTest.Scope();
        SDVariable z = scope.sd.placeHolder("z", DataType.FLOAT, -1, 4);
        INDArray zs = Nd4j.rand(DataType.FLOAT, 5, 4);
        SDVariable g = nets.generator(scope, z, null);
        INDArray batch = scope.sd.outputSingle(Map.of("z", zs), g.name());
        INDArray first = scope.sd.outputSingle(Map.of("z", zs.getRows(0)), g.name());
        assertEquals(0, batch.getRow(0).sub(first.getRow(0)).norm2Number().doubleValue(), 1e-5);
        Networks conditional = new MlpArchitecture().create(new DataShape(2), 4, 3, Options.resolve("architecture",
                MlpArchitecture.OPTIONS, Map.of("gNorm", "vbn")));
        MlpNetworksTest.Scope s2 = new MlpNetworksTest.Scope();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conditional.generator(s2,
                s2.sd.placeHolder("z", DataType.FLOAT, -1, 4), s2.sd.placeHolder("l", DataType.FLOAT, -1, 3)));
        assertEquals(true, e.getMessage().contains("gNorm=vbn"));
    }
}
