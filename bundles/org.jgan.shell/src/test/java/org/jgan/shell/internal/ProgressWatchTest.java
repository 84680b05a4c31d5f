package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.junit.jupiter.api.Test;

class ProgressWatchTest {

    private static RunStatusDTO status(String id, State state, long iteration) {
        RunStatusDTO s = new RunStatusDTO();
        s.id = id;
        s.state = state;
        s.iteration = iteration;
        s.iterations = 100;
        s.losses = Map.of();
        s.metrics = Map.of();
        s.outputDir = "/runs/" + id;
        s.summary = state + " it " + iteration + "/100";
        return s;
    }

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private List<String> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void printsALinePerIntervalUntilTheRunReachesAFinalState() {
        Deque<RunStatusDTO> states = new ArrayDeque<>(List.of(status("r", State.STARTING, 0),
                status("r", State.RUNNING, 10), status("r", State.PAUSED, 20), status("r", State.RUNNING, 30),
                status("r", State.COMPLETED, 100), status("r", State.COMPLETED, 100)));
        List<Long> waits = new ArrayList<>();
        RunStatusDTO last = ProgressWatch.follow(states::poll, out, 500, millis -> {
            waits.add(millis);
            return false;
        });
        assertEquals(State.COMPLETED, last.state);
        assertEquals(List.of(500L, 500L, 500L, 500L), waits, "one wait between two lines, none after the end");
        List<String> lines = lines();
        assertEquals(6, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("\\d\\d:\\d\\d:\\d\\d  r  STARTING it 0/100"), lines.get(0));
        assertTrue(lines.get(2).endsWith("  r  PAUSED it 20/100"), "a paused run is still watched");
        assertTrue(lines.get(4).endsWith("COMPLETED it 100/100"));
        assertEquals("r COMPLETED; output: /runs/r", lines.get(5));
        assertEquals(1, states.size(), "no status asked for after the final one");
    }

    @Test
    void failedAndStoppedRunsEndTheViewToo() {
        for (State end : List.of(State.FAILED, State.STOPPED)) {
            Deque<RunStatusDTO> states = new ArrayDeque<>(List.of(status("r", State.RUNNING, 1), status("r", end, 2)));
            assertEquals(end, ProgressWatch.follow(states::poll, out, 10, millis -> false).state);
            assertTrue(states.isEmpty());
        }
    }

    @Test
    void enterOrAnInterruptEndsTheViewAndTheRunGoesOn() throws Exception {
        RunStatusDTO running = status("r", State.RUNNING, 5);
        RunStatusDTO last = ProgressWatch.follow(() -> running, out, 10, ProgressWatch.keyboard(
                new ByteArrayInputStream("\n".getBytes(StandardCharsets.UTF_8))));
        assertEquals(State.RUNNING, last.state);
        assertEquals("stopped watching r; the run goes on (RUNNING)", lines().get(lines().size() - 1));

        bytes.reset();
        ProgressWatch.follow(() -> running, out, 10, millis -> {
            throw new InterruptedException();
        });
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        assertEquals(List.of("stopped watching r; the run goes on (RUNNING)"), lines().subList(1, 2));

        // without a key the keyboard pause waits its time and goes on
        long t0 = System.nanoTime();
        assertFalse(ProgressWatch.keyboard(new ByteArrayInputStream(new byte[0])).await(150));
        assertTrue(System.nanoTime() - t0 >= 150_000_000L);
    }

    @Test
    void aRunThatGoesAwayEndsTheView() {
        Deque<RunStatusDTO> states = new ArrayDeque<>(List.of(status("r", State.RUNNING, 1)));
        ProgressWatch.follow(() -> {
            if (states.isEmpty()) {
                throw new IllegalArgumentException("unknown run 'r'; runs: none");
            }
            return states.poll();
        }, out, 10, millis -> false);
        assertEquals("stopped watching r: unknown run 'r'; runs: none", lines().get(lines().size() - 1));
    }

    @Test
    void withoutARunIdTheOnlyRunGoingIsWatched() {
        assertEquals("b", ProgressWatch.onlyActive("gan:watch", List.of(status("a", State.COMPLETED, 100),
                status("b", State.PAUSED, 3))));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> ProgressWatch.onlyActive("gan:watch", List.of(status("a", State.STOPPED, 1))));
        assertEquals("gan:watch: no run is going; expected a run id; runs: a (STOPPED)", none.getMessage());
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class,
                () -> ProgressWatch.onlyActive("gan:watch", List.of(status("a", State.RUNNING, 1),
                        status("b", State.STARTING, 0))));
        assertEquals("gan:watch: 2 runs are going; expected a run id; runs: a (RUNNING), b (STARTING)",
                two.getMessage());
    }

    @Test
    void theIntervalIsCheckedAndNamed() {
        Set<String> keys = Set.of("interval");
        assertEquals(2000, ProgressWatch.intervalMillis(ExploreArguments.parse("gan:watch", List.of("r"), keys), 2));
        assertEquals(250, ProgressWatch.intervalMillis(
                ExploreArguments.parse("gan:watch", List.of("r", "interval=0.25"), keys), 2));
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> ProgressWatch
                .intervalMillis(ExploreArguments.parse("gan:watch", List.of("interval=0"), keys), 2));
        assertEquals("gan:watch: interval is '0'; expected seconds in [0.1, 3600]", small.getMessage());
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class, () -> ProgressWatch
                .intervalMillis(ExploreArguments.parse("gan:watch", List.of("interval=soon"), keys), 2));
        assertEquals("gan:watch: interval is 'soon'; expected a number", word.getMessage());
    }
}
