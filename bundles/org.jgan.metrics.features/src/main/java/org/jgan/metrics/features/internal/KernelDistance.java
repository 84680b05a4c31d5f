package org.jgan.metrics.features.internal;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs"): the squared maximum mean discrepancy
 * between two feature sets with the cubic polynomial kernel {@code k(x, y) = (x . y / d + 1)^3}, estimated without
 * bias:
 * <pre>
 *   MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(m(m-1)) sum_{i != j} k(y_i, y_j) - 2/m^2 sum_{i,j} k(x_i, y_j)
 * </pre>
 * The sets are cut into {@code blocks} disjoint blocks of m points each; the score is the mean of the blocks'
 * estimates and its standard error their standard deviation over {@code sqrt(blocks)}. Disjoint blocks give
 * independent estimates, so that standard error is honest; the reference code's overlapping random subsets are not
 * independent and understate it. Near 0 (and negative as often as positive) for identical distributions.
 */
final class KernelDistance {

    /** KID and its standard error, with the block size used. */
    record Score(double kid, double standardError, int blockSize, int blocks) {
    }

    private KernelDistance() {
    }

    /**
     * @param x      features {@code [n_x, d]}, double
     * @param y      features {@code [n_y, d]}, double
     * @param blocks number of disjoint blocks, at least 1 (a standard error needs 2); each gets
     *               {@code min(n_x, n_y) / blocks} points of each set, at least 2
     */
    static Score of(INDArray x, INDArray y, int blocks) {
        long n = Math.min(x.size(0), y.size(0));
        int m = (int) (n / blocks);
        if (blocks < 1 || m < 2) {
            throw new IllegalArgumentException("kernel distance: " + n + " samples cannot fill " + blocks
                    + " blocks of at least 2; expected at least " + (2 * Math.max(blocks, 1)) + " samples");
        }
        double d = x.size(1);
        double[] estimates = new double[blocks];
        for (int b = 0; b < blocks; b++) {
            INDArray xb = x.get(NDArrayIndex.interval((long) b * m, (long) (b + 1) * m), NDArrayIndex.all());
            INDArray yb = y.get(NDArrayIndex.interval((long) b * m, (long) (b + 1) * m), NDArrayIndex.all());
            estimates[b] = offDiagonalMean(kernel(xb, xb, d)) + offDiagonalMean(kernel(yb, yb, d))
                    - 2 * kernel(xb, yb, d).meanNumber().doubleValue();
        }
        double mean = 0;
        for (double e : estimates) {
            mean += e;
        }
        mean /= blocks;
        double se = Double.NaN;
        if (blocks > 1) {
            double ss = 0;
            for (double e : estimates) {
                ss += (e - mean) * (e - mean);
            }
            se = Math.sqrt(ss / (blocks - 1)) / Math.sqrt(blocks);
        }
        return new Score(mean, se, m, blocks);
    }

    /** {@code (a b^T / d + 1)^3}. */
    static INDArray kernel(INDArray a, INDArray b, double d) {
        return Transforms.pow(a.mmul(b.transpose()).divi(d).addi(1), 3, false);
    }

    private static double offDiagonalMean(INDArray k) {
        long m = k.size(0);
        double total = k.sumNumber().doubleValue();
        double diagonal = 0;
        for (long i = 0; i < m; i++) {
            diagonal += k.getDouble(i, i);
        }
        return (total - diagonal) / (m * (m - 1));
    }
}
