package org.jgan.engine.internal.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sampling-time controls (issue 20): a chosen class, architecture options that act only at sampling time (BigGAN's
 * truncation, StyleGAN's psi) and the refusal of those that would change the parameters, style mixing grids and
 * InfoGAN code traversals, each checked cell by cell against the samples it is built from.
 */
class SamplingControlsTest {

    private static final ComponentCatalog CATALOG = TestCatalog.create();

    /** A run trained two iterations, its checkpoint written to {@code dir}. */
    private static RunSpec run(Path dir, Map<String, String> settings) throws java.io.IOException {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "test-images", "dataset.size", "28",
                "dataset.channels", "1", "batchSize", "8", "latent", "8", "metrics", "none", "outputDir",
                dir.toString()));
        raw.putAll(settings);
        RunSpec spec = RunSpec.parse(raw, CATALOG, "controls");
        GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        try {
            for (int it = 0; it < 2; it++) {
                m.discriminatorStep(it, 0);
                m.generatorStep(it);
            }
            var c = m.checkpoint(2);
            c.write(new RunFolder(dir).checkpoints());
            c.free();
        } finally {
            m.close();
        }
        return spec;
    }

    private static BufferedImage read(String file) throws Exception {
        return ImageIO.read(Path.of(file).toFile());
    }

    /** Pixels of grid cell (row, col) for square images of {@code size}. */
    private static int[] cell(BufferedImage img, int size, int row, int col) {
        return img.getRGB(1 + col * (size + 1), 1 + row * (size + 1), size, size, null, 0, size);
    }

    /** Sum of squared differences of two gray cells. */
    private static long distance(int[] a, int[] b) {
        long d = 0;
        for (int i = 0; i < a.length; i++) {
            long x = (a[i] & 0xff) - (b[i] & 0xff);
            d += x * x;
        }
        return d;
    }

    @Test
    void aChosenClassGivesEverySampleThatClassWithItsOwnLatent(@TempDir Path dir) throws Exception {
        RunSpec spec = run(dir, Map.of("architecture", "dcgan", "architecture.channels", "4", "dataset.classes", "3"));
        Analysis a = new Analysis(CATALOG, id -> spec);
        // 9 samples in a 3 x 3 grid; by default sample i has class i mod 3
        BufferedImage cycling = read(a.sample("controls", Map.of("count", "9", "seed", "5")));
        BufferedImage one = read(a.sample("controls", Map.of("count", "9", "seed", "5", "class", "1")));
        for (int i = 0; i < 9; i++) {
            boolean same = Arrays.equals(cell(cycling, 28, i / 3, i % 3), cell(one, 28, i / 3, i % 3));
            assertEquals(i % 3 == 1, same, "sample " + i + " (class " + i % 3 + " by default, 1 now)");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.sample("controls", Map.of("class", "3")));
        assertEquals("class is 3; expected 0..2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.sample("controls", Map.of("class", "one")));
        assertEquals("sample on run 'controls': class is 'one'; expected an integer", e.getMessage());
    }

    @Test
    void samplingTimeOptionsApplyAndOptionsThatChangeTheParametersAreRefused(@TempDir Path dir) throws Exception {
        RunSpec spec = run(dir, Map.of("architecture", "biggan", "architecture.channels", "4",
                "architecture.embedding", "4", "dataset.size", "32", "dataset.classes", "2"));
        Analysis a = new Analysis(CATALOG, id -> spec);
        // truncation 0 resamples every latent component to 0: each sample is G(0, its class), so samples of one
        // class are all the same image, while without truncation they differ
        BufferedImage plain = read(a.sample("controls", Map.of("count", "4", "class", "0")));
        BufferedImage truncated = read(a.sample("controls", Map.of("count", "4", "class", "0", "truncation", "0")));
        assertFalse(Arrays.equals(cell(plain, 32, 0, 0), cell(plain, 32, 0, 1)), "samples differ untruncated");
        for (int i = 1; i < 4; i++) {
            assertArrayEquals(cell(truncated, 32, 0, 0), cell(truncated, 32, i / 2, i % 2), "sample " + i + " is G(0)");
        }
        // only the options the architecture declares for its sampling graphs: others could change the parameters
        // or what the networks compute
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.sample("controls", Map.of("architecture.channels", "8")));
        assertEquals("run 'controls', architecture 'biggan': 'channels' is not an option of its sampling graphs; "
                + "expected one of [truncation] besides the command's own", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.sample("controls", Map.of("psi", "0.5")));
        assertEquals("run 'controls', architecture 'biggan': 'psi' is not an option of its sampling graphs; "
                + "expected one of [truncation] besides the command's own", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.sample("controls", Map.of("truncation", "-1")));
        assertTrue(e.getMessage().startsWith("run 'controls', architecture 'biggan': option 'truncation' has value "
                + "'-1'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.sample("controls", Map.of("class", "-2")));
        assertEquals("sample on run 'controls': class is -2; expected a value >= 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.mix("controls", Map.of("rows", "0",
                "columns", "1")));
        assertEquals("the run's generator has no style layers to mix; expected a StyleGAN run (architecture "
                + "stylegan)", e.getMessage());
    }

    @Test
    void styleMixingTakesTheCoarseStylesFromTheRowAndTheOthersFromTheColumn(@TempDir Path dir) throws Exception {
        RunSpec spec = run(dir, Map.of("architecture", "stylegan", "architecture.channels", "4",
                "architecture.wDim", "8", "architecture.mappingLayers", "2", "dataset.size", "32"));
        Analysis a = new Analysis(CATALOG, id -> spec);
        // rows 2 and 5 against columns 2 and 5: the diagonal mixes a latent with itself
        BufferedImage grid = read(a.mix("controls", Map.of("rows", "2,5", "columns", "2,5", "layer", "3")));
        assertEquals(3 * 33 + 1, grid.getWidth());
        assertEquals(3 * 33 + 1, grid.getHeight());
        // the column headers are generated in a batch of two, as every row's mixed cells are, so per-pixel noise is
        // drawn alike and a latent mixed with itself is its header
        assertArrayEquals(cell(grid, 32, 0, 1), cell(grid, 32, 1, 1), "2 mixed with 2 is sample 2");
        assertArrayEquals(cell(grid, 32, 0, 2), cell(grid, 32, 2, 2), "5 mixed with 5 is sample 5");
        assertFalse(Arrays.equals(cell(grid, 32, 1, 2), cell(grid, 32, 0, 2)), "2's coarse styles change sample 5");
        assertFalse(Arrays.equals(cell(grid, 32, 1, 2), cell(grid, 32, 1, 1)), "5's fine styles change sample 2");
        assertArrayEquals(cell(grid, 32, 0, 1), cell(grid, 32, 1, 0), "the row sources are generated as the columns'");
        // the direction: crossing over at layer 1 takes only the first style (4x4) from the row's sample and the
        // other seven from the column's, so the mixed image of row 2 and column 5 is nearer to sample 5 than to
        // sample 2 (swapped sources would make it nearer to sample 2). No such claim for late crossovers: with AdaIN
        // the last styles set the channel statistics of the output, so they weigh more than their number.
        BufferedImage early = read(a.mix("controls", Map.of("rows", "2,5", "columns", "2,5", "layer", "1")));
        int[] two = cell(early, 32, 0, 1);
        int[] five = cell(early, 32, 0, 2);
        assertTrue(distance(cell(early, 32, 1, 2), five) < distance(cell(early, 32, 1, 2), two),
                "layer 1: column 5's styles make the image");
        // psi 0 at sampling time maps every latent to the average w: mixing two of them changes nothing
        BufferedImage mean = read(a.mix("controls", Map.of("rows", "2,5", "columns", "2,5", "psi", "0")));
        assertArrayEquals(cell(mean, 32, 0, 2), cell(mean, 32, 1, 2), "with psi 0, 2 mixed with 5 is 5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.mix("controls", Map.of("rows", "1", "columns", "2", "layer", "8")));
        assertEquals("layer is 8; expected 1..7 (the generator has 8 style inputs)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.mix("controls", Map.of("rows", "1;2", "columns", "2")));
        assertEquals("mix on run 'controls': rows is '1;2'; expected comma-separated sample indices, e.g. rows=3,7,12",
                e.getMessage());
    }

    @Test
    void traversalVariesEachCodeAlongItsRowsWithTheRestOfTheLatentFixed(@TempDir Path dir) throws Exception {
        RunSpec spec = run(dir, Map.of("architecture", "dcgan", "architecture.channels", "4", "latent", "12",
                "regularizers", "infogan", "regularizer.infogan.categorical", "3",
                "regularizer.infogan.continuous", "1", "regularizer.infogan.qHidden", "8"));
        Analysis a = new Analysis(CATALOG, id -> spec);
        BufferedImage samples = read(a.sample("controls", Map.of("count", "4", "seed", "9")));
        BufferedImage grid = read(a.traverse("controls", Map.of("rows", "2", "steps", "5", "seed", "9")));
        // the categorical code's 2 rows (3 values) and the continuous code's 2 rows (5 steps)
        assertEquals(5 * 29 + 1, grid.getWidth());
        assertEquals(4 * 29 + 1, grid.getHeight());
        // sample r of the grid has categorical value r mod 3 (its grid cycles the code), so its traversal row shows it
        // at column r mod 3; the other values change the image
        for (int r = 0; r < 2; r++) {
            assertArrayEquals(cell(samples, 28, r / 2, r % 2), cell(grid, 28, r, r % 3), "row " + r);
            assertFalse(Arrays.equals(cell(grid, 28, r, 0), cell(grid, 28, r, 2)), "row " + r + " varies");
            assertFalse(Arrays.equals(cell(grid, 28, 2 + r, 0), cell(grid, 28, 2 + r, 4)),
                    "continuous row " + r + " varies");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.traverse("controls", Map.of("steps", "1")));
        assertEquals("steps is 1; expected 2..32", e.getMessage());
    }

    @Test
    void traversalOfARunWithoutCodesIsRefused(@TempDir Path dir) throws Exception {
        RunSpec spec = run(dir, Map.of("architecture", "dcgan", "architecture.channels", "4"));
        Analysis a = new Analysis(CATALOG, id -> spec);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.traverse("controls", Map.of()));
        assertEquals("the run has no latent codes to traverse; expected a run with InfoGAN's codes "
                + "(regularizers=infogan)", e.getMessage());
    }

    @Test
    void aCodeIsSetInEveryRow() {
        RunSpec spec = RunSpec.parse(Map.of("latent", "8", "regularizers", "infogan",
                "regularizer.infogan.categorical", "3", "regularizer.infogan.continuous", "1"), CATALOG, "codes");
        var layout = org.jgan.engine.internal.model.LatentLayout.of(spec, 8);
        INDArray z = Nd4j.linspace(1, 16, 16, DataType.FLOAT).reshape(2, 8);
        var codes = layout.codes();
        assertEquals(List.of(3, 0), codes.stream().map(c -> c.categories()).toList());
        INDArray cat = layout.with(z, codes.get(0).name(), 2);
        INDArray cont = layout.with(z, codes.get(1).name(), -1.5);
        for (int r = 0; r < 2; r++) {
            assertArrayEquals(new float[] {0, 0, 1}, cat.getRow(r).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0,
                    3)).toFloatVector());
            assertEquals(-1.5f, cont.getFloat(r, 3));
            assertArrayEquals(z.getRow(r).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8)).toFloatVector(),
                    cat.getRow(r).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8)).toFloatVector());
        }
        assertEquals(1f, z.getFloat(0, 0), "z itself is unchanged");
    }
}
