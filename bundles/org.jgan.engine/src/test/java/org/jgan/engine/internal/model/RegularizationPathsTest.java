package org.jgan.engine.internal.model;

import java.util.List;
import java.util.Map;
import org.jgan.api.NetworkScope;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Regularizer;
import org.jgan.api.Reparametrization;
import org.jgan.api.Side;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.run.TrainingRun;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine applies regularization terms, constraints (WGAN clipping) and reparametrizations as their SPIs promise. */
class RegularizationPathsTest {

    /** E[logit^2] on data, a stand-in term with a known value. */
    static final class LogitSquare implements Regularizer {
        public String description() {
            return "test term";
        }

        public Side side(Options o) {
            return Side.DISCRIMINATOR;
        }

        public SDVariable define(RegularizationContext c, Options o) {
            return c.realCritique().logits().mul(c.realCritique().logits()).mean();
        }
    }

    /** A term that is NaN: sqrt of a negative number. */
    static final class NotANumber implements Regularizer {
        public String description() {
            return "test NaN";
        }

        public Side side(Options o) {
            return Side.DISCRIMINATOR;
        }

        public SDVariable define(RegularizationContext c, Options o) {
            return c.sd().math.sqrt(c.realCritique().logits().mul(0.0).sub(1.0).mean());
        }
    }

    /** Multiplies every generator weight by zero: the generator then outputs its last bias only. */
    static final class ZeroWeights implements Reparametrization {
        public String description() {
            return "test reparametrization";
        }

        public Side side(Options o) {
            return Side.GENERATOR;
        }

        public SDVariable apply(NetworkScope scope, String name, SDVariable weight, Options o) {
            return weight.mul(0.0);
        }
    }

    private static ComponentCatalog catalog() {
        ComponentCatalog c = TestCatalog.create();
        c.add(Kind.REGULARIZER, "logitsq", new LogitSquare(), "test", "0");
        c.add(Kind.REPARAMETRIZATION, "zero", new ZeroWeights(), "test", "0");
        c.add(Kind.REGULARIZER, "nan", new NotANumber(), "test", "0");
        return c;
    }

    private static GanModel model(Map<String, String> raw) {
        RunSpec spec = RunSpec.parse(raw, catalog(), "reg");
        return new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
    }

    @Test
    void termIsWeightedAddedAndReportedAndLazyTermsSkipSteps() {
        GanModel m = model(Map.of("regularizers", "logitsq", "regularizer.logitsq.weight", "3",
                "regularizer.logitsq.every", "2", "architecture.hidden", "8", "batchSize", "16"));
        Map<String, Double> first = m.discriminatorStep(0, 0);
        assertTrue(first.get("d_logitsq") > 0);
        // step 0 of 2: weight 3 * 2 = 6
        assertEquals(first.get("d_adv") + 6 * first.get("d_logitsq"), first.get("d_loss"), 1e-4);
        Map<String, Double> second = m.discriminatorStep(1, 0);
        assertEquals(second.get("d_adv"), second.get("d_loss"), 1e-6, "skipped lazy step");
        assertTrue(Double.isNaN(second.get("d_logitsq")), "a lazy term is not computed on the steps it skips: "
                + second);
        assertEquals(List.of("d_loss", "d_adv", "d_logitsq", "g_loss", "g_adv"), m.lossNames());
        assertEquals(first.keySet(), second.keySet(), "the same columns on every step");
        Map<String, Double> third = m.discriminatorStep(2, 0);
        assertEquals(third.get("d_adv") + 6 * third.get("d_logitsq"), third.get("d_loss"), 1e-4, "due again");
    }

    /**
     * A term that is not due is left out of the step's graph, not multiplied by 0: a NaN term of weight 0 (or on
     * the steps a lazy term skips) leaves the loss finite and the gradients those of the run without it. When the
     * engine computed every term and weighted it by 0, 0 x NaN made the loss NaN and the step was refused.
     */
    @Test
    void aTermThatIsNotDueIsNotComputed() {
        Map<String, String> base = Map.of("architecture.hidden", "8", "batchSize", "16", "seed", "4");
        java.util.HashMap<String, String> raw = new java.util.HashMap<>(base);
        raw.put("regularizers", "nan");
        raw.put("regularizer.nan.weight", "0");
        try (GanModel withTerm = model(raw); GanModel without = model(base)) {
            GanModel.Accumulated a = withTerm.gradients(Side.DISCRIMINATOR, 0, 0);
            GanModel.Accumulated b = without.gradients(Side.DISCRIMINATOR, 0, 0);
            assertTrue(Double.isFinite(a.losses().get("d_loss")), a.losses().toString());
            assertTrue(Double.isNaN(a.losses().get("d_nan")), a.losses().toString());
            assertEquals(b.gradients().keySet(), a.gradients().keySet());
            b.gradients().forEach((n, g) -> assertEquals(g, a.gradients().get(n), n));
            Map<String, Double> step = withTerm.discriminatorStep(0, 0);
            assertEquals(step.get("d_adv"), step.get("d_loss"), 1e-6);
        }
        raw.put("regularizer.nan.weight", "1");
        raw.put("regularizer.nan.every", "2");
        try (GanModel lazy = model(raw)) {
            // due at D's step 0: refused (and not applied), so D stays at step 0 where the term is due
            assertThrows(GanModel.NonFiniteLossException.class, () -> lazy.discriminatorStep(0, 0));
            assertThrows(GanModel.NonFiniteLossException.class, () -> lazy.discriminatorStep(1, 0));
        }
    }

