package org.jgan.engine.internal.model;

import java.util.HashMap;
import java.util.Map;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.config.ValueSchedule;

/**
 * The weight of each regularization term at each step: its configured weight (at its value of the iteration when
 * {@code schedule.regularizer.NAME.weight} gives it a {@link org.jgan.engine.internal.config.ValueSchedule}), times
 * {@code decay^(iteration / iterations)} when annealed (Roth et al. 2017, section 4.2), times N on the steps of a
 * lazy term applied every N steps of its player and 0 on the others (lazy regularization, Karras et al. 2020,
 * appendix B). A term of weight 0 is not computed at that step. Weights, schedules and the run length change live
 * ({@link #reconfigure}).
 */
public final class TermWeights {

    /** The current choices by name (weights and schedules can change while training). */
    private final Map<String, RunSpec.RegularizerChoice> terms = new HashMap<>();
    private long iterations;
    private Map<String, ValueSchedule> schedules = Map.of();

    TermWeights(RunSpec spec) {
        reconfigure(spec);
    }

    /** Takes the weights, schedules and run length of a changed configuration of the same run. */
    void reconfigure(RunSpec changed) {
        changed.regularizers().forEach(r -> terms.put(r.name(), r));
        iterations = changed.settings().iterations();
        schedules = changed.schedules();
    }

    /** Forgets terms no longer configured (after a swap of the regularizers), then {@link #reconfigure}. */
    void replace(RunSpec changed) {
        terms.clear();
        reconfigure(changed);
    }

    /** The weight of a term at this iteration and step of its player (0: the term is not computed). */
    double weight(RunSpec.RegularizerChoice configured, long iteration, long playerStep) {
        RunSpec.RegularizerChoice c = terms.getOrDefault(configured.name(), configured);
        if (playerStep % c.every() != 0) {
            return 0;
        }
        ValueSchedule s = schedules.get("regularizer." + c.name() + ".weight");
        double w = (s == null ? c.weight() : s.at(c.weight(), iteration, iterations)) * c.every();
        if (c.anneal()) {
            w *= Math.pow(c.decay(), (double) iteration / iterations);
        }
        return w;
    }
}
