package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.api.Side;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.graph.Seeds;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A run of a {@link org.jgan.api.Model} ({@code model=vae}): one joint update of both networks per iteration on the
 * model's objective, against a float64 implementation of the VAE's negative ELBO on the MLP networks written out here
 * (not the engine's graph), with its gradient by central differences.
 */
class ModelRunTest {

    private static final int BATCH = 6;
    private static final int LATENT = 2;
    private static final int HIDDEN = 5;

    private static RunSpec spec(String... kv) {
        Map<String, String> raw = new HashMap<>(Map.of("model", "vae", "batchSize", String.valueOf(BATCH),
                "latent", String.valueOf(LATENT), "metrics", "none", "architecture.hidden", String.valueOf(HIDDEN),
                "lrG", "1e-3", "lrD", "1e-3"));
        for (int i = 0; i < kv.length; i += 2) {
            raw.put(kv[i], kv[i + 1]);
        }
        return RunSpec.parse(raw, TestCatalog.create(), "vae");
    }

    private static GanModel model(RunSpec spec) {
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        return new GanModel(spec, data);
    }

    /** The step's inputs as the engine draws them: data batch and reparametrization noise of (iteration, stream). */
    private static double[][][] inputs(RunSpec spec, long iteration) {
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        long seed = spec.settings().seed();
        long stream = Schedule.GENERATOR_STREAM;
        double[][] x = data.sample(BATCH, Seeds.mix(seed, Seeds.DATA, iteration, stream)).data()
                .castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] eps = Players.randomInput(new PlayerGraph.Noise("eps", new long[] {-1, LATENT}, false),
                Seeds.mix(seed, Seeds.NOISE, iteration, stream, 0), BATCH).castTo(DataType.DOUBLE).toDoubleMatrix();
        return new double[][][] {x, eps};
    }

    /** Parameters by name as float64 copies. */
    private static Map<String, double[][]> copy(Map<String, INDArray> params) {
        Map<String, double[][]> out = new HashMap<>();
        params.forEach((n, a) -> out.put(n, a.castTo(DataType.DOUBLE).reshape(a.rank() == 1 ? new long[] {1, a.length()}
                : new long[] {a.size(0), a.length() / a.size(0)}).toDoubleMatrix()));
        return out;
    }

    private static double[] layer(Map<String, double[][]> p, String name, double[] h, boolean relu) {
        double[][] w = p.get(name + "/W");
        double[] b = p.get(name + "/b")[0];
        double[] out = new double[b.length];
        for (int j = 0; j < b.length; j++) {
            out[j] = b[j];
            for (int i = 0; i < h.length; i++) {
                out[j] += h[i] * w[i][j];
            }
            out[j] = relu ? Math.max(0, out[j]) : out[j];
        }
        return out;
    }

    /**
     * The negative ELBO of Kingma and Welling 2014 (their eq. 10 with appendix B's KL), Gaussian decoder with the
     * learned scalar sigma, on the MLP: encoder = D's two ReLU layers and the linear mean / log-variance head, decoder
     * = G's two ReLU layers and linear output; batch mean. Index 0: the loss, 1: the KL, 2: the NLL.
     */
    private static double[] negativeElbo(Map<String, double[][]> p, double[][] x, double[][] eps, double beta) {
        double kl = 0;
        double nll = 0;
        double logSigma = p.get("g/vae/log_sigma")[0][0];
        for (int n = 0; n < x.length; n++) {
            double[] h = layer(p, "d/fc1", layer(p, "d/fc0", x[n], true), true);
            double[] mu = layer(p, "d/vae/mean", h, false);
            double[] logVar = layer(p, "d/vae/log_variance", h, false);
            double[] z = new double[LATENT];
            for (int j = 0; j < LATENT; j++) {
                z[j] = mu[j] + Math.exp(0.5 * logVar[j]) * eps[n][j];
                kl += 0.5 * (mu[j] * mu[j] + Math.exp(logVar[j]) - 1 - logVar[j]);
            }
            double[] g = layer(p, "g/out", layer(p, "g/fc1", layer(p, "g/fc0", z, true), true), false);
            for (int d = 0; d < g.length; d++) {
                double r = x[n][d] - g[d];
                nll += r * r / (2 * Math.exp(2 * logSigma)) + logSigma + 0.5 * Math.log(2 * Math.PI);
            }
        }
        return new double[] {(nll + beta * kl) / x.length, kl / x.length, nll / x.length};
    }

    @Test
    void anIterationIsOneJointUpdateOfBothNetworksOnTheNegativeElbo() {
        RunSpec spec = spec("model.beta", "0.7");
        try (GanModel m = model(spec)) {
            Schedule.Phase phase = m.schedule().phases().get(0);
            assertEquals(1, m.schedule().phases().size());
            assertTrue(phase.joint());
            assertEquals(List.of("loss", "elbo", "nll", "kl", "sigma"), m.lossNames());
            // move the parameters off their initialisation (log sigma from 0, the head from its zero biases)
            for (long it = 0; it < 5; it++) {
                m.run(phase, it, 0);
            }
            Map<String, double[][]> p = copy(m.store().params());
            double[][][] in = inputs(spec, 5);
            double[] expected = negativeElbo(p, in[0], in[1], 0.7);
            GanModel.Accumulated acc = m.gradients(Side.GENERATOR, 5, 0);
            assertEquals(expected[0], acc.losses().get("loss"), 1e-5 * Math.abs(expected[0]));
            assertEquals(expected[1], acc.losses().get("kl"), 1e-5 * Math.max(1, expected[1]));
            assertEquals(expected[2], acc.losses().get("nll"), 1e-5 * Math.abs(expected[2]));
            assertEquals(-(expected[1] + expected[2]), acc.losses().get("elbo"), 1e-5 * Math.abs(expected[0]));
            // the gradient with respect to parameters of both networks and the model's own (head, log sigma), by
            // central differences of the float64 loss
            int checked = 0;
            for (String name : List.of("d/fc0/W", "d/fc1/b", "d/vae/mean/W", "d/vae/log_variance/b", "g/fc0/W",
                    "g/out/b", "g/vae/log_sigma")) {
                INDArray grad = acc.gradients().get(name);
                assertNotNull(grad, "no gradient for " + name);
                double[][] a = p.get(name);
                for (int k = 0; k < Math.min(3, a.length * a[0].length); k++) {
                    int r = k % a.length;
                    int c = (k / a.length) % a[0].length;
                    double keep = a[r][c];
                    double h = 1e-6;
                    a[r][c] = keep + h;
                    double up = negativeElbo(p, in[0], in[1], 0.7)[0];
                    a[r][c] = keep - h;
                    double down = negativeElbo(p, in[0], in[1], 0.7)[0];
                    a[r][c] = keep;
                    double fd = (up - down) / (2 * h);
                    double got = grad.reshape(a.length, a[0].length).getDouble(r, c);
                    assertEquals(fd, got, 2e-3 * Math.max(1e-2, Math.abs(fd)), name + "[" + r + "," + c + "]");
                    checked++;
                }
            }
            assertTrue(checked >= 14, "checked " + checked);
            // D's logit layer is not part of the objective
            assertFalse(acc.gradients().containsKey("d/out/W") && acc.gradients().get("d/out/W").amaxNumber()
                    .doubleValue() > 0, "D's logit layer has a gradient");
        }
    }

    @Test
    void theUpdateStepsBothOptimizersOnceAndLeavesTheUnusedLogitLayer() {
        try (GanModel m = model(spec())) {
            Map<String, INDArray> before = new HashMap<>();
            m.store().params().forEach((n, a) -> before.put(n, a.dup()));
            Map<String, Double> losses = m.run(m.schedule().phases().get(0), 0, 0);
            assertTrue(Double.isFinite(losses.get("loss")), losses.toString());
            for (String changed : List.of("g/fc0/W", "g/out/b", "g/vae/log_sigma", "d/fc0/W", "d/vae/mean/W")) {
                assertFalse(before.get(changed).equals(m.store().params().get(changed)), changed + " did not move");
            }
            assertEquals(before.get("d/out/W"), m.store().params().get("d/out/W"));
            Checkpoint c = m.checkpoint(1);
            assertEquals(1, c.gSteps());
            assertEquals(1, c.dSteps());
        }
    }

    @Test
    void aResumedRunContinuesBitForBit() {
        RunSpec spec = spec("model.decoder", "gaussian", "model.sigma", "0.5");
        Schedule.Phase phase;
        Checkpoint saved;
        Map<String, INDArray> straight = new HashMap<>();
        try (GanModel m = model(spec)) {
            phase = m.schedule().phases().get(0);
            for (long it = 0; it < 3; it++) {
                m.run(phase, it, 0);
            }
            saved = m.checkpoint(3);
            for (long it = 3; it < 6; it++) {
                m.run(phase, it, 0);
            }
            m.store().params().forEach((n, a) -> straight.put(n, a.dup()));
        }
        try (GanModel m = model(spec)) {
            m.restore(saved);
            for (long it = 3; it < 6; it++) {
                m.run(phase, it, 0);
            }
            straight.forEach((n, a) -> assertEquals(a, m.store().params().get(n), n));
        }
    }

    @Test
    void theBernoulliDecoderTrainsAConvolutionalVaeAndSamplesAreTheDecoderMeans() {
        RunSpec spec = RunSpec.parse(Map.of("model", "vae", "model.decoder", "bernoulli", "architecture", "dcgan",
                "architecture.channels", "4", "dataset", "test-images", "batchSize", "4", "latent", "3",
                "metrics", "none"), TestCatalog.create(), "cvae");
        try (GanModel m = model(spec)) {
            assertEquals(List.of("loss", "elbo", "nll", "kl"), m.lossNames());
            double first = m.run(m.schedule().phases().get(0), 0, 0).get("loss");
            double later = first;
            for (long it = 1; it < 30; it++) {
                later = m.run(m.schedule().phases().get(0), it, 0).get("loss");
            }
            assertTrue(later < first, "the negative ELBO did not fall: " + first + " -> " + later);
            INDArray samples = m.sample(5, 1);
            assertArrayEquals(spec.datasetComponent().open(spec.dataset().options()).shape().batched(5),
                    samples.shape());
            assertTrue(samples.amaxNumber().doubleValue() <= 1, "a Bernoulli mean outside [-1, 1]");
        }
    }

    @Test
    void aScheduledBetaWarmsTheKlTermUpStepByStep() {
        // Bowman et al. 2016's KL warm-up: beta rises linearly from 0 to 1 over the first 100 iterations, then stays
        RunSpec spec = spec("schedule.model.beta", "cosine(to=1, warmup=100, from=0)");
        assertEquals("cosine(to=1.0, over=0, warmup=100, from=0.0, hold=0)",
                spec.resolved().get("schedule.model.beta"));
        try (GanModel m = model(spec)) {
            Schedule.Phase phase = m.schedule().phases().get(0);
            for (long it = 0; it < 3; it++) {
                m.run(phase, it, 0);
            }
            Map<String, double[][]> p = copy(m.store().params());
            for (long it : new long[] {0, 25, 50, 100, 150}) {
                double beta = Math.min(1, it / 100.0);
                assertEquals(beta, spec.value("model.beta", it), 1e-12, "beta at " + it);
                assertEquals(beta, m.schedules(it).get("model/beta"), 1e-12, "event log at " + it);
                double[][][] in = inputs(spec, it);
                double expected = negativeElbo(p, in[0], in[1], beta)[0];
                assertEquals(expected, m.gradients(Side.GENERATOR, it, 0).losses().get("loss"),
                        1e-5 * Math.abs(expected), "loss at " + it);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> spec("schedule.model.decoder", "cosine(to=1)"));
        assertTrue(e.getMessage().contains("schedule.model.beta") && e.getMessage().contains("schedule.model.sigma"),
                e.getMessage());
        // sigma is a numeric option, but the VAE builds it in as a constant: its schedule is refused, not ignored
        RunSpec sigma = spec("model.sigma", "0.5", "schedule.model.sigma", "cosine(to=0.1)");
        IllegalArgumentException constant = assertThrows(IllegalArgumentException.class, () -> model(sigma).close());
        assertTrue(constant.getMessage().startsWith(
                "setting 'schedule.model.sigma': model 'vae' builds option 'sigma'")
                && constant.getMessage().contains("[beta]"), constant.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> spec("schedule.model.beta", "cosine(to=-1)"));
        assertTrue(range.getMessage().contains("'model.beta' cannot take"), range.getMessage());
    }

    @Test
    void withALabelledDatasetBothNetworksSeeTheDataBatchsLabels() {
        // a conditional VAE: the encoder and the decoder get the same one-hot labels, those of the data batch
        try (GanModel m = model(spec("dataset.labels", "true"))) {
            assertArrayEquals(new long[] {2 + 8, HIDDEN}, m.store().params().get("d/fc0/W").shape());
            assertArrayEquals(new long[] {LATENT + 8, HIDDEN}, m.store().params().get("g/fc0/W").shape());
            Map<String, Double> losses = m.run(m.schedule().phases().get(0), 0, 0);
            assertTrue(Double.isFinite(losses.get("loss")), losses.toString());
            GanModel.Accumulated acc = m.gradients(Side.GENERATOR, 1, 0);
            // the label rows of both first layers receive gradient
            for (String name : List.of("d/fc0/W", "g/fc0/W")) {
                INDArray labelRows = acc.gradients().get(name).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(
                        name.startsWith("d") ? 2 : LATENT, name.startsWith("d") ? 10 : LATENT + 8),
                        org.nd4j.linalg.indexing.NDArrayIndex.all());
                assertTrue(labelRows.amaxNumber().doubleValue() > 0, name + ": no gradient through the labels");
            }
            assertArrayEquals(new long[] {5, 2}, m.sample(5, 2).shape());
        }
    }

    @Test
    void settingsOfTheGameAreRefusedInOneLine() {
        for (String[] bad : new String[][] {{"regularizers", "r1"}, {"dSteps", "2"}, {"packing", "2"},
                {"gAdvWeight", "0"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec(bad));
            assertTrue(e.getMessage().contains("'" + bad[0] + "'") && e.getMessage().contains("model 'vae'"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> spec("model", "flow"));
        assertTrue(unknown.getMessage().contains("unknown model 'flow'") && unknown.getMessage().contains("vae"),
                unknown.getMessage());
        IllegalArgumentException gameOption = assertThrows(IllegalArgumentException.class,
                () -> spec("model", "gan", "model.beta", "2"));
        assertTrue(gameOption.getMessage().contains("'model.*'"), gameOption.getMessage());
        IllegalArgumentException option = assertThrows(IllegalArgumentException.class,
                () -> spec("model.decoder", "poisson"));
        assertTrue(option.getMessage().contains("decoder"), option.getMessage());
    }

    @Test
    void theModelIsRecordedAndCannotBeSwappedButItsOptionsCan() {
        RunSpec vae = spec();
        assertEquals("vae", vae.resolved().get("model"));
        assertEquals("1.0", vae.resolved().get("model.beta"));
        assertTrue(vae.components().stream().anyMatch(e -> e.name().equals("vae")));
        assertEquals(null, spec("model", "gan").resolved().get("model.beta"));
        String refusal = Swaps.refusal(vae, spec("model", "gan"));
        assertTrue(refusal != null && refusal.contains("model would change (vae -> gan)"), refusal);
        try (GanModel m = model(vae)) {
            Schedule.Phase phase = m.schedule().phases().get(0);
            m.run(phase, 0, 0);
            m.swap(spec("model.beta", "4"));
            Map<String, INDArray> params = copyArrays(m.store().params());
            double[][][] in = inputs(vae, 1);
            double[] expected = negativeElbo(copy(params), in[0], in[1], 4);
            assertEquals(expected[0], m.gradients(Side.GENERATOR, 1, 0).losses().get("loss"),
                    1e-5 * Math.abs(expected[0]));
        }
    }

    private static Map<String, INDArray> copyArrays(Map<String, INDArray> params) {
        Map<String, INDArray> out = new HashMap<>();
        params.forEach((n, a) -> out.put(n, a.dup()));
        return out;
    }
}