    /**
     * A penalty may read the run's loss (API 1.8): Roth et al.'s f-GAN regularizer weighs by the fgan loss's
     * divergence unless told otherwise (it used to keep its own default, js, whatever the loss), and a divergence
     * other than the loss's is refused when the run is built. The same weights and batch give the same value with
     * the divergence followed or named, and another value for another divergence.
     */
    @Test
    void fganRegularizerFollowsTheLossDivergence() {
        Map<String, String> base = Map.of("loss", "fgan", "regularizers", "roth-f", "architecture.hidden", "8",
                "batchSize", "16");
        double followed = rothF(base, "loss.divergence", "kl");
        assertTrue(followed > 0, "penalty value " + followed);
        java.util.HashMap<String, String> named = new java.util.HashMap<>(base);
        named.put("regularizer.roth-f.divergence", "kl");
        assertEquals(followed, rothF(named, "loss.divergence", "kl"), 1e-9);
        assertTrue(Math.abs(followed - rothF(base, "loss.divergence", "js")) > 1e-3 * followed,
                "kl and js weigh differently");
        named.put("regularizer.roth-f.divergence", "js");
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> rothF(named, "loss.divergence", "kl"));
        assertEquals("penalty 'roth-f': option 'divergence' is 'js' but the fgan loss's divergence is 'kl'; "
                + "expected 'loss' (the default) or 'kl'", mismatch.getMessage());
    }

    private static double rothF(Map<String, String> settings, String key, String value) {
        java.util.HashMap<String, String> raw = new java.util.HashMap<>(settings);
        raw.put(key, value);
        try (GanModel m = model(raw)) {
            return m.discriminatorStep(0, 0).get("d_roth-f");
        }
    }

    @Test
    void constraintKeepsEveryDiscriminatorWeightInRange() {
        GanModel m = model(Map.of("regularizers", "clip", "regularizer.clip.c", "0.05", "lrD", "0.1",
                "architecture.hidden", "8", "batchSize", "16"));
        m.discriminatorStep(0, 0);
        Map<String, INDArray> arrays = m.checkpoint(1).arrays();
        arrays.forEach((name, a) -> {
            if (name.startsWith("param/d/")) {
                assertTrue(a.amaxNumber().doubleValue() <= 0.05 + 1e-7, name + " max " + a.amaxNumber());
            }
        });
        assertTrue(arrays.get("param/g/fc0/W").amaxNumber().doubleValue() > 0.05, "G is not clipped");
    }

    @Test
    void reparametrizationChangesTheWeightsTheNetworkUses() {
        GanModel m = model(Map.of("regularizers", "zero", "architecture.hidden", "8"));
        INDArray s = m.sample(5, 1);
        // all weights zero, biases zero-initialised: every sample is exactly the output bias, 0
        assertEquals(0.0, s.amaxNumber().doubleValue(), 0.0);
    }

    @Test
    void weightAndEveryAreRefusedForConstraintsAndCheckedForTerms() {
        assertThrows(IllegalArgumentException.class, () -> model(Map.of("regularizers", "clip",
                "regularizer.clip.weight", "2")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model(Map.of(
                "regularizers", "logitsq", "regularizer.logitsq.weight", "-1")));
        assertEquals("regularizer 'logitsq': option 'weight' has value '-1'; expected a number in [0, 1000000000]",
                e.getMessage());
    }

    @Test
    void aNonFiniteLossIsNotAppliedAndFailsTheRunWithItsReason(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        GanModel m = model(Map.of("regularizers", "nan", "architecture.hidden", "8"));
        Map<String, INDArray> before = m.checkpoint(0).arrays();
        GanModel.NonFiniteLossException e = assertThrows(GanModel.NonFiniteLossException.class,
                () -> m.discriminatorStep(0, 0));
        assertTrue(e.getMessage().startsWith("non-finite discriminator loss at iteration 0"), e.getMessage());
        Map<String, INDArray> after = m.checkpoint(0).arrays();
        before.forEach((k, v) -> assertEquals(v, after.get(k), k + " changed by a rejected step"));

        RunSpec spec = RunSpec.parse(Map.of("regularizers", "nan", "architecture.hidden", "8",
                "outputDir", dir.toString(), "iterations", "5"), catalog(), "nan-run");
        TrainingRun run = new TrainingRun(spec, Map.of());
        run.run();
        org.jgan.api.dto.RunStatusDTO s = run.status();
        assertEquals(org.jgan.api.dto.RunStatusDTO.State.FAILED, s.state);
        assertTrue(s.error.contains("non-finite discriminator loss"), s.error);
        assertTrue(java.nio.file.Files.readString(dir.resolve("status.json")).contains("FAILED"));
    }
}
