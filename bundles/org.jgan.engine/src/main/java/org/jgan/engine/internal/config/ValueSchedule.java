package org.jgan.engine.internal.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a numeric setting changes over a run: cosine decay with a linear warm-up, the schedule R3GAN (Huang et al.
 * 2024) puts on its learning rate, Adam's beta2, the R1/R2 weight gamma and the EMA half-life (its code's
 * {@code cosine_decay_with_warmup}; the cosine shape is Loshchilov and Hutter 2017's SGDR without restarts). With the
 * setting's own value {@code b} as the base, at iteration t, warm-up W, hold H and length T:
 * <pre>
 * v(t) = from + (b - from) t / W                                        t &lt; W
 * v(t) = b                                                              W &lt;= t &lt;= W + H
 * v(t) = b + (1 - (1 + cos(pi (t - W - H) / (T - W - H))) / 2) (to - b)  W + H &lt; t &lt;= T
 * v(t) = to                                                             t &gt; T
 * </pre>
 * Written as a setting's value: {@code cosine(to=5e-5, over=20000, warmup=500, from=0, hold=0)}; {@code to} is
 * required, {@code over} defaults to the run's {@code iterations} (0), the rest to 0. Iterations count generator
 * steps (R3GAN counts images: divide by the batch size).
 *
 * @param to     the final value
 * @param over   T, the iteration at which the final value is reached; 0: the run's length
 * @param warmup W, the iterations of the linear warm-up from {@code from} to the base (0: none)
 * @param from   the value at iteration 0 when there is a warm-up
 * @param hold   H, the iterations the base is held after the warm-up
 */
public record ValueSchedule(double to, long over, long warmup, double from, long hold) {

    private static final Pattern FORM = Pattern.compile("\\s*cosine\\s*\\((.*)\\)\\s*");
    private static final String EXPECTED = "expected cosine(to=V[, over=N][, warmup=N][, from=V][, hold=N])";

    public ValueSchedule {
        if (over < 0 || warmup < 0 || hold < 0) {
            throw new IllegalArgumentException("negative iterations in " + text(to, over, warmup, from, hold));
        }
        if (over > 0 && warmup + hold >= over) {
            throw new IllegalArgumentException("warmup + hold (" + (warmup + hold) + ") not below over (" + over
                    + ")");
        }
        if (!Double.isFinite(to) || !Double.isFinite(from)) {
            throw new IllegalArgumentException("values must be finite");
        }
    }

    /**
     * Parses a schedule's text.
     *
     * @param key the setting's key, for the message
     * @throws IllegalArgumentException one line naming the key, the text and what is expected
     */
    public static ValueSchedule parse(String key, String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("setting '" + key + "' is '" + text + "'; " + EXPECTED);
        }
        Map<String, String> args = new LinkedHashMap<>();
        for (String part : m.group(1).split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] kv = part.split("=", 2);
            String name = kv[0].trim();
            if (kv.length != 2 || !Map.of("to", 1, "over", 1, "warmup", 1, "from", 1, "hold", 1).containsKey(name)
                    || args.put(name, kv[1].trim()) != null) {
                throw new IllegalArgumentException("setting '" + key + "' is '" + text + "': '" + part.trim()
                        + "' is not a name=value of to, over, warmup, from or hold given once; " + EXPECTED);
            }
        }
        if (!args.containsKey("to")) {
            throw new IllegalArgumentException("setting '" + key + "' is '" + text + "' without to=; " + EXPECTED);
        }
        try {
            return new ValueSchedule(Double.parseDouble(args.get("to")), iterations(args.get("over")),
                    iterations(args.get("warmup")), Double.parseDouble(args.getOrDefault("from", "0")),
                    iterations(args.get("hold")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting '" + key + "' is '" + text + "': a value is not a number; "
                    + EXPECTED);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setting '" + key + "' is '" + text + "': " + e.getMessage() + "; "
                    + EXPECTED);
        }
    }

    private static long iterations(String text) {
        return text == null ? 0 : Long.parseLong(text);
    }

    /**
     * The value at an iteration.
     *
     * @param base       the setting's own value
     * @param iteration  t, counted from 0
     * @param iterations the run's length (T when {@code over} is 0)
     */
    public double at(double base, long iteration, long iterations) {
        long end = over > 0 ? over : iterations;
        if (iteration < warmup) {
            return from + (base - from) * iteration / warmup;
        }
        if (iteration > end) {
            return to;
        }
        if (iteration <= warmup + hold || end <= warmup + hold) {
            return base;
        }
        double cos = 0.5 * (1 + Math.cos(Math.PI * (iteration - warmup - hold) / (double) (end - warmup - hold)));
        return base + (1 - cos) * (to - base);
    }

    /** The canonical text, as {@link #parse} reads it. */
    @Override
    public String toString() {
        return text(to, over, warmup, from, hold);
    }

    private static String text(double to, long over, long warmup, double from, long hold) {
        return String.format(Locale.ROOT, "cosine(to=%s, over=%d, warmup=%d, from=%s, hold=%d)", to, over, warmup,
                from, hold);
    }
}
