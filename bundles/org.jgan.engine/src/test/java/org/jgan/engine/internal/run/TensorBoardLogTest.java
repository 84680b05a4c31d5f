package org.jgan.engine.internal.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.TfEventReader;
import org.jgan.engine.internal.TfEventReader.Item;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.EventFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's TensorBoard event files hold what its CSV logs and sample folder hold: every loss term at every iteration,
 * the learning rates and the terms' weights, the scores and the plots at each evaluation; a resumed run's file
 * starts where its checkpoint was.
 */
class TensorBoardLogTest {

    private static RunSpec spec(Path dir, int iterations) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", "16",
                "batchSize", "32", "lrD", "2e-4", "regularizers", "roth", "regularizer.roth.anneal", "true",
                "metrics", "mixture", "sampleInterval", "20", "checkpointInterval", "0"));
        raw.put("iterations", Integer.toString(iterations));
        raw.put("outputDir", dir.toString());
        return RunSpec.parse(raw, TestCatalog.create(), "tb");
    }

    private static void train(RunSpec spec) throws InterruptedException {
        TrainingRun run = new TrainingRun(spec, Map.of());
        Thread t = new Thread(run);
        t.start();
        assertTrue(run.awaitFinished(120_000), "the run ends within 2 minutes: " + run.status().summary);
        t.join(60_000);
        assertEquals(State.COMPLETED, run.status().state, run.status().summary);
    }

    private static List<Path> eventFiles(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(EventFile.PREFIX)).sorted().toList();
        }
    }

    @Test
    void everyLossTermScoreAndPlotOfTheRunIsInItsEventFile(@TempDir Path dir) throws Exception {
        train(spec(dir, 40));
        List<Path> files = eventFiles(dir);
        assertEquals(1, files.size(), files.toString());
        List<Item> items = TfEventReader.read(files.get(0));

        // losses.csv, row by row and column by column, at float32 precision (the CSV has 6 significant digits)
        List<String> csv = Files.readAllLines(dir.resolve("losses.csv"));
        String[] columns = csv.get(0).split(",");
        Map<String, Item> scalars = items.stream().filter(i -> i.kind().equals("scalar"))
                .collect(Collectors.toMap(i -> i.step() + " " + i.tag(), i -> i));
        assertEquals(41, csv.size(), "40 rows");
        for (String row : csv.subList(1, csv.size())) {
            String[] cells = row.split(",", -1);
            for (int c = 1; c < columns.length; c++) {
                Item item = scalars.get(cells[0] + " loss/" + columns[c]);
                assertTrue(item != null, "iteration " + cells[0] + " " + columns[c]);
                double expected = Double.parseDouble(cells[c]);
                assertEquals(expected, item.value(), 1e-5 * Math.max(1, Math.abs(expected)), row);
            }
            long it = Long.parseLong(cells[0]);
            assertEquals((double) 2e-4f, scalars.get(it + " lr/discriminator").value(), 0);
            assertEquals((double) 1e-4f, scalars.get(it + " lr/generator").value(), 0, "the default lrG");
            // annealed: gamma * 0.01^(iteration / iterations), the weight the step used
            double weight = 1.0 * Math.pow(0.01, (it - 1) / 40.0);
            assertEquals(weight, scalars.get(it + " weight/roth").value(), 1e-6 * weight, "roth at " + it);
        }
        // metrics.csv's scores at 20 and 40, and the sample folder's plots of those iterations, byte for byte
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.csv"));
        assertTrue(metrics.size() > 2, metrics.toString());
        for (String row : metrics.subList(1, metrics.size())) {
            String[] f = row.split(",");
            Item item = scalars.get(f[0] + " score/" + f[1]);
            assertTrue(item != null, "score " + row);
            assertEquals(Double.parseDouble(f[2]), item.value(), 1e-6 * Math.max(1, Math.abs(Double.parseDouble(f[2]))));
        }
        List<Item> images = items.stream().filter(i -> i.kind().equals("image")).toList();
        assertEquals(List.of("20 scatter", "40 scatter"), images.stream().map(i -> i.step() + " " + i.tag()).toList());
        byte[] png = Files.readAllBytes(dir.resolve("samples/iter-0000040-scatter.png"));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)),
                images.get(1).fields()[3]);
    }

    @Test
    void aResumedRunWritesASecondFileThatStartsAfterItsCheckpoint(@TempDir Path dir) throws Exception {
        train(spec(dir, 20));
        // the same run, longer: resumed from the checkpoint at 20
        train(spec(dir, 30));
        List<Path> files = eventFiles(dir);
        assertEquals(2, files.size(), files.toString());
        List<Item> second = TfEventReader.read(files.get(1));
        assertEquals("session", second.get(1).kind());
        assertEquals(21, second.get(1).step(), "TensorBoard drops what the first file has from step 21 on");
        List<Long> lossSteps = second.stream().filter(i -> i.tag().equals("loss/d_loss")).map(Item::step).toList();
        assertEquals(21L, lossSteps.get(0));
        assertEquals(30L, lossSteps.get(lossSteps.size() - 1));
    }
}
