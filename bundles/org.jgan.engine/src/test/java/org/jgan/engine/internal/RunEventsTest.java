package org.jgan.engine.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Json;
import org.jgan.engine.internal.run.ProgressLine;
import org.jgan.engine.internal.run.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run's progress and state changes as OSGi events, and status.json written before a final state is announced. */
class RunEventsTest {

    /** Records posted events; for each final state event, the status.json on disk at that moment. */
    private static final class RecordingAdmin implements EventAdmin {
        final List<Event> posted = new ArrayList<>();
        final List<String> statusFileAtFinalEvent = new ArrayList<>();
        /** For each state event but RUNNING: the state, its iteration and the rows of losses.csv on disk then. */
        final List<String> lossRowsAtStateEvent = new ArrayList<>();
        final Path out;

        RecordingAdmin(Path out) {
            this.out = out;
        }

        @Override
        public synchronized void postEvent(Event event) {
            posted.add(event);
            Object state = event.getProperty("state");
            if (event.getTopic().equals(RunEvents.STATE) && !state.equals("RUNNING")) {
                try {
                    List<String> rows = Files.readAllLines(out.resolve("losses.csv"));
                    lossRowsAtStateEvent.add(state + " " + event.getProperty("iteration") + " " + (rows.size() - 1));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (event.getTopic().equals(RunEvents.STATE) && !state.equals("RUNNING") && !state.equals("PAUSED")) {
                try {
                    statusFileAtFinalEvent.add(Files.readString(out.resolve("status.json")));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        @Override
        public void sendEvent(Event event) {
            throw new AssertionError("runs post asynchronously; sendEvent would block the training thread");
        }

        synchronized List<Event> topic(String topic) {
            return posted.stream().filter(e -> e.getTopic().equals(topic)).toList();
        }
    }

    private static RunSpec spec(Path dir, int iterations) {
        return spec(dir, iterations, 0.1);
    }

    private static RunSpec spec(Path dir, int iterations, double progressInterval) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", "16",
                "batchSize", "32", "metrics", "none", "iterations", Integer.toString(iterations),
                "outputDir", dir.toString(), "progressInterval", Double.toString(progressInterval),
                "sampleInterval", "0", "checkpointInterval", "0"));
        return RunSpec.parse(raw, TestCatalog.create(), "events");
    }

    @Test
    void theEventOfAStatusCarriesEveryField() {
        RunStatusDTO s = new RunStatusDTO();
        s.id = "r";
        s.state = State.RUNNING;
        s.iteration = 120;
        s.iterations = 1000;
        s.rate = 55.5;
        s.etaSeconds = 15.9;
        s.losses = Map.of("d_loss", 1.25, "g_loss", 0.75);
        s.metrics = Map.of("mixture.modes", 7.0);
        s.outputDir = "/tmp/r";
        s.summary = ProgressLine.format(s);
        Event e = RunEvents.event(RunEvents.PROGRESS, s);
        assertEquals("org/jgan/run/PROGRESS", e.getTopic());
        assertEquals("r", e.getProperty("run"));
        assertEquals("RUNNING", e.getProperty("state"));
        assertEquals(120L, e.getProperty("iteration"));
        assertEquals(1000L, e.getProperty("iterations"));
        assertEquals(55.5, e.getProperty("rate"));
        assertEquals(15.9, e.getProperty("eta"));
        assertEquals(Map.of("d_loss", 1.25, "g_loss", 0.75), e.getProperty("losses"));
        assertEquals(Map.of("mixture.modes", 7.0), e.getProperty("metrics"));
        assertEquals("/tmp/r", e.getProperty("outputDir"));
        assertEquals(s.summary, e.getProperty("summary"));
        assertFalse(e.containsProperty("error"), "no error property without an error");
        s.state = State.FAILED;
        s.error = "loss is NaN";
        assertEquals("loss is NaN", RunEvents.event(RunEvents.STATE, s).getProperty("error"));
    }

    @Test
    void aRunPostsProgressAndStateEventsAndItsFinalStateAfterStatusJson(@TempDir Path dir) throws Exception {
        RecordingAdmin admin = new RecordingAdmin(dir);
        TrainingRun run = new TrainingRun(spec(dir, 300), Map.of(), null, new RunEvents(() -> admin));
        Thread t = new Thread(run);
        t.start();
        assertTrue(run.awaitFinished(60_000));
        // read at once, without waiting for the thread: the final state is announced after status.json is written
        String status = Files.readString(dir.resolve("status.json"));
        assertTrue(status.contains("\"state\": \"COMPLETED\"") && status.contains("\"iteration\": 300"), status);
        t.join(60_000);

        List<Event> progress = admin.topic(RunEvents.PROGRESS);
        assertFalse(progress.isEmpty(), "progress events");
        long previous = 0;
        for (Event e : progress) {
            long it = (Long) e.getProperty("iteration");
            assertTrue(it > previous, "iterations increase: " + progress);
            previous = it;
            assertEquals("events", e.getProperty("run"));
            assertEquals(300L, e.getProperty("iterations"));
            assertTrue(((Map<?, ?>) e.getProperty("losses")).containsKey("d_loss"), e.toString());
        }
        assertEquals(300L, progress.get(progress.size() - 1).getProperty("iteration"), "the last iteration is published");

        List<String> states = admin.topic(RunEvents.STATE).stream().map(e -> (String) e.getProperty("state")).toList();
        assertEquals(List.of("RUNNING", "COMPLETED"), states);
        Event last = admin.posted.get(admin.posted.size() - 1);
        assertEquals(RunEvents.STATE, last.getTopic(), "the final state is the last event");
        assertEquals(300L, last.getProperty("iteration"));
        assertEquals(1, admin.statusFileAtFinalEvent.size());
        assertTrue(admin.statusFileAtFinalEvent.get(0).contains("\"state\": \"COMPLETED\""),
                admin.statusFileAtFinalEvent.get(0));
    }

    @Test
    void pauseResumeAndStopArePublishedAndAStoppedRunsStatusJsonMatchesItsState(@TempDir Path dir) throws Exception {
        RecordingAdmin admin = new RecordingAdmin(dir);
        TrainingRun run = new TrainingRun(spec(dir, 1_000_000), Map.of(), null, new RunEvents(() -> admin));
        Thread t = new Thread(run);
        t.start();
        Waits.forIteration(run, 5);
        run.pause();
        awaitPaused(run);
        assertEquals(State.PAUSED, run.status().state);
        run.resume();
        run.stop();
        assertTrue(run.awaitFinished(60_000));
        RunStatusDTO s = run.status();
        assertEquals(State.STOPPED, s.state);
        String status = Files.readString(dir.resolve("status.json"));
        assertTrue(status.contains("\"state\": \"STOPPED\"") && status.contains("\"iteration\": " + s.iteration + ","),
                status + " vs " + s.summary);
        t.join(60_000);
        List<String> states = admin.topic(RunEvents.STATE).stream().map(e -> (String) e.getProperty("state")).toList();
        assertEquals("RUNNING", states.get(0));
        assertEquals("PAUSED", states.get(1));
        assertEquals("STOPPED", states.get(states.size() - 1), states.toString());
        assertTrue(admin.statusFileAtFinalEvent.get(0).contains("\"state\": \"STOPPED\""));
    }

    /**
     * losses.csv holds a row for every iteration done when a pause or a stop is announced, even when no progress
     * line has flushed it since the start (the in-Felix rebind test once read a file short of the rows still
     * buffered when STOPPED was announced).
     */
    @Test
    void aPausedOrStoppedRunsLossesAreOnDiskWhenItsStateIsAnnounced(@TempDir Path dir) throws Exception {
        RecordingAdmin admin = new RecordingAdmin(dir);
        TrainingRun run = new TrainingRun(spec(dir, 1_000_000, 3600), Map.of(), null, new RunEvents(() -> admin));
        Thread t = new Thread(run);
        t.start();
        Waits.forIteration(run, 5);
        run.pause();
        awaitPaused(run);
        long pausedAt = run.status().iteration;
        run.resume();
        Waits.forIteration(run, pausedAt + 5);
        run.stop();
        assertTrue(run.awaitFinished(60_000));
        long stoppedAt = run.status().iteration;
        t.join(60_000);
        assertEquals(List.of("PAUSED " + pausedAt + " " + pausedAt, "STOPPED " + stoppedAt + " " + stoppedAt),
                admin.lossRowsAtStateEvent);
    }

    private static void awaitPaused(TrainingRun run) throws InterruptedException {
        Waits.forState(run, State.PAUSED);
    }

    @Test
    void withoutEventAdminNothingIsPublishedAndTheRunTrains(@TempDir Path dir) throws Exception {
        TrainingRun run = new TrainingRun(spec(dir, 20), Map.of(), null, new RunEvents(() -> null));
        run.run();
        assertEquals(State.COMPLETED, run.status().state);
        assertNull(run.status().error);
        Map<?, ?> status = (Map<?, ?>) Json.read(Files.readString(dir.resolve("status.json")));
        assertEquals("COMPLETED", status.get("state"), status.toString());
        assertEquals(20.0, ((Number) status.get("iteration")).doubleValue(), status.toString());
    }
}
