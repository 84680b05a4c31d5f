package org.jgan.engine.internal.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.Side;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Schedules of settings ({@code schedule.TARGET=cosine(...)}, R3GAN's cosine schedules of the learning rate, Adam's
 * beta2, gamma and the EMA half-life) are the values the steps use: a scheduled run steps as a run configured with
 * the schedule's value at that iteration.
 */
class ScheduledSettingsTest {

    private static RunSpec spec(Map<String, String> raw) {
        Map<String, String> all = new HashMap<>(Map.of("architecture.hidden", "16", "batchSize", "32",
                "metrics", "none", "iterations", "100"));
        all.putAll(raw);
        return RunSpec.parse(all, TestCatalog.create(), "scheduled");
    }

    private static GanModel model(Map<String, String> raw) {
        RunSpec spec = spec(raw);
        return new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
    }

    private static Map<String, INDArray> arrays(GanModel m, String prefix) {
        Map<String, INDArray> out = new HashMap<>();
        m.checkpoint(0).arrays().forEach((n, a) -> {
            if (n.startsWith(prefix)) {
                out.put(n.substring(prefix.length()), a.castTo(DataType.DOUBLE));
            }
        });
        return out;
    }

    private static double difference(Map<String, INDArray> a, Map<String, INDArray> b) {
        assertEquals(a.keySet(), b.keySet());
        return a.keySet().stream().mapToDouble(n -> a.get(n).sub(b.get(n)).norm2Number().doubleValue()).max()
                .orElseThrow();
    }

    @Test
    void aScheduledLearningRateIsTheOneTheStepUses() {
        try (GanModel scheduled = model(Map.of("lrD", "1e-4", "schedule.lrD", "cosine(to=1e-3, over=2)"));
                GanModel constant = model(Map.of("lrD", "1e-3"));
                GanModel base = model(Map.of("lrD", "1e-4"))) {
            // past its end (iteration 5 > 2) the schedule is at its final value, 1e-3
            scheduled.discriminatorStep(5, 0);
            constant.discriminatorStep(5, 0);
            base.discriminatorStep(5, 0);
            assertEquals(0, difference(arrays(scheduled, "param/d/"), arrays(constant, "param/d/")), 1e-7);
            assertTrue(difference(arrays(scheduled, "param/d/"), arrays(base, "param/d/")) > 1e-4,
                    "the base learning rate would have stepped elsewhere");
            assertEquals(1e-3, scheduled.learningRate(Side.DISCRIMINATOR, 5), 1e-15);
            assertEquals(1e-4, scheduled.learningRate(Side.DISCRIMINATOR, 0), 1e-15);
            assertEquals(5.5e-4, scheduled.learningRate(Side.DISCRIMINATOR, 1), 1e-15);
        }
    }

    @Test
    void aScheduledBeta2IsTheOneAdamUses() {
        // Adam's second step depends on beta2; the first does not
        try (GanModel scheduled = model(Map.of("beta2", "0.9", "schedule.beta2", "cosine(to=0.99, over=3)"));
                GanModel constant = model(Map.of("beta2", "0.99"));
                GanModel base = model(Map.of("beta2", "0.9"))) {
            for (GanModel m : List.of(scheduled, constant, base)) {
                m.discriminatorStep(10, 0);
                m.discriminatorStep(11, 0);
            }
            assertEquals(0, difference(arrays(scheduled, "param/d/"), arrays(constant, "param/d/")), 1e-7);
            assertTrue(difference(arrays(scheduled, "param/d/"), arrays(base, "param/d/")) > 1e-6,
                    "beta2 0.9 would have stepped elsewhere");
            assertEquals(0.99, scheduled.schedules(11).get("adam/beta2"), 1e-15);
            assertEquals(0.9, scheduled.schedules(0).get("adam/beta2"), 1e-15);
        }
    }

    @Test
    void aScheduledRegularizerWeightIsTheTermsWeightAtEachStep() {
        RunSpec s = spec(Map.of("regularizers", "r1", "regularizer.r1.weight", "2", "regularizer.r1.every", "4",
                "schedule.regularizer.r1.weight", "cosine(to=0.2)"));
        try (GanModel m = new GanModel(s, s.datasetComponent().open(s.dataset().options()))) {
            RunSpec.RegularizerChoice r1 = s.regularizers().get(0);
            assertEquals(2 * 4, m.termWeight(r1, 0, 0), 1e-12);
            assertEquals((2 + 0.2) / 2 * 4, m.termWeight(r1, 50, 8), 1e-12, "halfway through the 100 iterations");
            assertEquals(0.2 * 4, m.termWeight(r1, 100, 4), 1e-12);
            assertEquals(0, m.termWeight(r1, 50, 9), 1e-12, "lazy: not due at this step");
            assertEquals(1.1, m.schedules(50).get("weight/r1"), 1e-12);
        }
    }

