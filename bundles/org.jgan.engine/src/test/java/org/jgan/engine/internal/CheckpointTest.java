package org.jgan.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jgan.api.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Checkpoints restore the full training state: training N+M straight equals N, save, restore, M. */
class CheckpointTest {

    private static GanModel model() {
        RunSpec spec = RunSpec.parse(Map.of("batchSize", "32", "architecture.hidden", "16", "lrD", "1e-3",
                "lrG", "1e-3", "dSteps", "2"), TestCatalog.create(), "ckpt");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        return new GanModel(spec, data);
    }

    private static void train(GanModel m, long from, long to) {
        for (long it = from; it < to; it++) {
            m.discriminatorStep(it, 0);
            m.discriminatorStep(it, 1);
            m.generatorStep(it);
        }
    }

    @Test
    void resumeIsExact(@TempDir Path dir) throws IOException {
        GanModel straight = model();
        train(straight, 0, 30);
        GanModel first = model();
        train(first, 0, 12);
        first.checkpoint(12).write(dir);
        GanModel resumed = model();
        Checkpoint c = Checkpoint.read(dir.resolve(Checkpoint.FILE));
        assertEquals(12, c.iteration());
        resumed.restore(c);
        train(resumed, 12, 30);
        Map<String, INDArray> a = straight.checkpoint(30).arrays();
        Map<String, INDArray> b = resumed.checkpoint(30).arrays();
        assertEquals(a.keySet(), b.keySet());
        assertTrue(a.keySet().stream().anyMatch(k -> k.startsWith("opt/")), "optimizer state is saved");
        for (String k : a.keySet()) {
            assertEquals(a.get(k), b.get(k), k);
        }
        assertEquals(straight.sample(10, 3), resumed.sample(10, 3));
    }

    @Test
    void writingReplacesAtomicallyAndCorruptFilesAreNamed(@TempDir Path dir) throws IOException {
        GanModel m = model();
        m.checkpoint(1).write(dir);
        m.checkpoint(2).write(dir);
        assertEquals(2, Checkpoint.read(dir.resolve(Checkpoint.FILE)).iteration());
        assertTrue(Files.notExists(dir.resolve(Checkpoint.FILE + ".tmp")));
        Path bad = dir.resolve("bad.zip");
        Files.writeString(bad, "not a zip");
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(bad));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }

    @Test
    void weightsAreSharedBetweenTrainingAndSamplingGraphs() {
        GanModel m = model();
        INDArray before = m.sample(8, 1);
        train(m, 0, 1);
        INDArray after = m.sample(8, 1);
        assertTrue(!before.equals(after), "a generator step must change what the sampler produces");
    }
}
