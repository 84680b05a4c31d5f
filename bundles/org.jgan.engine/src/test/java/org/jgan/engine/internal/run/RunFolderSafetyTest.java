package org.jgan.engine.internal.run;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.Waits;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.folder.RunLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run folder has one trainer, and its logs agree with its checkpoint: a second trainer is refused (in this
 * process or another) and writes nothing; a resumed run cuts its logs back to the checkpoint and ends with the same
 * losses.csv as an uninterrupted run; it resumes with the configuration its checkpoint recorded.
 */
class RunFolderSafetyTest {

    private static RunSpec spec(Path dir, Map<String, String> settings) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", "32", "batchSize",
                "64", "sampleInterval", "0", "outputDir", dir.toString()));
        raw.putAll(settings);
        return RunSpec.parse(raw, TestCatalog.create(), "safety");
    }

    private static TrainingRun start(TrainingRun run) {
        Thread t = new Thread(run, "jgan-run-" + run.id());
        t.setDaemon(true);
        t.start();
        return run;
    }

    private static void finish(TrainingRun run) throws InterruptedException {
        assertTrue(run.awaitFinished(Waits.DEADLINE_MILLIS), "run did not finish: " + run.status().summary);
    }

    @Test
    void aSecondTrainerInThisProcessIsRefusedAndWritesNothing(@TempDir Path dir) throws Exception {
        TrainingRun first = start(new TrainingRun(spec(dir, Map.of("iterations", "1000000", "name", "first")),
                Map.of()));
        Waits.forIteration(first, 3);
        String config = Files.readString(dir.resolve("config.json"));
        TrainingRun second = new TrainingRun(spec(dir, Map.of("iterations", "10", "name", "second")), Map.of());
        second.run();
        assertEquals(State.FAILED, second.status().state);
        assertEquals("run folder " + dir.toAbsolutePath() + " is being trained by this process (pid "
                + ProcessHandle.current().pid() + ", run 'first'); expected one trainer per run folder: stop that one, "
                + "or choose another name= or outputDir=", second.status().error);
        assertEquals(config, Files.readString(dir.resolve("config.json")), "the refused trainer rewrote config.json");
        assertFalse(Files.exists(dir.resolve("status.json")), "the refused trainer wrote status.json");
        first.stop();
        finish(first);
        assertEquals(State.STOPPED, first.status().state);
        // the folder is free again: the same run resumes at once
        TrainingRun again = new TrainingRun(spec(dir, Map.of("iterations", "10", "name", "first")), Map.of());
        again.run();
        assertEquals(State.COMPLETED, again.status().state, again.status().summary);
    }

    /** A source file that the test runs as another JVM: it locks the folder as a trainer would, then waits. */
    private static final String HOLDER = """
            import java.nio.channels.FileChannel;
            import java.nio.file.*;
            public class Holder {
                public static void main(String[] a) throws Exception {
                    FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    c.tryLock();
                    c.write(java.nio.ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + " on host elsewhere\\n").getBytes()));
                    System.out.println("locked");
                    Thread.sleep(600_000);
                }
            }
            """;

    @Test
    void aFolderLockedByAnotherProcessIsRefusedAndFreedWhenThatProcessIsKilled(@TempDir Path dir) throws Exception {
        Path runDir = dir.resolve("run");
        Files.createDirectories(runDir);
        Path source = dir.resolve("Holder.java");
        Files.writeString(source, HOLDER);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process holder = new ProcessBuilder(java, source.toString(), runDir.resolve(RunLock.FILE).toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine(), "the holder process did not lock the folder");
            TrainingRun refused = new TrainingRun(spec(runDir, Map.of("iterations", "5")), Map.of());
            refused.run();
            assertEquals(State.FAILED, refused.status().state);
            assertTrue(refused.status().error.contains("is being trained by pid " + holder.pid() + " on host elsewhere"),
                    refused.status().error);
        } finally {
            holder.destroyForcibly(); // kill -9: the operating system releases its lock
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        TrainingRun after = new TrainingRun(spec(runDir, Map.of("iterations", "5")), Map.of());
        after.run();
        assertEquals(State.COMPLETED, after.status().state, after.status().summary);
    }

    @Test
    void aResumedRunCutsItsLogsBackAndEndsWithTheUninterruptedRunsLosses(@TempDir Path dir) throws Exception {
        Path straight = dir.resolve("straight");
        new TrainingRun(spec(straight, Map.of("iterations", "40")), Map.of()).run();
        Path resumed = dir.resolve("resumed");
        TrainingRun part = start(new TrainingRun(spec(resumed, Map.of("iterations", "40", "checkpointInterval", "1")),
                Map.of()));
        Waits.forIteration(part, 12);
        part.stop();
        finish(part);
        long at = Checkpoint.read(resumed.resolve("checkpoints").resolve(Checkpoint.FILE)).iteration();
        // what a crash after the checkpoint leaves: rows trained past it, one cut short, later history rows
        Files.writeString(resumed.resolve("losses.csv"), (at + 1) + ",1,2,3,4\n" + (at + 2) + ",1,2,3,4\n2",
                java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(resumed.resolve("history.csv"), "iteration,setting,from,to\n" + at + ",lrD,1,2\n");
        Files.writeString(resumed.resolve("checkpoints").resolve("checkpoint.zip.99999.tmp"), "junk");
        TrainingRun rest = new TrainingRun(spec(resumed, Map.of("iterations", "40", "checkpointInterval", "1")),
                Map.of());
        rest.run();
        assertEquals(State.COMPLETED, rest.status().state, rest.status().summary);
        assertEquals(Files.readAllLines(straight.resolve("losses.csv")), Files.readAllLines(resumed.resolve("losses.csv")));
        assertEquals(List.of("iteration,setting,from,to"), Files.readAllLines(resumed.resolve("history.csv")));
        assertFalse(Files.exists(resumed.resolve("checkpoints").resolve("checkpoint.zip.99999.tmp")));
    }

    @Test
    void aRunResumesWithItsRecordedConfigurationAndTakesGivenSettingsAsALiveChange(@TempDir Path dir)
            throws Exception {
        ComponentCatalog catalog = TestCatalog.create();
        TrainingRun first = new TrainingRun(spec(dir, Map.of("iterations", "6", "checkpointInterval", "3")), Map.of(),
                catalog);
        first.run();
        // a live swap to another loss, recorded in the checkpoint the stop writes
        TrainingRun swapped = start(new TrainingRun(spec(dir, Map.of("iterations", "1000000", "checkpointInterval",
                "0")), Map.of(), catalog, RunListener.NONE, Map.of("iterations", "1000000")));
        Waits.forIteration(swapped, 8);
        swapped.requestChange(spec(dir, Map.of("iterations", "1000000", "checkpointInterval", "0", "loss", "hinge")));
        Waits.until(() -> swapped.spec().loss().name().equals("hinge"), Waits.DEADLINE_MILLIS,
                () -> swapped.status().summary);
        swapped.stop();
        finish(swapped);
        long at = swapped.status().iteration;
        // resumed with only iterations given: the loss stays hinge, the new length is a recorded live change
        TrainingRun resumed = new TrainingRun(spec(dir, Map.of("iterations", Long.toString(at + 5))), Map.of(),
                catalog, RunListener.NONE, Map.of("iterations", Long.toString(at + 5)));
        resumed.run();
        assertEquals(State.COMPLETED, resumed.status().state, resumed.status().summary);
        assertEquals("hinge", resumed.spec().loss().name());
        assertEquals(at + 5, resumed.status().iteration);
        List<String> history = Files.readAllLines(dir.resolve("history.csv"));
        assertTrue(history.contains(at + ",iterations,1000000," + (at + 5)), history.toString());
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"loss\": \"hinge\""));
        // a given setting that fixes the networks is refused, naming it; the checkpoint stays as it was
        byte[] checkpoint = Files.readAllBytes(dir.resolve("checkpoints").resolve(Checkpoint.FILE));
        Files.delete(dir.resolve("status.json"));
        TrainingRun wider = new TrainingRun(spec(dir, Map.of("iterations", "1000", "architecture.hidden", "64")),
                Map.of(), catalog, RunListener.NONE, Map.of("architecture.hidden", "64"));
        wider.run();
        assertEquals(State.FAILED, wider.status().state);
        assertEquals("run 'safety' resumes from its checkpoint at iteration " + (at + 5) + ", trained with other "
                + "settings that cannot change: architecture.hidden 32 -> 64; expected the recorded values (see "
                + "config.json), or another name= or outputDir= for a new run", wider.status().error);
        assertTrue(java.util.Arrays.equals(checkpoint,
                Files.readAllBytes(dir.resolve("checkpoints").resolve(Checkpoint.FILE))));
        // an edited configuration (a restart) takes such a change from the checkpoint on, and records it
        TrainingRun restarted = new TrainingRun(spec(dir, Map.of("iterations", Long.toString(at + 7), "batchSize",
                "32")), Map.of(), catalog, RunListener.NONE, null).restarting();
        restarted.run();
        assertEquals(State.COMPLETED, restarted.status().state, restarted.status().summary);
        assertTrue(Files.readAllLines(dir.resolve("history.csv")).contains((at + 5) + ",batchSize,64,32"));
    }

    @Test
    void loweringIterationsToWhereTheRunIsCompletesItThere(@TempDir Path dir) throws Exception {
        TrainingRun run = start(new TrainingRun(spec(dir, Map.of("iterations", "1000000")), Map.of()));
        Waits.forIteration(run, 5);
        run.requestChange(spec(dir, Map.of("iterations", "2")));
        finish(run);
        assertEquals(State.COMPLETED, run.status().state);
        // it ends where it was when the change came (at least 5), without training on past the new length, and its
        // status does not claim more iterations than it ran (it showed "COMPLETED it 3/2" before)
        assertTrue(run.status().iteration >= 5, run.status().summary);
        assertEquals(run.status().iteration, run.status().iterations, run.status().summary);
        assertEquals(run.status().iteration, Files.readAllLines(dir.resolve("losses.csv")).size() - 1L);
    }
}
