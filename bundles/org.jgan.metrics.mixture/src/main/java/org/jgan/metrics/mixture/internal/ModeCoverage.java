package org.jgan.metrics.mixture.internal;

/**
 * Mode coverage of a sample against a mixture with known means and a common standard deviation, following the
 * protocol of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018): a sample is high quality when it lies
 * strictly within {@code k} standard deviations of its nearest mean. Two counts of covered modes:
 * <ul>
 * <li>{@code modesCovered}, the published convention of VEEGAN's and PacGAN's evaluation code: a mode is covered
 * when at least one high-quality sample is nearest to it;</li>
 * <li>{@code modesStrict}: a mode is covered when at least {@code minPerMode} high-quality samples are nearest to
 * it (20 by default, so that a few stray samples do not count as a mode).</li>
 * </ul>
 *
 * @param modesCovered      modes with at least one high-quality sample (the published convention)
 * @param modesStrict       modes with at least minPerMode high-quality samples
 * @param highQuality       fraction of samples within k standard deviations of their nearest mean
 * @param counts            high-quality samples per mode
 */
record ModeCoverage(int modesCovered, int modesStrict, double highQuality, int[] counts) {

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
            if (Math.sqrt(bestDist) < limit) {
                good++;
                counts[best]++;
            }
        }
        int covered = 0;
        int strict = 0;
        for (int c : counts) {
            if (c >= 1) {
                covered++;
            }
            if (c >= minPerMode) {
                strict++;
            }
        }
        return new ModeCoverage(covered, strict, samples.length == 0 ? 0 : (double) good / samples.length, counts);
    }
}
