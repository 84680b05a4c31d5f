package org.jgan.engine.internal.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which settings of a run can change while it trains, taking effect at the next iteration.
 * <ul>
 * <li>Live: learning rates and the optimizer's hyperparameters, discriminator steps per iteration, the run length,
 * sample, checkpoint and progress intervals, early stopping ({@code stopScore}, {@code stopGoal},
 * {@code stopPatience}, {@code stopDelta}), and each regularizer's weight and schedule ({@code weight},
 * {@code every}, {@code anneal}, {@code decay}), and the schedules of these ({@code schedule.lrG}, ...,
 * {@code schedule.regularizer.NAME.weight}) and of a model's numeric options ({@code schedule.model.beta}).</li>
 * <li>Swappable: the loss and its options, {@code gAdvWeight}, the regularizer list and every regularizer option,
 * a model component's options ({@code model.beta});
 * the training graphs are rebuilt on the same parameters ({@code GanModel.swap}), which refuses changes of latent
 * codes and weight reparametrizations.</li>
 * <li>Fixed: everything else (architecture, dataset, batch and latent size, optimizer kind, EMA, seed, output
 * folder, the model family {@code model}) fixes the parameters or the data and needs a restart; so do
 * {@code emaHalfLife} and the EMA's schedules.</li>
 * </ul>
 */
public final class LiveSettings {

    static final Set<String> LIVE = Set.of("lrG", "lrD", "beta1", "beta2", "epsilon", "rmsDecay", "dSteps",
            "iterations", "sampleInterval", "checkpointInterval", "progressInterval", "preset", "stopScore", "stopGoal",
            "stopPatience", "stopDelta");
    private static final Pattern LIVE_TERM = Pattern.compile("regularizer\\.[^.]+\\.(weight|every|anneal|decay)");
    /** Schedules of live settings; those of the EMA are fixed like the EMA (it decides whether G is averaged). */
    private static final Pattern LIVE_SCHEDULE = Pattern.compile(
            "schedule\\.(lrG|lrD|beta1|beta2|regularizer\\.[^.]+\\.weight|model\\.[^.]+)");
    private static final Pattern SWAPPABLE = Pattern.compile(
            "loss|loss\\..+|gAdvWeight|regularizers|regularizer\\..+|model\\..+");

    /** One changed setting. */
    public record Change(String key, String from, String to) {
    }

    private LiveSettings() {
    }

    public static boolean isLive(String key) {
        return LIVE.contains(key) || LIVE_TERM.matcher(key).matches() || LIVE_SCHEDULE.matcher(key).matches();
    }

    /** Settings whose resolved values differ, in key order. */
    public static List<Change> diff(Map<String, String> before, Map<String, String> after) {
        Set<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        List<Change> changes = new ArrayList<>();
        for (String k : keys) {
            if (!Objects.equals(before.get(k), after.get(k))) {
                changes.add(new Change(k, before.get(k), after.get(k)));
            }
        }
        return changes;
    }

    static boolean isSwappable(String key) {
        return SWAPPABLE.matcher(key).matches();
    }

    /** The changes that cannot be made while the run trains; empty when all can. */
    public static List<String> fixed(List<Change> changes) {
        return changes.stream().map(Change::key).filter(k -> !isLive(k) && !isSwappable(k)).toList();
    }

    /** Whether the changes need the training graphs rebuilt (a swap) rather than new values only. */
    public static boolean needsSwap(List<Change> changes) {
        return changes.stream().map(Change::key).anyMatch(k -> !isLive(k) && isSwappable(k));
    }
}
