package org.jgan.engine.internal.folder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints restore the full training state: training N+M straight equals N, save, restore, M. */
class CheckpointTest {

    private static GanModel model() {
        return model(Map.of("batchSize", "32", "architecture.hidden", "16", "lrD", "1e-3", "lrG", "1e-3",
                "dSteps", "2"));
    }

    private static GanModel model(Map<String, String> raw) {
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "ckpt");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        return new GanModel(spec, data);
    }

    /**
     * An image run with every kind of state: batch-norm running statistics, a conditional dcgan, a lazy annealed
     * input-gradient penalty, InfoGAN's Q head and latent codes, the generator EMA; batch 32; batch norm's layers run
     * as the plans' fused kernels.
     */
    private static GanModel imageModel() {
        return model(Map.ofEntries(Map.entry("architecture", "dcgan"), Map.entry("architecture.channels", "8"),
                Map.entry("dataset", "test-images"), Map.entry("dataset.size", "28"),
                Map.entry("dataset.channels", "1"), Map.entry("dataset.classes", "4"), Map.entry("batchSize", "32"),
                Map.entry("latent", "16"), Map.entry("regularizers", "r1,infogan"),
                // a lazy, annealed penalty: its schedule position (D step count, iteration) must survive the resume
                Map.entry("regularizer.r1.every", "3"), Map.entry("regularizer.r1.anneal", "true"),
                Map.entry("regularizer.infogan.categorical", "4"), Map.entry("regularizer.infogan.continuous", "1"),
                Map.entry("ema", "0.9"), Map.entry("lrD", "1e-3"), Map.entry("lrG", "1e-3"), Map.entry("dSteps", "2"),
                Map.entry("metrics", "none")));
    }

    /**
     * Equal to the bit (INDArray's equals allows a difference of 1e-5, which a resume that sums in another order
     * would pass).
     */
    private static void assertSameBits(INDArray expected, INDArray actual, String what) {
        assertEquals(expected.dataType(), actual.dataType(), what);
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertArrayEquals(expected.data().asDouble(), actual.data().asDouble(), 0.0, what);
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
            assertSameBits(a.get(k), b.get(k), k);
        }
        assertEquals(straight.sample(10, 3), resumed.sample(10, 3));
    }

    @Test
    void imageRunResumesExactly(@TempDir Path dir) throws IOException {
        Map<String, Long> kernels = GraphPlan.kernelCalls();
        GanModel straight = imageModel();
        train(straight, 0, 6);
        GanModel first = imageModel();
        train(first, 0, 3);
        first.checkpoint(3).write(dir);
        GanModel resumed = imageModel();
        resumed.restore(Checkpoint.read(dir.resolve(Checkpoint.FILE)));
        train(resumed, 3, 6);
        Map<String, INDArray> a = straight.checkpoint(6).arrays();
        Map<String, INDArray> b = resumed.checkpoint(6).arrays();
        assertEquals(a.keySet(), b.keySet());
        for (String prefix : new String[] {"opt/", "ema/", "buffer/g/", "param/d/q/"}) {
            assertTrue(a.keySet().stream().anyMatch(k -> k.startsWith(prefix)), prefix + " state is saved: "
                    + a.keySet());
        }
        for (String k : a.keySet()) {
            assertSameBits(a.get(k), b.get(k), k);
        }
        assertEquals(straight.sample(8, 3), resumed.sample(8, 3));
        // batch norm's layers ran as the plans' fused kernels, whose sums must repeat their order too
        assertTrue(GraphPlan.kernelCalls().getOrDefault("batch_norm_train_bp", 0L)
                > kernels.getOrDefault("batch_norm_train_bp", 0L), "batch norm's fused kernels ran");
    }

    @Test
    void checkpointsRecordTheirFormatAndOlderFormatsStillLoad(@TempDir Path dir) throws IOException {
        GanModel m = model();
        train(m, 0, 3);
        m.checkpoint(3).write(dir);
        Path file = dir.resolve(Checkpoint.FILE);
        Map<String, byte[]> entries = entries(file);
        assertEquals(Integer.toString(Checkpoint.FORMAT), new String(entries.get(Checkpoint.FORMAT_ENTRY),
                java.nio.charset.StandardCharsets.US_ASCII));
        // a checkpoint written before the format entry existed (format 1) restores the same state
        Path old = dir.resolve("format1.zip");
        Map<String, byte[]> withoutFormat = new java.util.LinkedHashMap<>(entries);
        withoutFormat.remove(Checkpoint.FORMAT_ENTRY);
        zip(old, withoutFormat);
        GanModel restored = model();
        Checkpoint c = Checkpoint.read(old);
        restored.restore(c);
        c.free();
        assertEquals(3, c.iteration());
        Map<String, INDArray> want = m.checkpoint(3).arrays();
        Map<String, INDArray> got = restored.checkpoint(3).arrays();
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, a) -> assertEquals(a, got.get(k), k));
        // a newer format is refused, naming both versions
        Map<String, byte[]> newer = new java.util.LinkedHashMap<>(entries);
        newer.put(Checkpoint.FORMAT_ENTRY, Integer.toString(Checkpoint.FORMAT + 1).getBytes(
                java.nio.charset.StandardCharsets.US_ASCII));
        Path future = dir.resolve("future.zip");
        zip(future, newer);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(future));
        assertTrue(e.getMessage().contains("has format " + (Checkpoint.FORMAT + 1)) && e.getMessage().contains(
                "reads formats 1 to " + Checkpoint.FORMAT) && e.getMessage().contains(future.toString()), e.getMessage());
    }

    private static Map<String, byte[]> entries(Path file) throws IOException {
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (java.util.zip.ZipInputStream zip = new java.util.zip.ZipInputStream(Files.newInputStream(file))) {
            for (java.util.zip.ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                entries.put(e.getName(), zip.readAllBytes());
            }
        }
        return entries;
    }

    private static void zip(Path file, Map<String, byte[]> entries) throws IOException {
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
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
