package org.jgan.engine.internal.analysis;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Latent interpolation and vector arithmetic reproduce the samples they start from, cell by cell. */
class LatentExplorerTest {

    private static final int SIZE = 28;
    private static final int CELL = SIZE + 1;

    private static GanModel model(int classes) {
        Map<String, String> raw = Map.of("architecture", "dcgan", "architecture.channels", "4", "dataset",
                "test-images", "dataset.size", "28", "dataset.channels", "1", "dataset.classes",
                String.valueOf(classes), "batchSize", "8", "latent", "8", "metrics", "none");
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "explore");
        GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        for (int it = 0; it < 2; it++) { // trained a little, so batch norm's running statistics are not the initial ones
            m.discriminatorStep(it, 0);
            m.generatorStep(it);
        }
        return m;
    }

    /** Pixels of grid cell (row, col). */
    private static int[] cell(BufferedImage img, int row, int col) {
        return img.getRGB(1 + col * CELL, 1 + row * CELL, SIZE, SIZE, null, 0, SIZE);
    }

    private static boolean same(int[] a, int[] b) {
        return java.util.Arrays.equals(a, b);
    }

    @Test
    void interpolationRowsRunFromSample2rToSample2rPlus1(@TempDir Path dir) throws Exception {
        for (int classes : new int[] {0, 3}) {
            GanModel m = model(classes);
            LatentExplorer x = new LatentExplorer(m.players(), dir);
            BufferedImage samples = ImageIO.read(x.sample(16, 42).toFile());
            for (boolean spherical : new boolean[] {false, true}) {
                BufferedImage grid = ImageIO.read(x.interpolate(3, 5, 42, spherical).toFile());
                assertEquals(5 * CELL + 1, grid.getWidth());
                assertEquals(3 * CELL + 1, grid.getHeight());
                for (int r = 0; r < 3; r++) {
                    // the 16 samples lie in a 4 x 4 grid; sample i at row i / 4, column i % 4
                    int a = 2 * r;
                    int b = 2 * r + 1;
                    assertTrue(same(cell(samples, a / 4, a % 4), cell(grid, r, 0)), "row " + r + " starts at sample " + a);
                    if (classes == 0) {
                        // in conditional runs the row keeps sample 2r's class, so its end is sample 2r+1 only in its z
                        assertTrue(same(cell(samples, b / 4, b % 4), cell(grid, r, 4)), "row " + r + " ends at sample " + b);
                    }
                    assertTrue(!same(cell(grid, r, 0), cell(grid, r, 2)), "the middle of row " + r + " differs from its start");
                }
            }
        }
    }

    @Test
    void arithmeticOfSingleSamplesReproducesThem(@TempDir Path dir) throws Exception {
        GanModel m = model(0);
        LatentExplorer x = new LatentExplorer(m.players(), dir);
        BufferedImage samples = ImageIO.read(x.sample(16, 7).toFile());
        // 5 - 5 + 9 = z_9: the result cell is sample 9, and noise 0 makes every variant the same
        BufferedImage grid = ImageIO.read(x.arithmetic("5 - 5 + 9", 7, 2, 0).toFile());
        assertEquals(4 * CELL + 1, grid.getHeight(), "three term rows and a result row");
        assertTrue(same(cell(samples, 1, 1), cell(grid, 0, 0)), "term 1 shows sample 5");
        assertTrue(same(cell(samples, 1, 1), cell(grid, 0, 1)), "the average of one sample is that sample");
        assertTrue(same(cell(samples, 2, 1), cell(grid, 3, 0)), "the result is sample 9");
        assertTrue(same(cell(grid, 3, 0), cell(grid, 3, 2)), "noise 0 leaves the variants equal to the result");
        // with noise the variants move away from the result
        BufferedImage noisy = ImageIO.read(x.arithmetic("9", 7, 2, 2.0).toFile());
        assertTrue(!same(cell(noisy, 1, 0), cell(noisy, 1, 1)), "noise 2 changes a variant");
    }

    @Test
    void averagesAndSignsFollowTheExpression() {
        assertEquals(List.of(new LatentExplorer.Term(1, List.of(12, 31, 40)), new LatentExplorer.Term(-1, List.of(3)),
                new LatentExplorer.Term(1, List.of(55, 61))), LatentExplorer.parse("12,31,40 - 3 + 55,61"));
        assertEquals(List.of(new LatentExplorer.Term(-1, List.of(2))), LatentExplorer.parse("-2"));
        for (String bad : new String[] {"", "1,,2", "1 + ", "a - b", "1 * 2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LatentExplorer.parse(bad));
            assertTrue(e.getMessage().contains("expected terms of comma-separated sample indices"), e.getMessage());
        }
    }

    @Test
    void sphericalInterpolationKeepsTheNormWhereLinearShrinksIt() {
        INDArray z0 = Nd4j.createFromArray(3f, 0f, 0f, 0f);
        INDArray z1 = Nd4j.createFromArray(0f, 3f, 0f, 0f);
        assertEquals(3, LatentExplorer.mix(z0, z1, 0.5, true).norm2Number().doubleValue(), 1e-5);
        assertEquals(3 / Math.sqrt(2), LatentExplorer.mix(z0, z1, 0.5, false).norm2Number().doubleValue(), 1e-5);
        assertEquals(z1, LatentExplorer.mix(z0, z1, 1, true).castTo(DataType.FLOAT));
        assertEquals(z0, LatentExplorer.mix(z0, z1, 0, false));
    }

    @Test
    void outOfRangeValuesAreNamed(@TempDir Path dir) {
        LatentExplorer x = new LatentExplorer(model(0).players(), dir);
        assertEquals("steps is 1; expected 2..32",
                assertThrows(IllegalArgumentException.class, () -> x.interpolate(2, 1, 1, false)).getMessage());
        assertEquals("index is 5000; expected 0..1023",
                assertThrows(IllegalArgumentException.class, () -> x.arithmetic("5000", 1, 8, 0.25)).getMessage());
        assertEquals("count is 0; expected 1..1024",
                assertThrows(IllegalArgumentException.class, () -> x.sample(0, 1)).getMessage());
    }
}
