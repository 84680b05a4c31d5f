package org.jgan.engine.internal.model;

import java.util.List;
import java.util.Map;
import org.jgan.api.Side;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run's iteration as data: the phases of the alternating algorithm, and a model driven by them. */
class ScheduleTest {

    private static RunSpec spec(Map<String, String> raw) {
        return RunSpec.parse(raw, TestCatalog.create(), "schedule");
    }

    @Test
    void kDiscriminatorUpdatesThenOneGeneratorUpdateWhichAveragesOnlyWithAnEma() {
        Schedule s = Schedule.of(spec(Map.of("dSteps", "5")));
        assertEquals(List.of("D", "G"), s.phases().stream().map(Schedule.Phase::name).toList());
        Schedule.Phase d = s.phase(Side.DISCRIMINATOR);
        assertEquals(5, d.repeat());
        assertEquals(List.of(Schedule.Action.UPDATE, Schedule.Action.CONSTRAIN), d.actions());
        assertEquals(List.of(Schedule.Action.UPDATE, Schedule.Action.CONSTRAIN), s.phase(Side.GENERATOR).actions());
        assertEquals(Schedule.GENERATOR_STREAM, s.phase(Side.GENERATOR).stream());
        assertTrue(Schedule.of(spec(Map.of("ema", "0.99"))).phase(Side.GENERATOR).actions()
                .contains(Schedule.Action.AVERAGE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Schedule.Phase("D", Side.DISCRIMINATOR, 0, 0, List.of()));
        assertTrue(e.getMessage().contains("phase 'D'"), e.getMessage());
    }

    /**
     * A phase is data: one without UPDATE computes the player's losses and changes nothing; the phases of the
     * run's schedule, run in order, are the discriminator and generator steps.
     */
    @Test
    void theModelDoesWhatThePhaseSays() {
        RunSpec spec = spec(Map.of("architecture.hidden", "8", "batchSize", "16", "dSteps", "2"));
        try (GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
                GanModel steps = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()))) {
            Schedule.Phase look = new Schedule.Phase("look", Side.DISCRIMINATOR, 1, 0, List.of());
            Checkpoint before = m.checkpoint(0);
            Map<String, Double> seen = m.run(look, 0, 0);
            assertTrue(Double.isFinite(seen.get("d_loss")), seen.toString());
            Checkpoint after = m.checkpoint(0);
            before.arrays().forEach((n, a) -> assertEquals(a, after.arrays().get(n), n + " unchanged"));
            for (Schedule.Phase p : m.schedule().phases()) {
                for (int r = 0; r < p.repeat(); r++) {
                    m.run(p, 0, r);
                }
            }
            steps.discriminatorStep(0, 0);
            steps.discriminatorStep(0, 1);
            steps.generatorStep(0);
            Checkpoint a = m.checkpoint(1);
            Checkpoint b = steps.checkpoint(1);
            b.arrays().forEach((n, x) -> assertEquals(x, a.arrays().get(n), n));
            before.free();
            after.free();
            a.free();
            b.free();
        }
    }
}
