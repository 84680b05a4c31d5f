package org.jgan.engine.internal.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.jgan.api.dto.RunStatusDTO;
import org.junit.jupiter.api.Test;

/** The progress line: the scores, not the counts a metric reports beside them; the memory a run holds. */
class ProgressLineTest {

    private static RunStatusDTO running(long iteration, long iterations) {
        RunStatusDTO s = new RunStatusDTO();
        s.state = RunStatusDTO.State.RUNNING;
        s.iteration = iteration;
        s.iterations = iterations;
        s.etaSeconds = -1;
        s.losses = Map.of();
        return s;
    }

    @Test
    void whatARunHoldsWhileItHoldsAnything() {
        RunStatusDTO s = running(5, 10);
        s.heldBytes = 2_500_000;
        assertEquals("RUNNING   it 5/10 (50%)  mem 2.50 MB", ProgressLine.format(s));
        s.heldBytes = 0;
        assertEquals("RUNNING   it 5/10 (50%)", ProgressLine.format(s));
    }

    @Test
    void scoresWithoutTheirCounts() {
        RunStatusDTO s = running(500, 1000);
        s.losses = Map.of("d_loss", 1.25, "g_loss", 0.75, "d_r1", 0.5);
        s.metrics = Map.of("mixture.modes", 7.0, "mixture.modes_total", 8.0, "mixture.high_quality", 0.825,
                "features.fd", 12.5, "features.samples", 10000.0, "features.real_samples", 10000.0);
        assertEquals("RUNNING   it 500/1000 (50%)  d_loss 1.2500  g_loss 0.7500  features.fd 12.5  "
                + "mixture.high_quality 0.825  mixture.modes 7.00", ProgressLine.format(s));
    }
}
