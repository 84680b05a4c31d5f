package org.jgan.engine.internal;

import java.util.List;
import java.util.SplittableRandom;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A synthetic image dataset for tests of image architectures: each sample is one Gaussian blob of random centre,
 * radius and per-channel brightness on a dark background, {@code [channels, size, size]} in [-1, 1]. With
 * {@code classes > 0} the label is the blob's horizontal position in {@code classes} bands.
 */
public final class TestImages implements Dataset {

    @Override
    public String description() {
        return "Random Gaussian blobs on a dark background, for tests of image architectures";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofInt("size", 28, 4, 256, "Side of the square images"),
                OptionSpec.ofInt("channels", 1, 1, 4, "Channels per image"),
                OptionSpec.ofInt("classes", 0, 0, 16, "Number of classes (horizontal bands of the blob's centre)"),
                OptionSpec.ofInt("pool", 0, 0, 100_000, "When > 0: a fixed set of this many images that batches "
                        + "draw from (with replacement); 0: a fresh image for every draw"));
    }

    @Override
    public DataSource open(Options options) {
        int size = options.getInt("size");
        int channels = options.getInt("channels");
        int classes = options.getInt("classes");
        DataShape shape = new DataShape(channels, size, size);
        int pool = options.getInt("pool");
        DataSource fresh = blobs(shape, size, channels, classes);
        if (pool == 0) {
            return fresh;
        }
        Batch all = fresh.sample(pool, 0);
        float[] pixels = all.data().data().asFloat();
        float[] labels = all.labels() == null ? null : all.labels().data().asFloat();
        int perImage = (int) shape.size();
        return new DataSource() {
            @Override
            public DataShape shape() {
                return shape;
            }

            @Override
            public long size() {
                return pool;
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
                SplittableRandom rng = new SplittableRandom(seed);
                float[] data = new float[batchSize * perImage];
                float[] oneHot = labels == null ? null : new float[batchSize * classes];
                for (int i = 0; i < batchSize; i++) {
                    int row = rng.nextInt(pool);
                    System.arraycopy(pixels, row * perImage, data, i * perImage, perImage);
                    if (oneHot != null) {
                        System.arraycopy(labels, row * classes, oneHot, i * classes, classes);
                    }
                }
                return into != null && into.write(data, oneHot) ? into : batch(shape, batchSize, classes, data, oneHot);
            }
        };
    }

    private static DataSource blobs(DataShape shape, int size, int channels, int classes) {
        return new DataSource() {
            @Override
            public DataShape shape() {
                return shape;
            }

            @Override
            public long size() {
                return Long.MAX_VALUE;
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
                SplittableRandom rng = new SplittableRandom(seed);
                float[] pixels = new float[batchSize * channels * size * size];
                float[] labels = classes > 0 ? new float[batchSize * classes] : null;
                for (int i = 0; i < batchSize; i++) {
                    double cx = rng.nextDouble() * size;
                    double cy = rng.nextDouble() * size;
                    double r = size * (0.08 + 0.15 * rng.nextDouble());
                    int offset = i * channels * size * size;
                    for (int c = 0; c < channels; c++) {
                        double brightness = 0.5 + 0.5 * rng.nextDouble();
                        for (int y = 0; y < size; y++) {
                            for (int x = 0; x < size; x++) {
                                double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                                pixels[offset + (c * size + y) * size + x] =
                                        (float) (-1 + 2 * brightness * Math.exp(-d2 / (2 * r * r)));
                            }
                        }
                    }
                    if (classes > 0) {
                        labels[i * classes + Math.min(classes - 1, (int) (cx * classes / size))] = 1f;
                    }
                }
                return into != null && into.write(pixels, labels) ? into
                        : batch(shape, batchSize, classes, pixels, labels);
            }
        };
    }

    private static Batch batch(DataShape shape, int batchSize, int classes, float[] data, float[] oneHot) {
        return new Batch(Nd4j.create(data, shape.batched(batchSize), 'c'),
                oneHot == null ? null : Nd4j.create(oneHot, new long[] {batchSize, classes}, 'c'));
    }
}
