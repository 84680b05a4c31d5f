package org.jgan.datasets.mixture.internal;

import java.util.SplittableRandom;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.MixtureModel;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An equal-weight mixture of Gaussians. Each sample picks a mode uniformly, adds isotropic noise of standard
 * deviation {@code stddev} in the mixture's own {@code noiseDims}-dimensional coordinates, and maps the result
 * with {@code embed} (identity for plain 2-D mixtures; rotation and translation into 3-D for the submanifold one).
 */
final class GaussianMixture implements DataSource, MixtureModel {

    /** Maps a point in the mixture's own coordinates into data space. */
    @FunctionalInterface
    interface Embedding {
        double[] apply(double[] point);
    }

    private final double[][] localMeans;
    private final double[][] means;
    private final double stddev;
    private final Embedding embed;
    private final int dims;
    private final boolean labels;

    /** With {@code labels}, each sample carries its mode's index as a one-hot class label (conditional GANs). */
    GaussianMixture(double[][] localMeans, double stddev, Embedding embed, boolean labels) {
        this.labels = labels;
        this.localMeans = localMeans;
        this.stddev = stddev;
        this.embed = embed;
        this.means = new double[localMeans.length][];
        for (int i = 0; i < localMeans.length; i++) {
            means[i] = embed.apply(localMeans[i]);
        }
        this.dims = means[0].length;
    }

    @Override
    public DataShape shape() {
        return new DataShape(dims);
    }

    @Override
    public long size() {
        return Long.MAX_VALUE;
    }

    @Override
    public int classes() {
        return labels ? localMeans.length : 0;
    }

    @Override
    public Batch sample(int batchSize, long seed) {
        return sample(batchSize, seed, null);
    }

    @Override
    public Batch sample(int batchSize, long seed, Batch into) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] values = new float[batchSize * dims];
        float[] oneHot = labels ? new float[batchSize * localMeans.length] : null;
        double[] local = new double[localMeans[0].length];
        for (int i = 0; i < batchSize; i++) {
            int mode = rng.nextInt(localMeans.length);
            if (oneHot != null) {
                oneHot[i * localMeans.length + mode] = 1f;
            }
            double[] mean = localMeans[mode];
            for (int j = 0; j < local.length; j++) {
                local[j] = mean[j] + stddev * rng.nextGaussian();
            }
            double[] x = embed.apply(local);
            for (int j = 0; j < dims; j++) {
                values[i * dims + j] = (float) x[j];
            }
        }
        if (into != null && into.write(values, oneHot)) {
            return into;
        }
        return new Batch(Nd4j.create(values, new long[] {batchSize, dims}, 'c'),
                oneHot == null ? null : Nd4j.create(oneHot, new long[] {batchSize, localMeans.length}, 'c'));
    }

    @Override
    public double[][] means() {
        double[][] copy = new double[means.length][];
        for (int i = 0; i < means.length; i++) {
            copy[i] = means[i].clone();
        }
        return copy;
    }

    @Override
    public double stddev() {
        return stddev;
    }
}
