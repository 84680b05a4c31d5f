package org.jgan.datasets.image.internal;

import java.util.SplittableRandom;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Images held once in memory as unsigned bytes, {@code [n, C, H, W]} row-major at the output size; only a sampled
 * batch is converted to float32 NCHW, scaled by {@code x / 127.5 - 1} into [-1, 1] (byte 0 gives -1, 255 gives 1).
 * Indices are drawn uniformly with replacement from a {@link SplittableRandom} seeded with the draw's seed, so the
 * same seed gives the same batch; {@link #range} reads the images in file order.
 */
final class ByteImages implements DataSource {

    /** {@code x / 127.5 - 1} for every byte value, computed in double and rounded once to float. */
    private static final float[] SCALE = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            SCALE[v] = (float) (v / 127.5 - 1.0);
        }
    }

    private final int count;
    private final int channels;
    private final int height;
    private final int width;
    private final byte[] pixels;
    private final int[] labels;
    private final int classes;

    /**
     * @param pixels  {@code count * channels * height * width} bytes, image after image, each in CHW order
     * @param labels  class of each image in {@code [0, classes)}, or {@code null} for an unlabelled dataset
     * @param classes number of classes, 0 when {@code labels} is null
     */
    ByteImages(int count, int channels, int height, int width, byte[] pixels, int[] labels, int classes) {
        if (count < 1) {
            throw new IllegalArgumentException("a dataset needs at least one image");
        }
        if ((long) count * channels * height * width != pixels.length) {
            throw new IllegalArgumentException("pixel buffer of " + pixels.length + " bytes does not hold " + count
                    + " images of " + channels + "x" + height + "x" + width);
        }
        if (labels != null && (labels.length != count || classes < 1)) {
            throw new IllegalArgumentException(labels.length + " labels of " + classes + " classes for " + count
                    + " images");
        }
        this.count = count;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels;
        this.classes = labels == null ? 0 : classes;
    }

    /** The first {@code n} images (and their labels) alone, in file order. */
    ByteImages first(int n) {
        int perImage = channels * height * width;
        return new ByteImages(n, channels, height, width, java.util.Arrays.copyOf(pixels, n * perImage),
                labels == null ? null : java.util.Arrays.copyOf(labels, n), classes);
    }

    @Override
    public DataShape shape() {
        return new DataShape(channels, height, width);
    }

    @Override
    public long size() {
        return count;
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public Batch sample(int batchSize, long seed) {
        return sample(batchSize, seed, null);
    }

    @Override
    public Batch sample(int batchSize, long seed, Batch into) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int[] indices = new int[batchSize];
        for (int i = 0; i < batchSize; i++) {
            indices[i] = rng.nextInt(count);
        }
        return batch(indices, into);
    }

    @Override
    public Batch range(long from, int n) {
        if (from < 0 || n < 1 || from + n > count) {
            throw new IndexOutOfBoundsException("images " + from + ".." + (from + n - 1) + " requested from a dataset of "
                    + count + "; expected a range within 0.." + (count - 1));
        }
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) {
            indices[i] = (int) from + i;
        }
        return batch(indices, null);
    }

    /** The images at {@code indices} as a batch: written into {@code into} where it takes them, else new arrays. */
    private Batch batch(int[] indices, Batch into) {
        int batchSize = indices.length;
        int imageSize = channels * height * width;
        float[] data = new float[Math.multiplyExact(batchSize, imageSize)];
        float[] oneHot = labels == null ? null : new float[batchSize * classes];
        for (int i = 0; i < batchSize; i++) {
            int index = indices[i];
            int from = index * imageSize;
            int to = i * imageSize;
            for (int j = 0; j < imageSize; j++) {
                data[to + j] = SCALE[pixels[from + j] & 0xFF];
            }
            if (oneHot != null) {
                oneHot[i * classes + labels[index]] = 1f;
            }
        }
        if (into != null && into.write(data, oneHot)) {
            return into;
        }
        return new Batch(Nd4j.create(data, new long[] {batchSize, channels, height, width}, 'c'),
                oneHot == null ? null : Nd4j.create(oneHot, new long[] {batchSize, classes}, 'c'));
    }

    /** Class of image {@code index}; -1 for an unlabelled dataset. */
    int label(int index) {
        return labels == null ? -1 : labels[index];
    }

    /** Unsigned byte {@code (channel, row, column)} of image {@code index}, as stored. */
    int pixel(int index, int channel, int row, int column) {
        return pixels[((index * channels + channel) * height + row) * width + column] & 0xFF;
    }

    /**
     * Bytes needed for {@code count} images of {@code channels x height x width}.
     *
     * @throws IllegalArgumentException naming {@code source} when they do not fit one Java array
     */
    static int byteCount(String source, long count, int channels, int height, int width) {
        long bytes = count * channels * height * width;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(source + ": " + count + " images of " + channels + "x" + height + "x"
                    + width + " need " + bytes + " bytes, more than one Java array holds (2^31 - 9)");
        }
        return (int) bytes;
    }
}
