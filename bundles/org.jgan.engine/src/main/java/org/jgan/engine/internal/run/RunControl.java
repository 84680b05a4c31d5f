package org.jgan.engine.internal.run;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a run shares with other threads, under one lock: its state, the requests to pause and stop, the iteration it
 * reached, its latest losses and scores, its error, and the status built from them. The training thread writes it;
 * shell, registry and event threads read the status and make requests. Waiting (a pause, components that went away)
 * happens on this lock, so a request wakes the run at once.
 */
final class RunControl {

    private static final Logger LOG = LoggerFactory.getLogger(RunControl.class);
    /** The states a run ends in. */
    static final Set<State> FINAL = EnumSet.of(State.COMPLETED, State.FAILED, State.STOPPED);

    private final Object lock = new Object();
    private final String id;
    private final Path out;
    private final RunListener listener;
    private final Progress progress = new Progress();

    private State state = State.STARTING;
    private boolean pauseRequested;
    private boolean stopRequested;
    private long iteration;
    private long iterations;
    private Map<String, Double> losses = Map.of();
    private Map<String, Double> metrics = Map.of();
    private String error;
    /** While the run waits for components that went away: what it waits for (null otherwise). */
    private String waitingFor;
    /** Native bytes of the model's arrays at the latest progress line; 0 before the model exists and once freed. */
    private long heldBytes;

    /**
     * @param listener told about state changes through {@link #enter} and {@link #announce}, and about progress
     *                 through {@link #tellProgress}
     */
    RunControl(String id, Path out, long iterations, RunListener listener) {
        this.id = id;
        this.out = out;
        this.iterations = iterations;
        this.listener = listener;
    }

    // ---- requests from other threads

    void pause() {
        synchronized (lock) {
            pauseRequested = true;
            lock.notifyAll();
        }
    }

    void resume() {
        synchronized (lock) {
            pauseRequested = false;
            lock.notifyAll();
        }
    }

    void stop() {
        synchronized (lock) {
            stopRequested = true;
            lock.notifyAll();
        }
    }

    /** Wakes the run wherever it waits, to look again (e.g. the installed components changed). */
    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    // ---- what the training thread asks

    boolean stopWanted() {
        synchronized (lock) {
            return stopRequested;
        }
    }

    /** Whether the run is asked to pause or stop at this boundary. */
    boolean holdWanted() {
        synchronized (lock) {
            return pauseRequested || stopRequested;
        }
    }

    /**
     * Blocks while a pause is requested; returns false when the run was stopped meanwhile (or before). On resume the
     * progress clock restarts, so the pause does not count against the rate.
     */
    boolean awaitResume() throws InterruptedException {
        synchronized (lock) {
            while (pauseRequested && !stopRequested) {
                lock.wait();
            }
            if (!stopRequested) {
                progress.restartClock(iteration, System.nanoTime());
            }
            return !stopRequested;
        }
    }

    /**
     * Waits once (until woken) unless a stop is requested or {@code changes} moved from {@code seen}; returns whether
     * a stop was requested before the wait (a stop that comes during the wait is seen at the next call, after the
     * caller looked at the changes).
     */
    boolean awaitChange(LongSupplier changes, long seen) throws InterruptedException {
        synchronized (lock) {
            boolean stop = stopRequested;
            if (!stop && changes.getAsLong() == seen) {
                lock.wait();
            }
            return stop;
        }
    }

    // ---- what the training thread records

    long iteration() {
        synchronized (lock) {
            return iteration;
        }
    }

    void iteration(long at) {
        synchronized (lock) {
            iteration = at;
        }
    }

    long iterations() {
        synchronized (lock) {
            return iterations;
        }
    }

    void iterations(long total) {
        synchronized (lock) {
            iterations = total;
        }
    }

    /** Iteration {@code done} was reached at {@code nanos} with these losses. */
    void reached(long done, Map<String, Double> values, long nanos) {
        synchronized (lock) {
            iteration = done;
            losses = values;
            progress.update(done, nanos);
        }
    }

    void restartClock() {
        synchronized (lock) {
            progress.restartClock(iteration, System.nanoTime());
        }
    }

    void metrics(Map<String, Double> scores) {
        synchronized (lock) {
            metrics = Map.copyOf(scores);
        }
    }

    void held(long bytes) {
        synchronized (lock) {
            heldBytes = bytes;
        }
    }

    void failed(String message) {
        synchronized (lock) {
            error = message;
        }
    }

    /** What the run waits for (shown as its error while it waits), or null when it no longer waits. */
    void waitingFor(String what) {
        synchronized (lock) {
            waitingFor = what;
        }
    }

    // ---- state changes

    /** Enters a state the run goes on from (running, paused) and tells the listener. */
    void enter(State s) {
        synchronized (lock) {
            state = s;
            lock.notifyAll();
        }
        tell(listener::stateChanged, status());
    }

    /**
     * Enters a final state, already written as {@code last} (see {@link #statusIn}), and tells the listener, so that
     * whoever sees the state finds the files written.
     */
    void announce(State s, RunStatusDTO last) {
        synchronized (lock) {
            state = s;
            lock.notifyAll();
        }
        tell(listener::stateChanged, last);
    }

    /** Tells the listener the run's progress. */
    void tellProgress(RunStatusDTO reached) {
        tell(listener::progress, reached);
    }

    /** Tells the listener; what it throws is logged and never reaches the training loop. */
    private void tell(Consumer<RunStatusDTO> call, RunStatusDTO s) {
        try {
            call.accept(s);
        } catch (RuntimeException e) {
            LOG.warn("[{}] a run listener failed on {}: {}", id, s.state, e.toString());
        }
    }

    boolean isFinished() {
        synchronized (lock) {
            return FINAL.contains(state);
        }
    }

    /** Waits until the run has finished or {@code millis} passed; returns whether it finished. */
    boolean awaitFinished(long millis) throws InterruptedException {
        return awaitState(FINAL, millis);
    }

    /** Waits until the run is in one of {@code states} or {@code millis} passed; returns whether it is. */
    boolean awaitState(Set<State> states, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (lock) {
            while (!states.contains(state)) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                lock.wait(left);
            }
            return true;
        }
    }

    RunStatusDTO status() {
        synchronized (lock) {
            return snapshot(state);
        }
    }

    /** The status as it is, but in state {@code s}; a final state also ends the wait for components. */
    RunStatusDTO statusIn(State s, boolean last) {
        synchronized (lock) {
            if (last) {
                waitingFor = null;
            }
            return snapshot(s);
        }
    }

    /** The status as it is, in state {@code state}; the caller holds the lock. */
    private RunStatusDTO snapshot(State state) {
        RunStatusDTO s = new RunStatusDTO();
        s.id = id;
        s.state = state;
        s.iteration = iteration;
        s.iterations = iterations;
        s.rate = state == State.RUNNING ? progress.rate() : 0;
        s.etaSeconds = state == State.RUNNING ? progress.eta(iteration, iterations) : -1;
        s.losses = Map.copyOf(losses);
        s.metrics = Map.copyOf(metrics);
        s.outputDir = out.toAbsolutePath().toString();
        s.error = error != null ? error : waitingFor;
        s.heldBytes = heldBytes;
        s.summary = ProgressLine.format(s);
        return s;
    }
}
