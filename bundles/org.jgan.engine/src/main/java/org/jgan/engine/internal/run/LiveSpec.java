package org.jgan.engine.internal.run;

import java.util.List;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.Swaps;

/**
 * The configuration a run trains with, and a changed one waiting for its next iteration boundary. Other threads
 * request changes ({@code gan:set}, an edited .cfg file); only settings that {@link LiveSettings} allows may differ,
 * and a loss or regularizer swap must be one the model can take ({@link Swaps#refusal}). The training thread
 * takes the waiting change at the boundary.
 */
final class LiveSpec {

    private final String id;
    private volatile RunSpec current;
    /** A changed configuration waiting for the next iteration boundary (null when none). */
    private RunSpec pending;

    LiveSpec(RunSpec spec) {
        this.id = spec.name();
        this.current = spec;
    }

    /** The configuration the run trains with now. */
    RunSpec current() {
        return current;
    }

    /** Sets the configuration the run trains with (training thread). */
    void current(RunSpec spec) {
        current = spec;
    }

    /** The configuration the run trains with now, or will from its next iteration when a change is pending. */
    synchronized RunSpec latest() {
        return pending != null ? pending : current;
    }

    /**
     * Asks the run to take a changed configuration at its next iteration boundary; a later request before the
     * boundary replaces an earlier one.
     *
     * @return the changes that will be applied (empty when the configuration is the same)
     * @throws IllegalArgumentException naming the settings that need a restart; the run is not touched
     */
    synchronized List<LiveSettings.Change> request(RunSpec changed) {
        List<LiveSettings.Change> changes = check(changed);
        if (!LiveSettings.diff(latest().resolved(), changed.resolved()).isEmpty()) {
            pending = changed;
        }
        return changes;
    }

    /** Sets the change to take at the next boundary (a resumed run's given settings). */
    synchronized void pending(RunSpec changed) {
        pending = changed;
    }

    /** The waiting change, still waiting until {@link #taken}; null when none. */
    synchronized RunSpec waiting() {
        return pending;
    }

    /**
     * The training thread has applied {@code applied} (from {@link #waiting}): it is the current configuration, and
     * no longer waiting unless a later request replaced it meanwhile. Until this call {@link #latest} shows the
     * change, so no reader sees the configuration before it while the model is being reconfigured.
     */
    synchronized void taken(RunSpec applied) {
        current = applied;
        if (pending == applied) {
            pending = null;
        }
    }

    /**
     * The changes from the current configuration, when the run can take them while it trains.
     *
     * @throws IllegalArgumentException naming what needs a restart
     */
    List<LiveSettings.Change> check(RunSpec changed) {
        RunSpec now = current;
        List<LiveSettings.Change> changes = LiveSettings.diff(now.resolved(), changed.resolved());
        List<String> fixed = LiveSettings.fixed(changes);
        if (!fixed.isEmpty()) {
            throw new IllegalArgumentException("run '" + id + "': " + String.join(", ", fixed)
                    + " cannot change while the run trains; expected changes of learning rates, optimizer "
                    + "settings, dSteps, iterations, intervals, the loss or regularizers (restart the run for "
                    + "the others)");
        }
        String refusal = LiveSettings.needsSwap(changes) ? Swaps.refusal(now, changed) : null;
        if (refusal != null) {
            throw new IllegalArgumentException("run '" + id + "': cannot swap while training: " + refusal
                    + "; restart the run for that");
        }
        return changes;
    }
}
