package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.InputTransform;
import org.jgan.api.NetworkScope;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Side;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.regularizers.internal.FeatureMatching;
import org.jgan.regularizers.internal.InstanceNoise;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spectral normalization, orthogonal regularization, feature matching, historical averaging, instance noise and
 * the generator EMA, each against its equation.
 */
class TrainingTechniquesTest {

    private static GanModel model(Map<String, String> raw) {
        Map<String, String> all = new HashMap<>(Map.of("architecture.hidden", "16", "batchSize", "32"));
        all.putAll(raw);
        RunSpec spec = RunSpec.parse(all, TestCatalog.create(), "tech");
        return new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
    }

    private static Map<String, INDArray> arrays(GanModel m, String prefix) {
        Map<String, INDArray> out = new HashMap<>();
        m.checkpoint(0).arrays().forEach((n, a) -> {
            if (n.startsWith(prefix)) {
                out.put(n.substring(prefix.length()), a);
            }
        });
        return out;
    }

    private static double[][] matrix(INDArray a) {
        INDArray m = a.rank() == 2 ? a : a.reshape(-1, a.size(a.rank() - 1));
        return m.castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    /** Largest singular value by power iteration on W^T W in double precision. */
    static double largestSingularValue(double[][] w) {
        int cols = w[0].length;
        double[] v = new double[cols];
        java.util.Arrays.fill(v, 1.0 / Math.sqrt(cols));
        v[0] += 0.01;
        double sigma = 0;
        for (int it = 0; it < 5000; it++) {
            double[] u = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                for (int j = 0; j < cols; j++) {
                    u[i] += w[i][j] * v[j];
                }
            }
            double[] next = new double[cols];
            for (int j = 0; j < cols; j++) {
                for (int i = 0; i < w.length; i++) {
                    next[j] += w[i][j] * u[i];
                }
            }
            double norm = Math.sqrt(java.util.Arrays.stream(next).map(x -> x * x).sum());
            sigma = Math.sqrt(norm);
            for (int j = 0; j < cols; j++) {
                v[j] = next[j] / norm;
            }
        }
        return sigma;
    }

