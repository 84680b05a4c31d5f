package org.jgan.datasets.image.internal;

import static org.jgan.datasets.image.internal.Formats.bytes;
import static org.jgan.datasets.image.internal.Formats.gzip;
import static org.jgan.datasets.image.internal.Formats.idx;
import static org.jgan.datasets.image.internal.Formats.open;
import static org.jgan.datasets.image.internal.Formats.scaled;
import static org.jgan.datasets.image.internal.Formats.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The IDX reader on small files written in the real format. */
class IdxDatasetTest {

    static final int N = 3;
    static final int SIDE = 4;
    static final int[] LABELS = {3, 0, 9};

    @TempDir
    Path dir;

    /** Pixel j of image i: 51 * ((i + j) mod 6), so every image holds 0 and 255 and starts with a different value. */
    static int value(int i, int j) {
        return 51 * ((i + j) % 6);
    }

    static byte[] imageBytes() {
        byte[] data = new byte[N * SIDE * SIDE];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < SIDE * SIDE; j++) {
                data[i * SIDE * SIDE + j] = (byte) value(i, j);
            }
        }
        return idx(IdxFile.IMAGES, new int[] {N, SIDE, SIDE}, data);
    }

    static byte[] labelBytes(int... labels) {
        return idx(IdxFile.LABELS, new int[] {labels.length}, bytes(labels));
    }

    DataSource openIdx(Map<String, String> options) {
        return open(new IdxDataset(), merge(Map.of("path", dir.toString()), options));
    }

    static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>(a);
        m.putAll(b);
        return m;
    }

    /** Every sampled row equals, exactly, the scaled pixels and one-hot label of the image it was drawn from. */
    static void assertBatchIsExact(Batch batch, int classes) {
        float[][] rows = batch.data().reshape(batch.data().size(0), SIDE * SIDE).toFloatMatrix();
        float[][] oneHot = batch.labels().toFloatMatrix();
        for (int r = 0; r < rows.length; r++) {
            int image = -1;
            for (int i = 0; i < N; i++) {
                if (rows[r][0] == scaled(value(i, 0))) {
                    image = i;
                }
            }
            assertTrue(image >= 0, "row " + r + " starts with " + rows[r][0]);
            for (int j = 0; j < SIDE * SIDE; j++) {
                assertEquals(scaled(value(image, j)), rows[r][j], 0f);
            }
            float[] expected = new float[classes];
            expected[LABELS[image]] = 1f;
            assertArrayEquals(expected, oneHot[r], 0f);
        }
    }

    @Test
    void plainAndGzipFilesGiveExactScaledPixelsAndOneHotLabels() {
        write(dir.resolve("train-images-idx3-ubyte"), imageBytes());
        write(dir.resolve("train-labels-idx1-ubyte"), labelBytes(LABELS));
        write(dir.resolve("t10k-images-idx3-ubyte.gz"), gzip(imageBytes()));
        write(dir.resolve("t10k-labels-idx1-ubyte.gz"), gzip(labelBytes(LABELS)));
        for (String split : new String[] {"train", "test"}) {
            DataSource data = openIdx(Map.of("split", split));
            assertEquals(new DataShape(1, SIDE, SIDE), data.shape());
            assertEquals(N, data.size());
            assertEquals(10, data.classes());
            Batch batch = data.sample(64, 7);
            assertArrayEquals(new long[] {64, 1, SIDE, SIDE}, batch.data().shape());
            assertArrayEquals(new long[] {64, 10}, batch.labels().shape());
            assertBatchIsExact(batch, 10);
            // The endpoints and one value in between, written out.
            float[] all = batch.data().data().asFloat();
            assertTrue(contains(all, -1f) && contains(all, 1f) && contains(all, -0.6f) && contains(all, 0.2f));
            assertEquals(-1f, (float) batch.data().minNumber().doubleValue(), 0f);
            assertEquals(1f, (float) batch.data().maxNumber().doubleValue(), 0f);
        }
    }

    static boolean contains(float[] values, float v) {
        for (float x : values) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    @Test
    void sameSeedSameBatchOtherSeedOtherBatch() {
        write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(imageBytes()));
        write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(labelBytes(LABELS)));
        DataSource data = openIdx(Map.of());
        INDArray a = data.sample(32, 11).data();
        assertEquals(a, data.sample(32, 11).data());
        assertEquals(data.sample(32, 11).labels(), data.sample(32, 11).labels());
        assertNotEquals(a, data.sample(32, 12).data());
        // A fresh open draws the same batch for the same seed.
        assertEquals(a, openIdx(Map.of()).sample(32, 11).data());
    }

    /** {@code sample(batchSize, seed, into)}: the batch {@code sample(batchSize, seed)} gives, in the caller's arrays. */
    @Test
    void aBatchDrawnIntoTheCallersArraysIsTheBatchDrawnAnew() {
        write(dir.resolve("train-images-idx3-ubyte"), imageBytes());
        write(dir.resolve("train-labels-idx1-ubyte"), labelBytes(LABELS));
        DataSource data = openIdx(Map.of());
        // the data as rows 1-7 of a larger array (a view at an offset), the labels as an array of their own
        INDArray whole = org.nd4j.linalg.factory.Nd4j.valueArrayOf(new long[] {9, 1, SIDE, SIDE}, 7f);
        INDArray rows = whole.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 8));
        Batch into = new Batch(rows, org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT,
                7, 10));
        for (long seed : new long[] {5, 6}) {
            Batch expected = data.sample(7, seed);
            assertTrue(data.sample(7, seed, into) == into, "written into the arrays given");
            assertEquals(expected.data(), into.data(), "seed " + seed);
            assertEquals(expected.labels(), into.labels(), "labels, seed " + seed);
        }
        float[] outside = new float[SIDE * SIDE];
        Arrays.fill(outside, 7f);
        assertArrayEquals(outside, whole.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).dup().data().asFloat());
        assertArrayEquals(outside, whole.get(org.nd4j.linalg.indexing.NDArrayIndex.point(8)).dup().data().asFloat());
        // labels missing from the arrays given: a new batch
        Batch unlabelled = new Batch(rows, null);
        Batch got = data.sample(7, 5, unlabelled);
        assertTrue(got != unlabelled && got.labels() != null, "a new batch with its labels");
        assertEquals(data.sample(7, 5).data(), got.data());
    }

    @Test
    void aRangeReadsImagesInFileOrderAndRefusesOutsideTheFile() {
        write(dir.resolve("train-images-idx3-ubyte"), imageBytes());
        write(dir.resolve("train-labels-idx1-ubyte"), labelBytes(LABELS));
        DataSource data = openIdx(Map.of());
        Batch b = data.range(1, 2);
        float[][] rows = b.data().reshape(2, SIDE * SIDE).toFloatMatrix();
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < SIDE * SIDE; j++) {
                assertEquals(scaled(value(1 + r, j)), rows[r][j], 0f);
            }
            assertEquals(1f, b.labels().getFloat(r, LABELS[1 + r]), 0f);
        }
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> data.range(2, 2));
        assertTrue(e.getMessage().contains("images 2..3") && e.getMessage().contains("0..2"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> data.range(-1, 1));
    }

    @Test
    void aLimitKeepsTheFirstImagesOnly() {
        write(dir.resolve("train-images-idx3-ubyte"), imageBytes());
        write(dir.resolve("train-labels-idx1-ubyte"), labelBytes(LABELS));
        DataSource data = openIdx(Map.of("limit", "2"));
        assertEquals(2, data.size());
        assertEquals(openIdx(Map.of()).range(0, 2).data(), data.range(0, 2).data());
        // every sampled image is one of the first two
        float[][] rows = data.sample(64, 3).data().reshape(64, SIDE * SIDE).toFloatMatrix();
        for (float[] row : rows) {
            assertTrue(row[0] == scaled(value(0, 0)) || row[0] == scaled(value(1, 0)), java.util.Arrays.toString(row));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> openIdx(Map.of("limit", String.valueOf(N + 1))));
        assertTrue(e.getMessage().startsWith("dataset 'idx': option 'limit' is " + (N + 1) + " but ")
                && e.getMessage().endsWith("holds " + N + " images; expected at most " + N + " (or 0 for all)"),
                e.getMessage());
    }

    @Test
    void withoutLabelsTheBatchHasNoneAndNoLabelFileIsNeeded() {
        write(dir.resolve("train-images-idx3-ubyte"), imageBytes());
        DataSource data = openIdx(Map.of("labels", "false"));
        assertEquals(0, data.classes());
        assertNull(data.sample(4, 1).labels());
    }

    @Test
    void labelsAboveNineWidenTheClasses() {
        write(dir.resolve("train-images-idx3-ubyte"), imageBytes());
        write(dir.resolve("train-labels-idx1-ubyte"), labelBytes(0, 12, 1));
        DataSource data = openIdx(Map.of());
        assertEquals(13, data.classes());
        assertArrayEquals(new long[] {5, 13}, data.sample(5, 3).labels().shape());
    }

    @Test
    void size32PadsA28ImageWithTwoPixelsOfMinusOne() {
        byte[] ones = new byte[28 * 28];
        Arrays.fill(ones, (byte) 255);
        ones[0] = (byte) 51; // top-left of the image, so (2, 2) after padding
        write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(idx(IdxFile.IMAGES, new int[] {1, 28, 28}, ones)));
        DataSource data = openIdx(Map.of("size", "32", "labels", "false"));
        assertEquals(new DataShape(1, 32, 32), data.shape());
        float[][] img = data.sample(1, 0).data().reshape(32, 32).toFloatMatrix();
        for (int r = 0; r < 32; r++) {
            for (int c = 0; c < 32; c++) {
                boolean inside = r >= 2 && r < 30 && c >= 2 && c < 30;
                float expected = !inside ? -1f : (r == 2 && c == 2 ? -0.6f : 1f);
                assertEquals(expected, img[r][c], 0f, "pixel " + r + "," + c);
            }
        }
    }

    @Test
    void anOddMarginResizesBilinearlyAndASmallerSizeAveragesAreas() {
        // 2x2 to 3x3: the margin 1 is odd, so bilinear with half-pixel centres; the centre is the mean of all four.
        write(dir.resolve("train-images-idx3-ubyte"), idx(IdxFile.IMAGES, new int[] {1, 2, 2}, bytes(0, 100, 200, 40)));
        ByteImages up = (ByteImages) openIdx(Map.of("size", "3", "labels", "false"));
        int[][] expected = {{0, 50, 100}, {100, 85, 70}, {200, 120, 40}};
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(expected[r][c], up.pixel(0, 0, r, c), "pixel " + r + "," + c);
            }
        }
        // 4x4 to 2x2: mean of each 2x2 block.
        write(dir.resolve("train-images-idx3-ubyte"), idx(IdxFile.IMAGES, new int[] {1, 4, 4}, bytes(
                0, 4, 100, 100,
                8, 12, 100, 100,
                255, 255, 1, 2,
                255, 255, 3, 6)));
        ByteImages down = (ByteImages) openIdx(Map.of("size", "2", "labels", "false"));
        assertEquals(6, down.pixel(0, 0, 0, 0));
        assertEquals(100, down.pixel(0, 0, 0, 1));
        assertEquals(255, down.pixel(0, 0, 1, 0));
        assertEquals(3, down.pixel(0, 0, 1, 1));
    }

    @Test
    void wrongMagicIsNamed() {
        Path file = write(dir.resolve("train-images-idx3-ubyte.gz"),
                gzip(idx(0x00000812, new int[] {1, 2, 2}, new byte[4])));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> openIdx(Map.of("labels", "false")));
        assertEquals(file + ": not an IDX image file (magic 0x00000812, expected 0x00000803)", e.getMessage());
        // A label file where the images belong.
        write(file, labelBytes(LABELS));
        e = assertThrows(IllegalArgumentException.class, () -> openIdx(Map.of("labels", "false")));
        assertTrue(e.getMessage().contains("magic 0x00000801, expected 0x00000803"), e.getMessage());
    }

    @Test
    void truncatedFilesAreNamed() throws Exception {
        byte[] full = imageBytes();
        byte[] cut = Arrays.copyOf(full, full.length - 5);
        Path plain = write(dir.resolve("train-images-idx3-ubyte"), cut);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> openIdx(Map.of("labels", "false")));
        assertEquals(plain + ": file has 59 bytes, but its header declares 3 images of 4x4 (64 bytes): truncated",
                e.getMessage());

        java.nio.file.Files.newBufferedWriter(plain).close();
        e = assertThrows(IllegalArgumentException.class, () -> openIdx(Map.of("labels", "false")));
        assertTrue(e.getMessage().startsWith(plain + ": truncated"), e.getMessage());

        java.nio.file.Files.delete(plain);
        Path gz = write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(cut));
        e = assertThrows(IllegalArgumentException.class, () -> openIdx(Map.of("labels", "false")));
        assertEquals(gz + ": truncated: its header declares 3 images of 4x4 (64 bytes uncompressed), but the data "
                + "ends inside record 2", e.getMessage());

        // A gzip stream cut short, as from an interrupted download.
        byte[] zipped = gzip(full);
        write(gz, Arrays.copyOf(zipped, zipped.length - 12));
        e = assertThrows(IllegalArgumentException.class, () -> openIdx(Map.of("labels", "false")));
        assertTrue(e.getMessage().startsWith(gz + ": truncated"), e.getMessage());
    }

    @Test
    void trailingDataIsNamed() throws Exception {
        byte[] longer = Arrays.copyOf(imageBytes(), imageBytes().length + 3);
        Path gz = write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(longer));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> openIdx(Map.of("labels", "false")));
        assertEquals(gz + ": more data than its header declares (3 images of 4x4, 64 bytes uncompressed)",
                e.getMessage());
    }

    @Test
    void labelAndImageCountsMustAgree() {
        Path images = write(dir.resolve("train-images-idx3-ubyte"), imageBytes());
        Path labels = write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(labelBytes(1, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> openIdx(Map.of()));
        assertEquals(labels + ": declares 2 labels, but " + images + " declares 3 images; expected one label per image",
                e.getMessage());
    }

    @Test
    void missingFilesAndFoldersNameThePathAndThePackage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> openIdx(Map.of()));
        assertEquals(dir.resolve("train-images-idx3-ubyte") + " or " + dir.resolve("train-images-idx3-ubyte.gz")
                + ": no such file; `apt-get install dataset-fashion-mnist` provides Fashion-MNIST at "
                + "/usr/share/datasets/fashion-mnist", e.getMessage());

        write(dir.resolve("train-images-idx3-ubyte"), imageBytes());
        e = assertThrows(IllegalArgumentException.class, () -> openIdx(Map.of()));
        assertTrue(e.getMessage().startsWith(dir.resolve("train-labels-idx1-ubyte") + " or "), e.getMessage());

        Path none = dir.resolve("nowhere");
        e = assertThrows(IllegalArgumentException.class,
                () -> open(new IdxDataset(), Map.of("path", none.toString())));
        assertEquals(none + ": no such folder; `apt-get install dataset-fashion-mnist` provides Fashion-MNIST at "
                + "/usr/share/datasets/fashion-mnist", e.getMessage());
    }

    @Test
    void optionsAreChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> openIdx(Map.of("split", "validation")));
        assertTrue(e.getMessage().contains("expected one of train, test"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> openIdx(Map.of("size", "-1")));
        assertTrue(e.getMessage().contains("option 'size'"), e.getMessage());
    }
}
