package org.jgan.metrics.features.internal;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Improved precision and recall of Kynkaanniemi et al. 2019 ("Improved Precision and Recall Metric for Assessing
 * Generative Models"). Each set's manifold is the union of balls around its points, each ball's radius the distance
 * to the point's k-th nearest neighbour in the same set. Precision is the fraction of generated points inside the
 * real manifold (sample quality); recall the fraction of real points inside the generated manifold (coverage). A
 * generator that repeats one image has a manifold of radius 0, so its recall is near 0 whatever its precision.
 * Distances are Euclidean in feature space, computed in blocks of rows so memory stays {@code O(block * n)}.
 */
final class PrecisionRecall {

    private static final int BLOCK = 1024;

    /** The two fractions and the k used. */
    record Score(double precision, double recall, int k) {
    }

    private PrecisionRecall() {
    }

    /**
     * @param real      features {@code [n_r, d]}, double
     * @param generated features {@code [n_g, d]}, double
     * @param k         neighbour defining the radii (the paper uses 3); each set needs more than k points
     */
    static Score of(INDArray real, INDArray generated, int k) {
        if (k < 1 || real.size(0) <= k || generated.size(0) <= k) {
            throw new IllegalArgumentException("precision/recall: k = " + k + " needs more than k samples of each set, got "
                    + real.size(0) + " real and " + generated.size(0) + " generated");
        }
        double[] realRadii = radii(real, k);
        double[] generatedRadii = radii(generated, k);
        return new Score(coverage(generated, real, realRadii), coverage(real, generated, generatedRadii), k);
    }

    /** Distance of each point to its k-th nearest neighbour in its own set (the point itself excluded). */
    static double[] radii(INDArray x, int k) {
        long n = x.size(0);
        double[] r = new double[(int) n];
        INDArray norms = squaredNorms(x);
        for (long from = 0; from < n; from += BLOCK) {
            long to = Math.min(n, from + BLOCK);
            double[][] d2 = squaredDistances(x.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()),
                    norms.get(NDArrayIndex.interval(from, to)), x, norms);
            for (int i = 0; i < d2.length; i++) {
                double[] row = d2[i];
                row[(int) from + i] = 0; // the point itself, exactly
                Arrays.sort(row);
                r[(int) from + i] = Math.sqrt(row[k]); // row[0] is the point itself
            }
        }
        return r;
    }

    /** Fraction of {@code points} within the radius of at least one of {@code centres}. */
    static double coverage(INDArray points, INDArray centres, double[] radii) {
        long n = points.size(0);
        INDArray pn = squaredNorms(points);
        INDArray cn = squaredNorms(centres);
        double[] r2 = new double[radii.length];
        for (int j = 0; j < radii.length; j++) {
            r2[j] = radii[j] * radii[j];
        }
        long inside = 0;
        for (long from = 0; from < n; from += BLOCK) {
            long to = Math.min(n, from + BLOCK);
            double[][] d2 = squaredDistances(points.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()),
                    pn.get(NDArrayIndex.interval(from, to)), centres, cn);
            for (double[] row : d2) {
                for (int j = 0; j < row.length; j++) {
                    if (row[j] <= r2[j]) {
                        inside++;
                        break;
                    }
                }
            }
        }
        return (double) inside / n;
    }

    private static INDArray squaredNorms(INDArray x) {
        return x.mul(x).sum(1);
    }

    /** {@code |a_i|^2 + |b_j|^2 - 2 a_i . b_j}, clamped at 0 against rounding. */
    private static double[][] squaredDistances(INDArray a, INDArray an, INDArray b, INDArray bn) {
        double[][] d = a.mmul(b.transpose()).muli(-2).toDoubleMatrix();
        double[] ai = an.toDoubleVector();
        double[] bj = bn.toDoubleVector();
        for (int i = 0; i < d.length; i++) {
            double[] row = d[i];
            for (int j = 0; j < row.length; j++) {
                row[j] = Math.max(0, row[j] + ai[i] + bj[j]);
            }
        }
        return d;
    }
}
