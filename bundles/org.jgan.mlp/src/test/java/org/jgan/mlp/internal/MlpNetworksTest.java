package org.jgan.mlp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.api.Side;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The MLP computes what its equations say, for every batch size (a regression test for xw_plus_b). */
class MlpNetworksTest {

    /** A scope that creates parameters in one graph, as the engine does. */
    static final class Scope implements NetworkScope {
        final SameDiff sd = SameDiff.create();
        final Map<String, INDArray> params = new HashMap<>();

        @Override
        public SameDiff sd() {
            return sd;
        }

        @Override
        public Side network() {
            return Side.GENERATOR;
        }

        @Override
        public boolean training() {
            return true;
        }

        @Override
        public SDVariable param(String name, ParamKind kind, Initializer init, long... shape) {
            if (sd.hasVariable(name)) {
                return sd.getVariable(name);
            }
            INDArray a = init.create(shape, new SplittableRandom(name.hashCode()));
            params.put(name, a);
            return sd.var(name, a);
        }

        @Override
        public Map<String, SDVariable> parameters(ParamKind kind) {
            Map<String, SDVariable> out = new HashMap<>();
            params.keySet().forEach(n -> out.put(n, sd.getVariable(n)));
            return out;
        }

        @Override
        public SDVariable buffer(String name, Initializer init, long... shape) {
            return param("buffer/" + name, ParamKind.OTHER, init, shape);
        }

        @Override
        public void updateBuffer(SDVariable buffer, SDVariable newValue) {
            updates.put(buffer.name(), newValue);
        }

        final Map<String, SDVariable> updates = new HashMap<>();
    }

    @Test
    void generatorMatchesTheHandWrittenForwardPassAtSeveralBatchSizes() {
        Networks nets = new MlpArchitecture().create(new DataShape(2), 16, 0,
                Options.resolve("architecture", MlpArchitecture.OPTIONS, Map.of()));
        Scope scope = new Scope();
        SDVariable z = scope.sd.placeHolder("z", DataType.FLOAT, -1, 16);
        SDVariable out = nets.generator(scope, z, null);
        for (int n : new int[] {1, 3, 64, 3}) {
            INDArray zv = Nd4j.rand(DataType.FLOAT, n, 16).subi(0.5);
            INDArray h = Transforms.relu(zv.mmul(scope.params.get("fc0/W")).addRowVector(scope.params.get("fc0/b")));
            h = Transforms.relu(h.mmul(scope.params.get("fc1/W")).addRowVector(scope.params.get("fc1/b")));
            INDArray expected = h.mmul(scope.params.get("out/W")).addRowVector(scope.params.get("out/b"));
            INDArray got = scope.sd.outputSingle(Map.of("z", zv), out.name());
            assertEquals(0, got.sub(expected).norm2Number().doubleValue(), 1e-4, "batch " + n);
        }
    }

    @Test
    void discriminatorReturnsOneLogitPerSampleAndItsFeatures() {
        Networks nets = new MlpArchitecture().create(new DataShape(1, 4, 4), 8, 0,
                Options.resolve("architecture", MlpArchitecture.OPTIONS, Map.of("hidden", "32", "activation", "tanh")));
        Scope scope = new Scope();
        SDVariable x = scope.sd.placeHolder("x", DataType.FLOAT, -1, 1, 4, 4);
        Critique c = nets.discriminator(scope, x, null);
        Map<String, INDArray> out = scope.sd.output(Map.of("x", Nd4j.rand(DataType.FLOAT, 5, 1, 4, 4)),
                c.logits().name(), c.features().name());
        assertArrayEquals(new long[] {5, 1}, out.get(c.logits().name()).shape());
        assertArrayEquals(new long[] {5, 32}, out.get(c.features().name()).shape());
        Scope gScope = new Scope();
        SDVariable z = gScope.sd.placeHolder("z", DataType.FLOAT, -1, 8);
        INDArray g = gScope.sd.outputSingle(Map.of("z", Nd4j.rand(DataType.FLOAT, 5, 8)),
                nets.generator(gScope, z, null).name());
        assertArrayEquals(new long[] {5, 1, 4, 4}, g.shape());
    }

