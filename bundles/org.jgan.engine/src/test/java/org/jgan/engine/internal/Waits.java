package org.jgan.engine.internal;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.run.TrainingRun;

/** Waiting in tests with a deadline: a wait that runs out fails with what it saw instead of hanging. */
public final class Waits {

    /** The longest a test waits for a small run to get somewhere. */
    public static final long DEADLINE_MILLIS = 120_000;

    private Waits() {
    }

    public static void until(BooleanSupplier done, long millis, Supplier<String> seen) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within " + millis + " ms; saw: " + seen.get());
            }
            Thread.sleep(5);
        }
    }

    /** Until the run has done {@code iterations} (failing, with its status, when it finishes first or never gets there). */
    public static void forIteration(TrainingRun run, long iterations) throws InterruptedException {
        until(() -> run.status().iteration >= iterations || run.isFinished(), DEADLINE_MILLIS,
                () -> run.status().summary);
        if (run.status().iteration < iterations) {
            throw new AssertionError("run ended before iteration " + iterations + ": " + run.status().summary);
        }
    }

    public static void forState(TrainingRun run, State state) throws InterruptedException {
        until(() -> run.status().state == state, DEADLINE_MILLIS, () -> "waiting for " + state + ": "
                + run.status().summary);
    }
}
