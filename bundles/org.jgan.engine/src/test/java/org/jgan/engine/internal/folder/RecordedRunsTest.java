package org.jgan.engine.internal.folder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runs of runs/ that a runtime does not train, with their recorded state; an interrupted one said to be so. */
class RecordedRunsTest {

    private static Path run(Path root, String name, String status) throws Exception {
        Path dir = Files.createDirectories(root.resolve(name));
        if (status != null) {
            Files.writeString(dir.resolve("status.json"), status);
        }
        return dir;
    }

    @Test
    void recordedStatesWithTheInterruptedOnesSaidToBeStopped(@TempDir Path root) throws Exception {
        run(root, "done", "{\"state\": \"COMPLETED\", \"iteration\": 500, \"iterations\": 500, "
                + "\"losses\": {\"d_loss\": 1.25, \"g_r1\": null}, \"metrics\": {\"mixture.modes\": 8.0}, \"error\": null}");
        Path killed = run(root, "killed", "{\"state\": \"RUNNING\", \"iteration\": 120, \"iterations\": 1000}");
        Files.writeString(killed.resolve(RunLock.FILE), "pid 1 on host gone"); // its process ended: no lock held
        Path live = run(root, "live", "{\"state\": \"PAUSED\", \"iteration\": 7, \"iterations\": 10}");
        run(root, "mine", "{\"state\": \"RUNNING\", \"iteration\": 3, \"iterations\": 10}");
        run(root, "no-status", null);
        run(root, "garbled", "{\"state\": ");
        run(root, "odd-state", "{\"state\": \"EXPLODED\"}");
        try (RunLock held = RunLock.acquire(live, "live")) {
            List<RunStatusDTO> found = RecordedRuns.in(root, Set.of("mine"));
            assertEquals(List.of("done", "killed", "live"), found.stream().map(s -> s.id).toList());
            RunStatusDTO done = found.get(0);
            assertEquals(State.COMPLETED, done.state);
            assertEquals(500, done.iteration);
            assertEquals(1.25, done.losses.get("d_loss"));
            assertEquals(Double.NaN, done.losses.get("g_r1"));
            assertEquals(8.0, done.metrics.get("mixture.modes"));
            assertNull(done.error);
            assertEquals(root.resolve("done").toAbsolutePath().normalize().toString(), done.outputDir);
            assertEquals(State.STOPPED, found.get(1).state, "RUNNING recorded, but nothing holds its folder");
            assertEquals(RecordedRuns.INTERRUPTED, found.get(1).error);
            assertEquals(120, found.get(1).iteration);
            assertEquals(State.PAUSED, found.get(2).state, "its folder is held: it is what it says");
        }
        assertEquals(State.STOPPED, RecordedRuns.read(live).state, "once the holder is gone, interrupted");
        assertEquals(List.of(), RecordedRuns.in(root.resolve("absent"), Set.of()));
    }
}
