package org.jgan.datasets.image.internal;

import static org.jgan.datasets.image.internal.Formats.open;
import static org.jgan.datasets.image.internal.Formats.scaled;
import static org.jgan.datasets.image.internal.Formats.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** The CIFAR-10 reader on small files written in the real binary format. */
class Cifar10DatasetTest {

    @TempDir
    Path dir;

    /** Byte of record {@code r}, channel {@code c}, pixel {@code (y, x)}: distinct per record, channel and place. */
    static int value(int r, int c, int y, int x) {
        return (r * 85 + c * 51 + y * 7 + x) % 256;
    }

    /** Records {@code first..first+labels.length-1} of a CIFAR-10 batch file. */
    static byte[] records(int first, int... labels) {
        byte[] b = new byte[labels.length * 3073];
        for (int i = 0; i < labels.length; i++) {
            b[i * 3073] = (byte) labels[i];
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        b[i * 3073 + 1 + c * 1024 + y * 32 + x] = (byte) value(first + i, c, y, x);
                    }
                }
            }
        }
        return b;
    }

    @Test
    void testBatchOfThreeRecordsGivesExactPlanesAndLabels() {
        write(dir.resolve("test_batch.bin"), records(0, 6, 0, 9));
        ByteImages data = (ByteImages) open(new Cifar10Dataset(), Map.of("path", dir.toString(), "split", "test"));
        assertEquals(new DataShape(3, 32, 32), data.shape());
        assertEquals(3, data.size());
        assertEquals(10, data.classes());
        assertEquals(6, data.label(0));
        assertEquals(9, data.label(2));
        assertEquals(value(2, 1, 5, 30), data.pixel(2, 1, 5, 30));

        Batch batch = data.sample(20, 5);
        float[] flat = batch.data().data().asFloat();
        float[][] oneHot = batch.labels().toFloatMatrix();
        for (int i = 0; i < 20; i++) {
            // record r starts with value(r, 0, 0, 0) = 85 r
            int r = -1;
            for (int k = 0; k < 3; k++) {
                if (flat[i * 3072] == scaled(85 * k)) {
                    r = k;
                }
            }
            assertTrue(r >= 0);
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int xx = 0; xx < 32; xx++) {
                        assertEquals(scaled(value(r, c, y, xx)), flat[i * 3072 + c * 1024 + y * 32 + xx], 0f);
                    }
                }
            }
            float[] expected = new float[10];
            expected[new int[] {6, 0, 9}[r]] = 1f;
            assertArrayEquals(expected, oneHot[i], 0f);
        }
        assertArrayEquals(new long[] {20, 3, 32, 32}, batch.data().shape());
        assertEquals(batch.data(), data.sample(20, 5).data());
    }

    @Test
    void trainReadsTheFiveBatchesInOrder() {
        for (int b = 1; b <= 5; b++) {
            write(dir.resolve("data_batch_" + b + ".bin"), records(b - 1, b - 1));
        }
        ByteImages data = (ByteImages) open(new Cifar10Dataset(), Map.of("path", dir.toString(), "labels", "false"));
        assertEquals(5, data.size());
        for (int r = 0; r < 5; r++) {
            assertEquals(value(r, 2, 31, 31), data.pixel(r, 2, 31, 31));
        }
        assertEquals(0, data.classes());
        assertNull(data.sample(2, 0).labels());
    }

    @Test
    void aLengthThatIsNotWholeRecordsIsNamed() {
        byte[] b = records(0, 1, 2, 3);
        Path file = write(dir.resolve("test_batch.bin"), Arrays.copyOf(b, b.length - 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> open(new Cifar10Dataset(), Map.of("path", dir.toString(), "split", "test")));
        assertEquals(file + ": 9218 bytes is not a whole number of CIFAR-10 records; expected a positive multiple of "
                + "3073 (1 label byte + 3x32x32 pixels)", e.getMessage());
    }

    @Test
    void aLabelAboveNineIsNamed() {
        Path file = write(dir.resolve("test_batch.bin"), records(0, 1, 10, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> open(new Cifar10Dataset(), Map.of("path", dir.toString(), "split", "test")));
        assertEquals(file + ": record 1 has label 10; expected 0..9 (is this the CIFAR-100 format?)", e.getMessage());
    }

    @Test
    void aMissingBatchIsNamed() {
        for (int b : new int[] {1, 2, 4, 5}) {
            write(dir.resolve("data_batch_" + b + ".bin"), records(0, 0));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> open(new Cifar10Dataset(), Map.of("path", dir.toString())));
        assertTrue(e.getMessage().startsWith(dir.resolve("data_batch_3.bin") + ": no such file; "), e.getMessage());
        assertTrue(e.getMessage().contains("cifar-10-binary.tar.gz"), e.getMessage());
    }
}
