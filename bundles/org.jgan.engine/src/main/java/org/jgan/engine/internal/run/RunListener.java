package org.jgan.engine.internal.run;

import org.jgan.api.dto.RunStatusDTO;

/**
 * Told by a {@link TrainingRun}, on its own thread, about its progress and state changes. Implementations must
 * return quickly and never throw into the training loop (the run logs and ignores what they throw).
 */
public interface RunListener {

    /** Listens to nothing. */
    RunListener NONE = new RunListener() {
        @Override
        public void progress(RunStatusDTO status) {
        }

        @Override
        public void stateChanged(RunStatusDTO status) {
        }
    };

    /** At each progress interval (when the run logs its progress line) and at its last iteration. */
    void progress(RunStatusDTO status);

    /**
     * After the run entered {@code status.state}. For a final state (completed, stopped, failed) this comes after
     * status.json, the checkpoint and the other outputs were written.
     */
    void stateChanged(RunStatusDTO status);
}
