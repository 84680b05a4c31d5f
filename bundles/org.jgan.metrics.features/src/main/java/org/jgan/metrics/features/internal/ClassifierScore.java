package org.jgan.metrics.features.internal;

/**
 * The Inception score of Salimans et al. 2016 ("Improved Techniques for Training GANs"), {@code exp(E_x KL(p(y|x) ||
 * p(y)))}, with the class probabilities of whichever classifier the metric uses: high when each sample is classified
 * confidently and the classes are used evenly, between 1 and the number of classes. As in the reference code the
 * samples are cut into {@code splits} equal parts, {@code p(y)} is each part's mean prediction, and the score is the
 * mean over parts with their standard deviation.
 */
final class ClassifierScore {

    /** Mean and standard deviation (population, as numpy's {@code std}) of the splits' scores. */
    record Score(double mean, double std) {
    }

    private ClassifierScore() {
    }

    /** @param probabilities {@code [n][K]}, rows summing to 1 */
    static Score of(double[][] probabilities, int splits) {
        int n = probabilities.length;
        if (splits < 1 || n / splits < 1) {
            throw new IllegalArgumentException("classifier score: " + n + " samples cannot fill " + splits
                    + " splits; expected at least " + Math.max(splits, 1) + " samples");
        }
        int part = n / splits;
        double[] scores = new double[splits];
        for (int s = 0; s < splits; s++) {
            scores[s] = Math.exp(meanKl(probabilities, s * part, (s + 1) * part));
        }
        double mean = 0;
        for (double v : scores) {
            mean += v;
        }
        mean /= splits;
        double var = 0;
        for (double v : scores) {
            var += (v - mean) * (v - mean);
        }
        return new Score(mean, Math.sqrt(var / splits));
    }

    /** Mean over rows from..to-1 of KL(p(y|x) || p(y)), p(y) their mean row; 0 log 0 = 0. */
    private static double meanKl(double[][] p, int from, int to) {
        int k = p[from].length;
        double[] marginal = new double[k];
        for (int i = from; i < to; i++) {
            for (int c = 0; c < k; c++) {
                marginal[c] += p[i][c];
            }
        }
        for (int c = 0; c < k; c++) {
            marginal[c] /= to - from;
        }
        double kl = 0;
        for (int i = from; i < to; i++) {
            for (int c = 0; c < k; c++) {
                if (p[i][c] > 0) {
                    kl += p[i][c] * (Math.log(p[i][c]) - Math.log(marginal[c]));
                }
            }
        }
        return kl / (to - from);
    }
}
