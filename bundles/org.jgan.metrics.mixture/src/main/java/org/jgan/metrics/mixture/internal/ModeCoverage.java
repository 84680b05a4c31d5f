package org.jgan.metrics.mixture.internal;

/**
 * Mode coverage of a sample against a mixture with known means and a common standard deviation, following the
 * protocol of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018): a sample is high quality when it lies
 * within {@code k} standard deviations of its nearest mean; a mode is covered when at least {@code minPerMode}
 * high-quality samples are nearest to it.
 *
 * @param modesCovered      number of covered modes
 * @param highQuality       fraction of samples within k standard deviations of their nearest mean
 * @param counts            high-quality samples per mode
 */
record ModeCoverage(int modesCovered, double highQuality, int[] counts) {

    static ModeCoverage of(double[][] samples, double[][] means, double stddev, double k, int minPerMode) {
        int[] counts = new int[means.length];
        int good = 0;
        double limit = k * stddev;
        for (double[] s : samples) {
            int best = -1;
            double bestDist = Double.POSITIVE_INFINITY;
            for (int m = 0; m < means.length; m++) {
                double d = 0;
                for (int j = 0; j < s.length; j++) {
                    double diff = s[j] - means[m][j];
                    d += diff * diff;
                }
                if (d < bestDist) {
                    bestDist = d;
                    best = m;
                }
            }
            if (Math.sqrt(bestDist) <= limit) {
                good++;
                counts[best]++;
            }
        }
        int covered = 0;
        for (int c : counts) {
            if (c >= minPerMode) {
                covered++;
            }
        }
        return new ModeCoverage(covered, samples.length == 0 ? 0 : (double) good / samples.length, counts);
    }
}
