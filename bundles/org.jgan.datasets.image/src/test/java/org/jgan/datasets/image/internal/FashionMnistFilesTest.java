package org.jgan.datasets.image.internal;

import static org.jgan.datasets.image.internal.Formats.open;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.junit.jupiter.api.Test;

/**
 * The real Fashion-MNIST files of the Debian package {@code dataset-fashion-mnist}, where installed: 60000 train
 * and 10000 test images of 28x28, balanced over 10 classes (Xiao et al. 2017).
 */
class FashionMnistFilesTest {

    static final Path FOLDER = Path.of(IdxDataset.DEFAULT_PATH);

    static int[] histogram(ByteImages data) {
        int[] counts = new int[data.classes()];
        for (int i = 0; i < data.size(); i++) {
            counts[data.label(i)]++;
        }
        return counts;
    }

    @Test
    void trainSplitHas60000ImagesOf28x28And6000PerClass() {
        assumeTrue(Files.isDirectory(FOLDER), FOLDER + " is not installed (apt-get install dataset-fashion-mnist)");
        ByteImages train = (ByteImages) open(new IdxDataset(), Map.of());
        assertEquals(60000, train.size());
        assertEquals(new DataShape(1, 28, 28), train.shape());
        assertEquals(10, train.classes());
        int[] sixThousand = new int[10];
        java.util.Arrays.fill(sixThousand, 6000);
        assertArrayEquals(sixThousand, histogram(train));

        Batch batch = train.sample(1000, 42);
        assertArrayEquals(new long[] {1000, 1, 28, 28}, batch.data().shape());
        assertEquals(-1.0, batch.data().minNumber().doubleValue(), 0.0);
        assertEquals(1.0, batch.data().maxNumber().doubleValue(), 0.0);
        assertEquals(1000.0, batch.labels().sumNumber().doubleValue(), 0.0);
    }

    @Test
    void testSplitHas10000ImagesAnd1000PerClassAndPadsTo32() {
        assumeTrue(Files.isDirectory(FOLDER), FOLDER + " is not installed (apt-get install dataset-fashion-mnist)");
        ByteImages test = (ByteImages) open(new IdxDataset(), Map.of("split", "test"));
        assertEquals(10000, test.size());
        int[] thousand = new int[10];
        java.util.Arrays.fill(thousand, 1000);
        assertArrayEquals(thousand, histogram(test));

        ByteImages padded = (ByteImages) open(new IdxDataset(), Map.of("split", "test", "size", "32"));
        assertEquals(new DataShape(1, 32, 32), padded.shape());
        for (int i : new int[] {0, 4321, 9999}) {
            for (int r = 0; r < 28; r++) {
                for (int c = 0; c < 28; c++) {
                    assertEquals(test.pixel(i, 0, r, c), padded.pixel(i, 0, r + 2, c + 2));
                }
            }
            assertEquals(0, padded.pixel(i, 0, 0, 0));
            assertEquals(0, padded.pixel(i, 0, 31, 31));
        }
    }
}
