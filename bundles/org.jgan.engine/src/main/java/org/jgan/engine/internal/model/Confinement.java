package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The check that a model's ND4J work stays on one thread, the thread that built it (a run's own thread). ND4J's CUDA
 * backend binds threads to devices, so the shell's, the HTTP server's and the event threads must never touch a
 * run's arrays; the engine hands them figures the run thread computed instead. With
 * {@code -Djgan.checkConfinement=true} (tests) each of a model's training, sampling, reconfiguration, checkpoint and
 * memory methods records a call from another thread; {@link #violations} lists them.
 */
public final class Confinement {

    /** The calls from other threads seen so far, process-wide: "method on thread T (model's thread O)". */
    private static final List<String> VIOLATIONS = new ArrayList<>();

    private final Thread owner = Thread.currentThread();
    private final boolean on = Boolean.getBoolean("jgan.checkConfinement");

    /** Records the call when it comes from a thread other than the model's. */
    void check(String method) {
        Thread t = Thread.currentThread();
        if (on && t != owner) {
            synchronized (VIOLATIONS) {
                VIOLATIONS.add(method + " on thread '" + t.getName() + "' (the model's thread: '" + owner.getName()
                        + "')");
            }
        }
    }

    /** The calls from other threads recorded so far. */
    public static List<String> violations() {
        synchronized (VIOLATIONS) {
            return List.copyOf(VIOLATIONS);
        }
    }
}
