package org.jgan.metrics.features.internal;

/**
 * Eigenvalues of a real symmetric matrix by the cyclic Jacobi method (Golub and Van Loan, "Matrix Computations",
 * section 8.5), in double precision. Deterministic and accurate to a few ulps of the largest eigenvalue; it costs
 * O(d^3) per sweep and converges in under a dozen sweeps, which suits the feature dimensions of the metrics
 * (tens to a few hundred).
 */
final class SymmetricEigen {

    private static final int MAX_SWEEPS = 100;

    private SymmetricEigen() {
    }

    /**
     * Eigenvalues and eigenvectors of {@code a} (not modified).
     *
     * @return {@code values[i]} with eigenvector column i of {@code vectors} ({@code a = V diag(values) V^T})
     */
    static Decomposition of(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) {
                throw new IllegalArgumentException("matrix is not square: row " + i + " has " + a[i].length
                        + " entries; expected " + n);
            }
            m[i] = a[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            double diag = 0;
            for (int p = 0; p < n; p++) {
                diag += m[p][p] * m[p][p];
                for (int q = p + 1; q < n; q++) {
                    off += m[p][q] * m[p][q];
                }
            }
            if (off <= 1e-30 * Math.max(diag, Double.MIN_NORMAL)) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (m[p][q] != 0) {
                        rotate(m, v, p, q);
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = m[i][i];
        }
        return new Decomposition(values, v);
    }

    /** One Jacobi rotation zeroing {@code m[p][q]}, accumulated into {@code v}. */
    private static void rotate(double[][] m, double[][] v, int p, int q) {
        int n = m.length;
        double theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        if (theta == 0) {
            t = 1;
        }
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        for (int k = 0; k < n; k++) {
            double mkp = m[k][p];
            double mkq = m[k][q];
            m[k][p] = c * mkp - s * mkq;
            m[k][q] = s * mkp + c * mkq;
        }
        for (int k = 0; k < n; k++) {
            double mpk = m[p][k];
            double mqk = m[q][k];
            m[p][k] = c * mpk - s * mqk;
            m[q][k] = s * mpk + c * mqk;
        }
        for (int k = 0; k < n; k++) {
            double vkp = v[k][p];
            double vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
        }
    }

    /** Eigenvalues and eigenvectors (as columns). */
    record Decomposition(double[] values, double[][] vectors) {

        /**
         * The symmetric square root {@code V diag(sqrt(max(values, 0))) V^T} of a positive semi-definite matrix
         * (eigenvalues that rounding made slightly negative count as 0).
         */
        double[][] sqrt() {
            int n = values.length;
            double[][] r = new double[n][n];
            for (int k = 0; k < n; k++) {
                double s = Math.sqrt(Math.max(values[k], 0));
                for (int i = 0; i < n; i++) {
                    double vik = vectors[i][k] * s;
                    for (int j = 0; j < n; j++) {
                        r[i][j] += vik * vectors[j][k];
                    }
                }
            }
            return r;
        }
    }
}
