package org.jgan.engine.internal.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.Critique;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Side;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.regularizers.internal.InfoGanTerm;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** InfoGAN (Chen et al. 2016): latent code layout, the mutual-information term's value, and its outcome. */
class InfoGanTest {

    private static RunSpec spec(Map<String, String> raw) {
        Map<String, String> all = new HashMap<>(Map.of("architecture.hidden", "32", "batchSize", "64",
                "regularizers", "infogan"));
        all.putAll(raw);
        return RunSpec.parse(all, TestCatalog.create(), "info");
    }

    @Test
    void codesFillTheFirstColumnsOfZAndTheRestIsGaussian() {
        RunSpec s = spec(Map.of("latent", "8", "regularizer.infogan.categorical", "4",
                "regularizer.infogan.continuous", "1"));
        INDArray z = LatentLayout.of(s, 8).draw(11, 4000).castTo(DataType.DOUBLE);
        double[] counts = new double[4];
        for (int r = 0; r < z.rows(); r++) {
            double sum = 0;
            for (int j = 0; j < 4; j++) {
                double v = z.getDouble(r, j);
                assertTrue(v == 0 || v == 1, "one-hot categorical code");
                sum += v;
                counts[j] += v;
            }
            assertEquals(1, sum, 0, "exactly one category per row");
            double c = z.getDouble(r, 4);
            assertTrue(c >= -1 && c < 1, "continuous code in U(-1, 1)");
        }
        for (double c : counts) {
            assertEquals(0.25, c / z.rows(), 0.03, "categories drawn uniformly");
        }
        INDArray cont = z.getColumn(4);
        assertEquals(1.0 / 3, cont.varNumber().doubleValue(), 0.03, "variance of U(-1, 1)");
        for (int j = 5; j < 8; j++) {
            assertEquals(1, z.getColumn(j).stdNumber().doubleValue(), 0.05, "noise column " + j + " is N(0, 1)");
        }
        INDArray cycling = LatentLayout.of(s, 8).drawCycling(11, 10, 3);
        for (int r = 0; r < 10; r++) {
            assertEquals((3 + r) % 4, cycling.getRow(r).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4))
                    .argMax().getInt(0), "sample rows cycle through the categorical code");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LatentLayout.of(s, 5));
        assertTrue(e.getMessage().contains("latent is 5") && e.getMessage().contains("latent > 5"), e.getMessage());
    }

    @Test
    void termIsTheNegativeLogLikelihoodOfTheCodesUnderQ() {
        SameDiff sd = SameDiff.create();
        double[][] features = {{0.5, -1, 2}, {1.5, 0.3, -0.7}};
        double[][] cat = {{0, 1, 0}, {1, 0, 0}};
        double[] cont = {0.4, -0.9};
        Map<String, INDArray> params = new HashMap<>();
        NetworkScope scope = (NetworkScope) java.lang.reflect.Proxy.newProxyInstance(
                NetworkScope.class.getClassLoader(), new Class<?>[] {NetworkScope.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("param")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    String name = (String) args[0];
                    INDArray a = ((Initializer) args[2]).create((long[]) args[3], new SplittableRandom(name.length()))
                            .add(0.1);
                    params.put(name, a);
                    return sd.var(name, a);
                });
        SDVariable logits = sd.constant(Nd4j.zeros(DataType.FLOAT, 2, 1));
        Critique fake = new Critique(logits, sd.placeHolder("features", DataType.FLOAT, -1, 3));
        SDVariable catCode = sd.placeHolder("cat", DataType.FLOAT, -1, 3);
        SDVariable contCode = sd.placeHolder("cont", DataType.FLOAT, -1, 1);
        RegularizationContext context = (RegularizationContext) java.lang.reflect.Proxy.newProxyInstance(
                RegularizationContext.class.getClassLoader(), new Class<?>[] {RegularizationContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "sd" -> sd;
                    case "fakeCritique" -> fake;
                    case "side" -> Side.DISCRIMINATOR;
                    case "scope" -> scope;
                    case "shapeOf" -> new long[] {2, 3};
                    case "code" -> ((String) args[0]).endsWith("categorical") ? catCode : contCode;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        InfoGanTerm term = new InfoGanTerm();
        Options options = Options.resolve("infogan", term.options(), Map.of("categorical", "3", "continuous", "1",
                "lambda", "2", "lambdaContinuous", "0.5", "qHidden", "4"));
        assertEquals(List.of("infogan/categorical", "infogan/continuous0"),
                term.latentCodes(options).stream().map(org.jgan.api.LatentCode::name).toList());
        String termName = term.define(context, options).name();
        double got = sd.outputSingle(Map.of("features", Nd4j.create(features).castTo(DataType.FLOAT),
                "cat", Nd4j.create(cat).castTo(DataType.FLOAT),
                "cont", Nd4j.create(cont, new long[] {2, 1}).castTo(DataType.FLOAT)), termName).getDouble(0);

        double[][] w1 = params.get("q/fc/W").castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] b1 = params.get("q/fc/b").castTo(DataType.DOUBLE).toDoubleVector();
        double[][] w2 = params.get("q/out/W").castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] b2 = params.get("q/out/b").castTo(DataType.DOUBLE).toDoubleVector();
        double catNll = 0;
        double contNll = 0;
        for (int r = 0; r < 2; r++) {
            double[] h = new double[4];
            for (int j = 0; j < 4; j++) {
                double a = b1[j];
                for (int i = 0; i < 3; i++) {
                    a += features[r][i] * w1[i][j];
                }
                h[j] = a > 0 ? a : 0.2 * a;
            }
            double[] out = new double[4];
            for (int j = 0; j < 4; j++) {
                out[j] = b2[j];
                for (int i = 0; i < 4; i++) {
                    out[j] += h[i] * w2[i][j];
                }
            }
            double norm = Math.log(Math.exp(out[0]) + Math.exp(out[1]) + Math.exp(out[2]));
            int hot = cat[r][0] == 1 ? 0 : cat[r][1] == 1 ? 1 : 2;
            catNll += norm - out[hot];
            contNll += 0.5 * Math.pow(cont[r] - out[3], 2) + 0.5 * Math.log(2 * Math.PI);
        }
        double expected = 2 * catNll / 2 + 0.5 * contNll / 2;
        assertEquals(expected, got, 1e-5 * Math.abs(expected));
    }

    @Test
    void qLearnsToRecoverTheCategoricalCodeFromGeneratedSamples() {
        RunSpec s = spec(Map.of("latent", "10", "regularizer.infogan.categorical", "8",
                "regularizer.infogan.continuous", "0", "seed", "3", "lrG", "1e-3", "lrD", "1e-3"));
        GanModel m = new GanModel(s, s.datasetComponent().open(s.dataset().options()));
        Map<String, Double> first = m.discriminatorStep(0, 0);
        // at initialisation Q knows nothing: cross-entropy near ln 8
        assertEquals(Math.log(8), first.get("d_infogan"), 0.5, first.toString());
        double late = 0;
        int iterations = 300;
        for (int it = 1; it < iterations; it++) {
            m.discriminatorStep(it, 0);
            Map<String, Double> g = m.generatorStep(it);
            if (it >= iterations - 20) {
                late += g.get("g_infogan") / 20;
            }
        }
        assertTrue(late < 0.25, "Q's cross-entropy on G's samples after training: " + late
                + " (ln 8 = 2.08 means the code is not recoverable)");
    }
}