    @Test
    void batchNormalizedGeneratorMatchesTheHandWrittenForwardPass() {
        Networks nets = new MlpArchitecture().create(new DataShape(2), 3, 0,
                Options.resolve("architecture", MlpArchitecture.OPTIONS,
                        Map.of("gHidden", "6", "dHidden", "5", "gLayers", "2", "gNorm", "bn")));
        Scope scope = new Scope();
        SDVariable z = scope.sd.placeHolder("z", DataType.FLOAT, -1, 3);
        SDVariable out = nets.generator(scope, z, null);
        // PacGAN's generator: no bias before the normalization, the output layer has one
        assertFalse(scope.params.containsKey("fc0/b"));
        assertTrue(scope.params.containsKey("out/b"));
        scope.params.get("bn0/gamma").assign(Nd4j.createFromArray(0.5f, 1, 2, 1, 1, 3));
        scope.params.get("bn1/beta").assign(Nd4j.createFromArray(0.1f, -0.2f, 0, 0.3f, 0, 1));
        double[][] zv = {{0.3, -1.2, 0.7}, {1.1, 0.4, -0.5}, {-0.8, 0.9, 0.2}, {0.05, -0.3, 1.4}};
        double[][] h = zv;
        for (int layer = 0; layer < 2; layer++) {
            double[][] a = times(h, matrix(scope.params.get("fc" + layer + "/W")));
            double[] gamma = scope.params.get("bn" + layer + "/gamma").toDoubleVector();
            double[] beta = scope.params.get("bn" + layer + "/beta").toDoubleVector();
            for (int j = 0; j < a[0].length; j++) {
                double mean = 0;
                double var = 0;
                for (double[] row : a) {
                    mean += row[j] / a.length;
                }
                for (double[] row : a) {
                    var += (row[j] - mean) * (row[j] - mean) / a.length;
                }
                for (double[] row : a) {
                    row[j] = Math.max(0, gamma[j] * (row[j] - mean) / Math.sqrt(var + 1e-5) + beta[j]);
                }
            }
            h = a;
        }
        double[][] expected = times(h, matrix(scope.params.get("out/W")));
        INDArray got = scope.sd.outputSingle(Map.of("z", Nd4j.createFromArray(zv).castTo(DataType.FLOAT)), out.name());
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < 2; j++) {
                assertEquals(expected[i][j] + scope.params.get("out/b").getDouble(j), got.getDouble(i, j), 1e-4);
            }
        }
        assertEquals(4, scope.updates.size(), "running mean and variance of both layers");
    }

    @Test
    void maxoutDiscriminatorTakesTheLargestPieceOfEachUnit() {
        Networks nets = new MlpArchitecture().create(new DataShape(2), 3, 0,
                Options.resolve("architecture", MlpArchitecture.OPTIONS,
                        Map.of("dHidden", "4", "dLayers", "2", "dMaxout", "3", "init", "normal", "initStd", "0.7")));
        Scope scope = new Scope();
        SDVariable x = scope.sd.placeHolder("x", DataType.FLOAT, -1, 2);
        Critique c = nets.discriminator(scope, x, null);
        assertArrayEquals(new long[] {2, 12}, scope.params.get("fc0/W").shape());
        assertArrayEquals(new long[] {4, 12}, scope.params.get("fc1/W").shape());
        scope.params.get("fc0/b").assign(Nd4j.linspace(-1, 1, 12, DataType.FLOAT));
        double[][] xv = {{0.3, -1.2}, {1.1, 0.4}, {-0.8, 0.9}};
        double[][] h = xv;
        for (int layer = 0; layer < 2; layer++) {
            double[][] p = times(h, matrix(scope.params.get("fc" + layer + "/W")));
            double[] b = scope.params.get("fc" + layer + "/b").toDoubleVector();
            double[][] m = new double[p.length][4];
            for (int i = 0; i < p.length; i++) {
                for (int u = 0; u < 4; u++) {
                    m[i][u] = Double.NEGATIVE_INFINITY;
                    for (int piece = 0; piece < 3; piece++) {
                        m[i][u] = Math.max(m[i][u], p[i][piece * 4 + u] + b[piece * 4 + u]);
                    }
                }
            }
            h = m;
        }
        double[][] expected = times(h, matrix(scope.params.get("out/W")));
        INDArray got = scope.sd.outputSingle(Map.of("x", Nd4j.createFromArray(xv).castTo(DataType.FLOAT)),
                c.logits().name());
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[i][0] + scope.params.get("out/b").getDouble(0), got.getDouble(i, 0), 1e-4);
        }
    }

    @Test
    void oneMaxoutPieceIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MlpArchitecture().create(
                new DataShape(2), 3, 0, Options.resolve("architecture", MlpArchitecture.OPTIONS,
                        Map.of("dMaxout", "1"))));
        assertEquals("architecture option 'dMaxout' is 1; expected 0 (off) or at least 2 pieces", e.getMessage());
    }

    private static double[][] matrix(INDArray a) {
        return a.castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    private static double[][] times(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b[0].length; j++) {
                for (int k = 0; k < b.length; k++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }
}
