package org.jgan.engine.internal.run;

import java.util.Locale;
import java.util.Map;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.engine.internal.memory.ByteSize;

/**
 * Formats a run's status as one human-readable progress line: state, iteration, rate, ETA, the players' losses, the
 * metrics' scores (not the counts they report beside them: a {@code *_total} such as mixture.modes_total, the
 * number of samples) and the memory the run holds.
 */
public final class ProgressLine {

    private ProgressLine() {
    }

    public static String format(RunStatusDTO s) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-9s it %d/%d (%.0f%%)", s.state, s.iteration, s.iterations,
                s.iterations == 0 ? 0.0 : 100.0 * s.iteration / s.iterations));
        if (s.rate > 0) {
            sb.append(String.format(Locale.ROOT, "  %.1f it/s", s.rate));
        }
        if (s.etaSeconds >= 0) {
            sb.append("  ETA ").append(duration(s.etaSeconds));
        }
        if (s.losses != null) {
            for (String key : new String[] {"d_loss", "g_loss", "loss"}) {
                Double v = s.losses.get(key);
                if (v != null) {
                    sb.append(String.format(Locale.ROOT, "  %s %.4f", key, v));
                }
            }
        }
        if (s.metrics != null && !s.metrics.isEmpty()) {
            for (Map.Entry<String, Double> e : new java.util.TreeMap<>(s.metrics).entrySet()) {
                if (isCount(e.getKey())) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "  %s %.3g", e.getKey(), e.getValue()));
            }
        }
        if (s.heldBytes > 0) {
            sb.append("  mem ").append(ByteSize.format(s.heldBytes));
        }
        if (s.error != null) {
            sb.append("  error: ").append(s.error);
        }
        return sb.toString();
    }

    /** A metric's count rather than a score: mixture.modes_total, features.samples, features.real_samples. */
    static boolean isCount(String metric) {
        String score = metric.substring(metric.lastIndexOf('.') + 1);
        return score.endsWith("_total") || score.equals("samples") || score.endsWith("_samples");
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