    @Test
    void theEmaHalfLifeGivesTheDecayAndItsScheduleStartsFromACopy() {
        // a half-life of 32 samples at batch 32: decay 0.5 per generator step
        try (GanModel halfLife = model(Map.of("emaHalfLife", "32", "lrG", "1e-2"));
                GanModel decay = model(Map.of("ema", "0.5", "lrG", "1e-2"));
                GanModel scheduled = model(Map.of("schedule.emaHalfLife", "cosine(to=32, over=1)", "lrG", "1e-2"))) {
            assertEquals(0.5, halfLife.schedules(0).get("ema/decay"), 1e-15);
            Map<String, INDArray> expected = null;
            for (int it = 0; it < 3; it++) {
                for (GanModel m : List.of(halfLife, decay, scheduled)) {
                    m.discriminatorStep(it, 0);
                    m.generatorStep(it);
                }
                Map<String, INDArray> g = arrays(scheduled, "param/g/");
                if (expected == null) {
                    // half-life 0 at iteration 0: decay 0, the average is a copy of G
                    expected = g;
                    assertEquals(0, difference(arrays(scheduled, "ema/g/"), g), 1e-7);
                } else {
                    // iterations 1 and 2 are at or past the schedule's end: half-life 32, decay 0.5
                    Map<String, INDArray> e = expected;
                    g.forEach((n, a) -> e.put(n, e.get(n).mul(0.5).add(a.mul(0.5))));
                }
            }
            assertEquals(0, difference(arrays(halfLife, "ema/g/"), arrays(decay, "ema/g/")), 1e-7);
            assertEquals(0, difference(arrays(scheduled, "ema/g/"), expected), 1e-6);
            assertTrue(spec(Map.of("schedule.emaHalfLife", "cosine(to=32)")).keepsAverage(),
                    "a scheduled half-life keeps an average though its base is 0");
        }
    }

    @Test
    void schedulesAreRecordedCheckedAndLiveWhereTheirSettingIs() {
        RunSpec s = spec(Map.of("regularizers", "r1", "schedule.lrG", "cosine(to=1e-5, warmup=10)"));
        assertEquals("cosine(to=1.0E-5, over=0, warmup=10, from=0.0, hold=0)", s.resolved().get("schedule.lrG"));
        assertEquals(s.schedules(), spec(Map.of("regularizers", "r1", "schedule.lrG",
                s.resolved().get("schedule.lrG"))).schedules(), "the recorded text parses back");
        assertTrue(spec(Map.of("regularizers", "r1", "schedule.lrG", "none")).schedules().isEmpty(),
                "none switches a (preset's) schedule off");
        assertFalse(spec(Map.of("regularizers", "r1", "schedule.lrG", "none")).resolved().containsKey("schedule.lrG"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> spec(Map.of("schedule.batchSize", "cosine(to=4)")));
        assertTrue(unknown.getMessage().startsWith("setting 'schedule.batchSize' schedules no setting of this run; "
                + "expected one of schedule.lrG, schedule.lrD"), unknown.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> spec(Map.of("schedule.beta2", "cosine(to=1.5)")));
        assertTrue(range.getMessage().startsWith("setting 'schedule.beta2' is 'cosine(to=1.5)': it reaches 1.5, "
                + "which 'beta2' cannot take"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> spec(Map.of("regularizers", "r1",
                "schedule.regularizer.r1.weight", "cosine(to=-1)")));
        assertThrows(IllegalArgumentException.class, () -> spec(Map.of("schedule.lrG",
                "cosine(to=1e-5, warmup=10, from=-1)")), "a warm-up from a negative learning rate");
        IllegalArgumentException notChosen = assertThrows(IllegalArgumentException.class,
                () -> spec(Map.of("schedule.regularizer.r2.weight", "cosine(to=4)")));
        assertTrue(notChosen.getMessage().contains("schedule.regularizer.r2.weight"), notChosen.getMessage());
        assertTrue(LiveSettings.isLive("schedule.lrG"));
        assertTrue(LiveSettings.isLive("schedule.regularizer.r1.weight"));
        assertFalse(LiveSettings.isLive("schedule.emaHalfLife"), "the EMA is fixed: it decides whether G is averaged");
        assertEquals(List.of("schedule.emaHalfLife"), LiveSettings.fixed(LiveSettings.diff(s.resolved(),
                spec(Map.of("regularizers", "r1", "schedule.lrG", "cosine(to=1e-6)", "schedule.emaHalfLife",
                        "cosine(to=8)")).resolved())));
    }
}
