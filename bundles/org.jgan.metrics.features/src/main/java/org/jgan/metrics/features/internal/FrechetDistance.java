package org.jgan.metrics.features.internal;

/**
 * The Frechet distance between Gaussians fitted to two feature sets (Dowson and Landau 1982), the distance of the
 * Frechet Inception Distance (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
 * Nash Equilibrium"), here on the features of whichever extractor the metric uses:
 * <pre>
 *   d^2 = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))
 * </pre>
 * with sample means and covariances (denominator n - 1, as numpy's {@code cov} in the reference code). The trace of
 * the matrix square root is computed as {@code tr((S_1^(1/2) S_2 S_1^(1/2))^(1/2))}, which has the same eigenvalues
 * as {@code (S_1 S_2)^(1/2)} and is symmetric, so two symmetric eigendecompositions give it without the complex
 * arithmetic a general {@code sqrtm} needs.
 */
final class FrechetDistance {

    private FrechetDistance() {
    }

    /** The distance between the Gaussians of two samples {@code [n_i][d]}. */
    static double of(double[][] a, double[][] b) {
        Moments ma = Moments.of(a);
        Moments mb = Moments.of(b);
        return between(ma.mean(), ma.covariance(), mb.mean(), mb.covariance());
    }

    /** The distance between N(mu1, s1) and N(mu2, s2). */
    static double between(double[] mu1, double[][] s1, double[] mu2, double[][] s2) {
        int d = mu1.length;
        if (mu2.length != d || s1.length != d || s2.length != d) {
            throw new IllegalArgumentException("feature dimensions differ: " + d + " and " + mu2.length);
        }
        double meanTerm = 0;
        double trace = 0;
        for (int i = 0; i < d; i++) {
            double diff = mu1[i] - mu2[i];
            meanTerm += diff * diff;
            trace += s1[i][i] + s2[i][i];
        }
        double[][] root1 = SymmetricEigen.of(s1).sqrt();
        double[][] m = multiply(multiply(root1, s2), root1);
        symmetrize(m);
        double traceRoot = 0;
        for (double lambda : SymmetricEigen.of(m).values()) {
            traceRoot += Math.sqrt(Math.max(lambda, 0));
        }
        return Math.max(0, meanTerm + trace - 2 * traceRoot);
    }

    static double[][] multiply(double[][] x, double[][] y) {
        int n = x.length;
        int k = y.length;
        int m = y[0].length;
        double[][] r = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < k; l++) {
                double xil = x[i][l];
                if (xil != 0) {
                    for (int j = 0; j < m; j++) {
                        r[i][j] += xil * y[l][j];
                    }
                }
            }
        }
        return r;
    }

    private static void symmetrize(double[][] m) {
        for (int i = 0; i < m.length; i++) {
            for (int j = i + 1; j < m.length; j++) {
                double s = 0.5 * (m[i][j] + m[j][i]);
                m[i][j] = s;
                m[j][i] = s;
            }
        }
    }

    /** Sample mean and covariance (denominator n - 1). */
    record Moments(double[] mean, double[][] covariance) {
        static Moments of(double[][] x) {
            int n = x.length;
            if (n < 2) {
                throw new IllegalArgumentException("a covariance needs at least 2 samples, got " + n);
            }
            int d = x[0].length;
            double[] mean = new double[d];
            for (double[] row : x) {
                for (int j = 0; j < d; j++) {
                    mean[j] += row[j];
                }
            }
            for (int j = 0; j < d; j++) {
                mean[j] /= n;
            }
            double[][] cov = new double[d][d];
            double[] c = new double[d];
            for (double[] row : x) {
                for (int j = 0; j < d; j++) {
                    c[j] = row[j] - mean[j];
                }
                for (int i = 0; i < d; i++) {
                    double ci = c[i];
                    for (int j = i; j < d; j++) {
                        cov[i][j] += ci * c[j];
                    }
                }
            }
            for (int i = 0; i < d; i++) {
                for (int j = i; j < d; j++) {
                    cov[i][j] /= n - 1;
                    cov[j][i] = cov[i][j];
                }
            }
            return new Moments(mean, cov);
        }
    }
}