    /** sigma = u'^T W v with v = normalize(u W), u' = normalize(v W^T): what the graph divides by next step. */
    static double estimatedSigma(double[][] w, double[] u) {
        int cols = w[0].length;
        double[] v = new double[cols];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < w.length; i++) {
                v[j] += u[i] * w[i][j];
            }
        }
        double nv = Math.sqrt(java.util.Arrays.stream(v).map(x -> x * x).sum());
        double[] wv = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            for (int j = 0; j < cols; j++) {
                wv[i] += w[i][j] * v[j] / nv;
            }
        }
        return Math.sqrt(java.util.Arrays.stream(wv).map(x -> x * x).sum());
    }

    @Test
    void spectralNormalizationBringsEveryWeightsLargestSingularValueWithinOnePercentOfOne() {
        // u starts converged on the initial weights; training then moves them. With the paper's single power
        // iteration per step, a layer whose top singular values are nearly equal lags (d/fc1/W: 5.9% after 150
        // steps, measured); three per step keep every weight within 0.2%.
        GanModel m = model(Map.of("regularizers", "spectral-norm", "regularizer.spectral-norm.networks", "both",
                "regularizer.spectral-norm.powerIterations", "3", "lrD", "1e-4", "lrG", "1e-4"));
        for (int it = 0; it < 150; it++) {
            m.discriminatorStep(it, 0);
            m.generatorStep(it);
        }
        Map<String, INDArray> params = arrays(m, "param/");
        Map<String, INDArray> buffers = arrays(m, "buffer/");
        int checked = 0;
        double farFromOne = 0;
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            if (!e.getKey().endsWith("/W")) {
                continue;
            }
            String side = e.getKey().substring(0, 2);
            INDArray u = buffers.get(side + "buffer/" + e.getKey().substring(2) + "/sn_u");
            double[][] w = matrix(e.getValue());
            double sigmaTrue = largestSingularValue(w);
            double sigmaUsed = estimatedSigma(w, u.castTo(DataType.DOUBLE).toDoubleVector());
            double normalized = sigmaTrue / sigmaUsed;
            System.out.printf("%s: sigma(W) %.4f, sigma(W / sigma_estimate) %.5f%n", e.getKey(), sigmaTrue, normalized);
            assertEquals(1.0, normalized, 0.01, e.getKey() + ": largest singular value of W / sigma");
            farFromOne = Math.max(farFromOne, Math.abs(sigmaTrue - 1));
            checked++;
        }
        assertEquals(6, checked, "three weights in each of G and D");
        assertTrue(farFromOne > 0.1, "the raw weights are not normalized themselves: " + farFromOne);
    }

    @Test
    void orthogonalRegularizationIsTheOffDiagonalGramNormOfEveryWeight() {
        GanModel m = model(Map.of("regularizers", "orthogonal", "regularizer.orthogonal.beta", "0.5"));
        double expected = 0;
        for (Map.Entry<String, INDArray> e : arrays(m, "param/").entrySet()) {
            if (!e.getKey().startsWith("g/") || !e.getKey().endsWith("/W")) {
                continue;
            }
            double[][] w = matrix(e.getValue());
            for (int a = 0; a < w[0].length; a++) {
                for (int b = 0; b < w[0].length; b++) {
                    if (a != b) {
                        double dot = 0;
                        for (double[] row : w) {
                            dot += row[a] * row[b];
                        }
                        expected += dot * dot;
                    }
                }
            }
        }
        m.discriminatorStep(0, 0);
        Map<String, Double> g = m.generatorStep(0);
        assertEquals(0.5 * expected, g.get("g_orthogonal"), 1e-4 * expected);
        assertEquals(g.get("g_adv") + g.get("g_orthogonal"), g.get("g_loss"), 1e-4);
    }

    /** A context whose critiques have fixed features. */
    private static RegularizationContext withFeatures(SameDiff sd, double[][] real, double[][] fake) {
        SDVariable logits = sd.constant(Nd4j.zeros(DataType.FLOAT, real.length, 1));
        Critique r = new Critique(logits, sd.constant(Nd4j.create(real).castTo(DataType.FLOAT)));
        Critique f = new Critique(logits, sd.constant(Nd4j.create(fake).castTo(DataType.FLOAT)));
        return (RegularizationContext) java.lang.reflect.Proxy.newProxyInstance(
                RegularizationContext.class.getClassLoader(), new Class<?>[] {RegularizationContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "sd" -> sd;
                    case "realCritique" -> r;
                    case "fakeCritique" -> f;
                    case "side" -> Side.GENERATOR;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void featureMatchingIsTheSquaredDistanceOfMeanFeaturesAndCanBeGsWholeObjective() {
        SameDiff sd = SameDiff.create();
        // E f(x) = (2, 3), E f(G(z)) = (1, 1): |(1, 2)|^2 = 5
        SDVariable t = new FeatureMatching().define(withFeatures(sd, new double[][] {{1, 2}, {3, 4}},
                new double[][] {{0, 0}, {2, 2}}), Options.none("fm"));
        assertEquals(5.0, sd.outputSingle(Map.of(), t.name()).getDouble(0), 1e-6);

        GanModel alone = model(Map.of("regularizers", "feature-matching", "gAdvWeight", "0"));
        alone.discriminatorStep(0, 0);
        Map<String, Double> g = alone.generatorStep(0);
        assertTrue(g.get("g_feature-matching") > 0, g.toString());
        assertEquals(g.get("g_feature-matching"), g.get("g_loss"), 1e-6, "G's objective is feature matching alone");
        GanModel added = model(Map.of("regularizers", "feature-matching"));
        added.discriminatorStep(0, 0);
        Map<String, Double> g2 = added.generatorStep(0);
        assertEquals(g2.get("g_adv") + g2.get("g_feature-matching"), g2.get("g_loss"), 1e-5);
    }

    @Test
    void historicalAveragingPenalisesTheDistanceToTheMeanOfPastParameters() {
        GanModel m = model(Map.of("regularizers", "historical-averaging",
                "regularizer.historical-averaging.players", "discriminator", "lrD", "1e-2"));
        List<Map<String, INDArray>> past = new ArrayList<>();
        for (int it = 0; it < 4; it++) {
            Map<String, INDArray> now = new HashMap<>();
            arrays(m, "param/").forEach((n, a) -> {
                if (n.startsWith("d/")) {
                    now.put(n, a);
                }
            });
            double expected = 0;
            if (!past.isEmpty()) {
                for (Map.Entry<String, INDArray> e : now.entrySet()) {
                    INDArray mean = Nd4j.zeros(DataType.DOUBLE, e.getValue().shape());
                    for (Map<String, INDArray> p : past) {
                        mean.addi(p.get(e.getKey()).castTo(DataType.DOUBLE));
                    }
                    mean.divi(past.size());
                    double d = e.getValue().castTo(DataType.DOUBLE).sub(mean).norm2Number().doubleValue();
                    expected += d * d;
                }
            }
            Map<String, Double> d = m.discriminatorStep(it, 0);
            Map<String, Double> g = m.generatorStep(it);
            assertEquals(expected, d.get("d_historical-averaging"), 1e-5 + 1e-3 * expected, "step " + it);
            assertTrue(!g.containsKey("g_historical-averaging"), "players=discriminator");
            if (it > 0) {
                assertTrue(expected > 0);
            }
            past.add(now);
        }
        GanModel both = model(Map.of("regularizers", "historical-averaging"));
        both.discriminatorStep(0, 0);
        assertTrue(both.generatorStep(0).containsKey("g_historical-averaging"), "players=both: G's cost too");
    }

    @Test
    void instanceNoiseRepeatsEachPointNsrTimesWithItsOwnNoise() {
        SameDiff sd = SameDiff.create();
        List<String> noises = new ArrayList<>();
        InputTransform.InputContext ctx = new InputTransform.InputContext() {
            public SameDiff sd() {
                return sd;
            }

            public int batchSize() {
                return 4;
            }

            public DataShape shape() {
                return new DataShape(1);
            }

            public SDVariable noise(String name, long... shape) {
                noises.add(name);
                return sd.placeHolder(name, DataType.FLOAT, shape);
            }

            public SDVariable uniform(String name, long... shape) {
                throw new UnsupportedOperationException("instance noise draws normal noise only");
            }

            public SDVariable buffer(String name, org.jgan.api.Initializer init, long... shape) {
                throw new UnsupportedOperationException("instance noise keeps no state");
            }
        };
        InstanceNoise noise = new InstanceNoise();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 1);
        SDVariable out = noise.apply(ctx, x, true, Options.resolve("t", noise.options(),
                Map.of("sigma", "0.5", "nsr", "2")));
        INDArray got = sd.outputSingle(Map.of("x", Nd4j.create(new double[][] {{10}, {20}, {30}, {40}})
                .castTo(DataType.FLOAT), noises.get(0), Nd4j.create(new double[][] {{1}, {-1}, {2}, {4}})
                .castTo(DataType.FLOAT)), out.name());
        // rows 10, 10, 20, 20 plus 0.5 * (1, -1, 2, 4)
        assertEquals(10.5, got.getDouble(0, 0), 1e-6);
        assertEquals(9.5, got.getDouble(1, 0), 1e-6);
        assertEquals(21.0, got.getDouble(2, 0), 1e-6);
        assertEquals(22.0, got.getDouble(3, 0), 1e-6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> noise.apply(ctx, x, true,
                Options.resolve("t", noise.options(), Map.of("nsr", "3"))));
        assertTrue(e.getMessage().contains("nsr 3"), e.getMessage());

        // in a run: zero noise at NSR 1 changes nothing; noise changes what D sees
        Map<String, Double> plain = model(Map.of()).discriminatorStep(0, 0);
        Map<String, Double> zero = model(Map.of("regularizers", "instance-noise",
                "regularizer.instance-noise.sigma", "0")).discriminatorStep(0, 0);
        Map<String, Double> noisy = model(Map.of("regularizers", "instance-noise",
                "regularizer.instance-noise.sigma", "1", "regularizer.instance-noise.nsr", "4")).discriminatorStep(0, 0);
        assertEquals(plain.get("d_adv"), zero.get("d_adv"), 1e-7);
        assertNotEquals(plain.get("d_adv"), noisy.get("d_adv"), 1e-4);
    }

    @Test
    void instanceNoiseWithSeveralDrawsPerPointTrainsBothPlayersForIterations() {
        // the generator step backpropagates through the repetition of points (Roth et al. 2017, section 5.4, NSR 8)
        GanModel m = model(Map.of("regularizers", "instance-noise", "regularizer.instance-noise.sigma", "0.3",
                "regularizer.instance-noise.nsr", "8"));
        for (int it = 0; it < 3; it++) {
            Map<String, Double> d = m.discriminatorStep(it, 0);
            Map<String, Double> g = m.generatorStep(it);
            assertTrue(Double.isFinite(d.get("d_loss")) && Double.isFinite(g.get("g_loss")), d + " " + g);
        }
        Map<String, INDArray> before = arrays(m, "param/g/");
        before.replaceAll((n, a) -> a.dup());
        m.generatorStep(3);
        Map<String, INDArray> after = arrays(m, "param/g/");
        assertTrue(before.entrySet().stream().anyMatch(e -> !e.getValue().equals(after.get(e.getKey()))),
                "the generator step changed G's weights");
    }

    @Test
    void generatorEmaAveragesWeightsIsUsedForSamplesAndIsCheckpointed() {
        Map<String, String> raw = Map.of("ema", "0.9", "lrG", "1e-2");
        GanModel m = model(raw);
        GanModel plain = model(Map.of("lrG", "1e-2"));
        assertEquals(0, m.sample(8, 5).sub(plain.sample(8, 5)).norm2Number().doubleValue(), 1e-6);
        Map<String, INDArray> expected = new HashMap<>();
        arrays(m, "param/g/").forEach((n, a) -> expected.put(n, a.castTo(DataType.DOUBLE)));
        for (int it = 0; it < 3; it++) {
            m.discriminatorStep(it, 0);
            m.generatorStep(it);
            plain.discriminatorStep(it, 0);
            plain.generatorStep(it);
            arrays(m, "param/g/").forEach((n, a) -> expected.get(n).muli(0.9).addi(a.castTo(DataType.DOUBLE).mul(0.1)));
        }
        Map<String, INDArray> ema = arrays(m, "ema/g/");
        assertEquals(expected.keySet(), ema.keySet());
        expected.forEach((n, e) -> assertEquals(0, e.sub(ema.get(n).castTo(DataType.DOUBLE)).norm2Number()
                .doubleValue(), 1e-5, n));
        INDArray emaSamples = m.sample(8, 5);
        assertTrue(emaSamples.sub(plain.sample(8, 5)).norm2Number().doubleValue() > 1e-4,
                "samples come from the averaged weights");
        GanModel restored = model(raw);
        restored.restore(m.checkpoint(3));
        assertEquals(0, restored.sample(8, 5).sub(emaSamples).norm2Number().doubleValue(), 1e-6);
    }

    @Test
    void adasProbabilityIsADiscriminatorBufferThatItsStepsMoveAndCheckpointsKeep() {
        Map<String, String> raw = Map.of("regularizers", "diffaugment,ada", "regularizer.diffaugment.adaptive", "true",
                "regularizer.ada.kimg", "0.128", "dataset", "test-images", "dataset.size", "8", "dataset.channels", "1",
                "batchSize", "32");
        try (GanModel m = model(raw)) {
            assertEquals(0, arrays(m, "buffer/").get("d/buffer/ada/p").getDouble(0), 0, "p starts at 0");
            m.discriminatorStep(0, 0);
            double p1 = arrays(m, "buffer/").get("d/buffer/ada/p").getDouble(0);
            // a step of 32 / 128 = 0.25 up, or down and clipped at 0
            assertTrue(p1 == 0 || Math.abs(p1 - 0.25) < 1e-6, "p after one D step: " + p1);
            m.generatorStep(0);
            assertEquals(p1, arrays(m, "buffer/").get("d/buffer/ada/p").getDouble(0), 0, "G's steps leave p alone");
            for (int it = 1; it < 6; it++) {
                m.discriminatorStep(it, 0);
            }
            double p = arrays(m, "buffer/").get("d/buffer/ada/p").getDouble(0);
            assertEquals(0, Math.abs(p * 4 - Math.rint(p * 4)), 1e-5, "p moves in steps of 0.25: " + p);
            try (GanModel restored = model(raw)) {
                restored.restore(m.checkpoint(6));
                assertEquals(p, arrays(restored, "buffer/").get("d/buffer/ada/p").getDouble(0), 0);
            }
        }
    }

    @Test
    void leCamAveragesAreDiscriminatorBuffersUpdatedAfterEachOfItsSteps() {
        try (GanModel m = model(Map.of("regularizers", "lecam", "regularizer.lecam.emaDecay", "0.9"))) {
            Map<String, Double> d = m.discriminatorStep(0, 0);
            assertTrue(d.containsKey("d_lecam") && d.get("d_lecam") > 0, d.toString());
            Map<String, INDArray> buffers = arrays(m, "buffer/");
            INDArray weight = buffers.get("d/buffer/lecam/weight");
            assertTrue(weight != null, "buffers " + buffers.keySet());
            // the debiasing weight 1 - decay^t after t discriminator steps; G's steps leave it alone
            assertEquals(0.1, weight.getDouble(0), 1e-6);
            double afterOne = buffers.get("d/buffer/lecam/real").getDouble(0);
            m.generatorStep(0);
            assertEquals(0.1, arrays(m, "buffer/").get("d/buffer/lecam/weight").getDouble(0), 1e-6);
            m.discriminatorStep(1, 0);
            buffers = arrays(m, "buffer/");
            assertEquals(0.19, buffers.get("d/buffer/lecam/weight").getDouble(0), 1e-6);
            assertNotEquals(0.9 * afterOne, buffers.get("d/buffer/lecam/real").getDouble(0), "a new batch mean added");
        }
    }
}
