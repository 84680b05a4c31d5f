package org.jgan.metrics.features.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The metrics' equations against hand-computed values, and their behaviour on samples of known distributions. */
class FeatureMathTest {

    static double[][] gaussian(int n, int d, double mean, double std, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = mean + std * normal(r);
            }
        }
        return x;
    }

    static double normal(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    static INDArray nd(double[][] x) {
        return Nd4j.createFromArray(x);
    }

    @Test
    void jacobiFindsKnownEigenvaluesAndReconstructsTheMatrix() {
        double[] v = SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}}).values();
        Arrays.sort(v);
        assertEquals(1, v[0], 1e-12);
        assertEquals(3, v[1], 1e-12);
        double[][] a = FrechetDistance.Moments.of(gaussian(50, 12, 0, 1, 3)).covariance();
        SymmetricEigen.Decomposition e = SymmetricEigen.of(a);
        for (int i = 0; i < 12; i++) {
            for (int j = 0; j < 12; j++) {
                double s = 0;
                for (int k = 0; k < 12; k++) {
                    s += e.vectors()[i][k] * e.values()[k] * e.vectors()[j][k];
                }
                assertEquals(a[i][j], s, 1e-10);
            }
        }
        double[][] root = e.sqrt();
        double[][] square = FrechetDistance.multiply(root, root);
        for (int i = 0; i < 12; i++) {
            for (int j = 0; j < 12; j++) {
                assertEquals(a[i][j], square[i][j], 1e-10);
            }
        }
    }

    @Test
    void frechetDistanceMatchesClosedForms() {
        // one dimension: (m1 - m2)^2 + (s1 - s2)^2
        assertEquals(9 + 1, FrechetDistance.between(new double[] {1}, new double[][] {{4}}, new double[] {4},
                new double[][] {{1}}), 1e-12);
        // S1 = [[2,1],[1,2]] (eigenvalues 1 and 3) against I: tr S1 + tr I - 2 tr S1^(1/2) = 4 + 2 - 2 (1 + sqrt 3)
        double[][] s1 = {{2, 1}, {1, 2}};
        double[][] id = {{1, 0}, {0, 1}};
        double[] zero = {0, 0};
        assertEquals(4 - 2 * Math.sqrt(3), FrechetDistance.between(zero, s1, zero, id), 1e-12);
        assertEquals(4 - 2 * Math.sqrt(3), FrechetDistance.between(zero, id, zero, s1), 1e-12);
        // non-commuting covariances: diag(4, 1) against S1; tr((D^(1/2) S1 D^(1/2))^(1/2)) computed by hand:
        // D^(1/2) S1 D^(1/2) = [[8, 2], [2, 2]], eigenvalues 5 +- sqrt(13)
        double[][] d = {{4, 0}, {0, 1}};
        double expected = 5 + 4 - 2 * (Math.sqrt(5 + Math.sqrt(13)) + Math.sqrt(5 - Math.sqrt(13)));
        assertEquals(expected, FrechetDistance.between(zero, d, zero, s1), 1e-12);
        assertEquals(expected, FrechetDistance.between(zero, s1, zero, d), 1e-12);
        double[][] x = gaussian(200, 5, 0, 1, 1);
        assertEquals(0, FrechetDistance.of(x, x), 1e-9);
    }

    @Test
    void frechetDistanceOfSamplesIsSmallForOneDistributionAndGrowsWithTheShift() {
        double same = FrechetDistance.of(gaussian(4000, 8, 0, 1, 1), gaussian(4000, 8, 0, 1, 2));
        double shifted = FrechetDistance.of(gaussian(4000, 8, 0, 1, 1), gaussian(4000, 8, 0.5, 1, 2));
        double wider = FrechetDistance.of(gaussian(4000, 8, 0, 1, 1), gaussian(4000, 8, 0, 2, 2));
        assertTrue(same < 0.05, "same distribution " + same);
        assertEquals(8 * 0.25, shifted, 0.1); // |mu|^2 = 8 * 0.5^2
        assertEquals(8 * 1.0, wider, 0.4); // 8 * (2 - 1)^2
    }

    @Test
    void kernelDistanceMatchesAHandComputedBlock() {
        // x = {0, 1}, y = {1, 2}, d = 1, k(a, b) = (a b + 1)^3
        // xx off-diagonal: k(0,1) = 1; yy: k(1,2) = 27; xy mean: (1 + 1 + 8 + 27) / 4 = 9.25
        KernelDistance.Score s = KernelDistance.of(nd(new double[][] {{0}, {1}}), nd(new double[][] {{1}, {2}}), 1);
        assertEquals(1 + 27 - 2 * 9.25, s.kid(), 1e-12);
        assertEquals(2, s.blockSize());
        assertTrue(Double.isNaN(s.standardError()));
    }

    @Test
    void kernelDistanceIsNearZeroForIdenticalDistributionsWithAnHonestStandardError() {
        KernelDistance.Score same = KernelDistance.of(nd(gaussian(4000, 16, 0, 1, 1)), nd(gaussian(4000, 16, 0, 1, 2)), 10);
        KernelDistance.Score shifted = KernelDistance.of(nd(gaussian(4000, 16, 0, 1, 1)),
                nd(gaussian(4000, 16, 0.3, 1, 2)), 10);
        assertEquals(400, same.blockSize());
        assertTrue(Math.abs(same.kid()) < 4 * same.standardError() + 1e-3, same.toString());
        assertTrue(shifted.kid() > 10 * same.standardError() && shifted.kid() > 20 * Math.abs(same.kid()),
                same + " vs " + shifted);
        assertThrows(IllegalArgumentException.class, () -> KernelDistance.of(nd(new double[][] {{0}, {1}}),
                nd(new double[][] {{1}, {2}}), 2));
    }

    @Test
    void classifierScoreMatchesHandComputedValues() {
        double[][] uniform = new double[8][4];
        for (double[] row : uniform) {
            Arrays.fill(row, 0.25);
        }
        assertEquals(1, ClassifierScore.of(uniform, 1).mean(), 1e-12);
        double[][] oneHot = new double[8][4];
        for (int i = 0; i < 8; i++) {
            oneHot[i][i % 4] = 1;
        }
        assertEquals(4, ClassifierScore.of(oneHot, 2).mean(), 1e-12);
        assertEquals(0, ClassifierScore.of(oneHot, 2).std(), 1e-12);
        // p1 = (1, 0), p2 = (0.5, 0.5): p(y) = (0.75, 0.25)
        double kl1 = Math.log(1 / 0.75);
        double kl2 = 0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(0.5 / 0.25);
        assertEquals(Math.exp((kl1 + kl2) / 2), ClassifierScore.of(new double[][] {{1, 0}, {0.5, 0.5}}, 1).mean(), 1e-12);
        // one class only: every sample confident, but p(y) is one-hot too
        double[][] collapsed = new double[8][4];
        for (double[] row : collapsed) {
            row[2] = 1;
        }
        assertEquals(1, ClassifierScore.of(collapsed, 1).mean(), 1e-12);
    }

    @Test
    void precisionAndRecallMatchAHandWorkedExample() {
        // real {0, 1, 2, 3}, k = 1: every real radius is 1; generated {0.5, 10}, k = 1: radii 9.5
        INDArray real = nd(new double[][] {{0}, {1}, {2}, {3}});
        INDArray generated = nd(new double[][] {{0.5}, {10}});
        PrecisionRecall.Score s = PrecisionRecall.of(real, generated, 1);
        assertEquals(0.5, s.precision(), 1e-12); // 0.5 lies in the ball of 0 (and of 1); 10 in none
        assertEquals(1.0, s.recall(), 1e-12); // every real point lies within 9.5 of 0.5
        assertArrayEquals(new double[] {1, 1, 1, 1}, PrecisionRecall.radii(real, 1));
        assertArrayEquals(new double[] {2, 1, 1, 2}, PrecisionRecall.radii(real, 2));
    }

    static void assertArrayEquals(double[] expected, double[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 1e-9);
    }

    @Test
    void precisionAndRecallAreHighForOneDistributionAndRecallVanishesForOneRepeatedPoint() {
        INDArray real = nd(gaussian(3000, 8, 0, 1, 1));
        PrecisionRecall.Score same = PrecisionRecall.of(real, nd(gaussian(3000, 8, 0, 1, 2)), 3);
        // k-NN manifolds of finite samples miss part of their own distribution (about 10% here in 8-D with k = 3)
        assertTrue(same.precision() > 0.85 && same.recall() > 0.85, same.toString());
        double[][] one = new double[3000][8];
        double[] point = gaussian(1, 8, 0, 0.3, 9)[0];
        for (double[] row : one) {
            System.arraycopy(point, 0, row, 0, 8);
        }
        PrecisionRecall.Score collapsed = PrecisionRecall.of(real, nd(one), 3);
        assertTrue(collapsed.recall() < 0.01, collapsed.toString());
        assertEquals(1.0, collapsed.precision(), 1e-12); // a typical point lies inside the real manifold
        PrecisionRecall.Score far = PrecisionRecall.of(real, nd(gaussian(3000, 8, 5, 1, 3)), 3);
        assertTrue(far.precision() < 0.05 && far.recall() < 0.05, far.toString());
    }
}
