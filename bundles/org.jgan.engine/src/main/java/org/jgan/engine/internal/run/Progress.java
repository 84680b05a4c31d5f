package org.jgan.engine.internal.run;

/**
 * Iteration rate and time to completion, smoothed over the recent past so a pause or a slow evaluation does not
 * dominate the estimate.
 */
public final class Progress {

    private static final double SMOOTHING = 0.2;
    private long lastIteration = -1;
    private long lastNanos;
    private double rate = Double.NaN;

    /** Records that {@code iteration} was reached at {@code nanos}. */
    void update(long iteration, long nanos) {
        if (lastIteration >= 0 && nanos > lastNanos && iteration > lastIteration) {
            double r = (iteration - lastIteration) / ((nanos - lastNanos) / 1e9);
            rate = Double.isNaN(rate) ? r : SMOOTHING * r + (1 - SMOOTHING) * rate;
        }
        lastIteration = iteration;
        lastNanos = nanos;
    }

    /** Restarts timing without forgetting the rate, e.g. after a pause. */
    void restartClock(long iteration, long nanos) {
        lastIteration = iteration;
        lastNanos = nanos;
    }

    double rate() {
        return Double.isNaN(rate) ? 0 : rate;
    }

    /** Seconds to reach {@code total}, or -1 while the rate is unknown. */
    double eta(long iteration, long total) {
        return Double.isNaN(rate) || rate <= 0 ? -1 : (total - iteration) / rate;
    }
}
