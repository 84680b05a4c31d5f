package org.jgan.engine.internal.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bytedeco.javacpp.Pointer;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Json;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A finished run gives back what it held: after many small runs in one process, one after another and side by
 * side, the resident size is where it was after the first, and no graph is left open. Before runs released their
 * memory, each of these runs left about 100 MB resident (measured on this test before the change: see docs/memory.md).
 */
class RunMemoryTest {

    private static final long DEADLINE_MILLIS = 120_000;

    private static TrainingRun run(Path dir, String name, List<RunStatusDTO> progress) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "iterations", "150", "batchSize", "256",
                "architecture.hidden", "64", "sampleInterval", "100", "progressInterval", "0.1",
                "outputDir", dir.resolve(name).toString()));
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), name);
        return new TrainingRun(spec, Map.of(), null, new RunListener() {
            @Override
            public void progress(RunStatusDTO status) {
                progress.add(status);
            }

            @Override
            public void stateChanged(RunStatusDTO status) {
            }
        });
    }

    /** Starts the runs side by side and waits for all of them, failing with their states past the deadline. */
    private static void trainAll(List<TrainingRun> runs) throws InterruptedException {
        for (TrainingRun r : runs) {
            Thread t = new Thread(r, "jgan-run-" + r.id());
            t.setDaemon(true);
            t.start();
        }
        for (TrainingRun r : runs) {
            assertTrue(r.awaitFinished(DEADLINE_MILLIS), "run " + r.id() + " did not finish in time: " + r.status().summary);
            assertEquals(State.COMPLETED, r.status().state, r.status().summary);
        }
    }

    private static long resident() {
        return Pointer.physicalBytes();
    }

    @Test
    void finishedRunsGiveBackTheirMemory(@TempDir Path dir) throws Exception {
        int openBefore = GraphMemory.open();
        List<RunStatusDTO> progress = new CopyOnWriteArrayList<>();
        TrainingRun first = run(dir, "m0", progress);
        trainAll(List.of(first));
        long afterFirst = resident();
        List<Long> residents = new ArrayList<>(List.of(afterFirst));
        for (int i = 1; i <= 4; i++) {
            trainAll(List.of(run(dir, "m" + i, progress)));
            residents.add(resident());
        }
        trainAll(List.of(run(dir, "p1", progress), run(dir, "p2", progress)));
        long last = resident();
        residents.add(last);
        String seen = "resident MB after each: " + residents.stream().map(b -> b / 1_000_000).toList();
        assertTrue(last <= 1.3 * afterFirst, "resident size grew with finished runs; " + seen);
        assertEquals(openBefore, GraphMemory.open(), "graphs left open by finished runs");
        assertEquals(0, first.status().heldBytes, "a finished run still reports held bytes");

        // while training, a run reports at least its parameters and Adam's two moments (4-byte floats), counted
        // from config.json's parameter counts
        String config = Files.readString(dir.resolve("m0").resolve("config.json"));
        Map<?, ?> counts = (Map<?, ?>) ((Map<?, ?>) Json.read(config)).get("parameters");
        long params = ((Number) counts.get("generator")).longValue() + ((Number) counts.get("discriminator")).longValue();
        RunStatusDTO during = progress.get(0);
        assertTrue(during.heldBytes >= 3 * 4 * params, "held " + during.heldBytes + " bytes for " + params
                + " parameters while training; expected at least " + 3 * 4 * params);
        assertTrue(during.heldBytes < 1_000_000_000L, "held " + during.heldBytes + " bytes for a tiny MLP");
    }
}
