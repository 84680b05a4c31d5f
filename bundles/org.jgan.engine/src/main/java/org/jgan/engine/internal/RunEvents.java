package org.jgan.engine.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.engine.internal.run.RunListener;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * Publishes a run's progress and state changes as OSGi events through EventAdmin, asynchronously
 * ({@link EventAdmin#postEvent}), so other bundles follow runs with an {@code EventHandler} on
 * {@code org/jgan/run/*}. The topics and properties are documented in docs/architecture.md.
 */
final class RunEvents implements RunListener {

    /** At each progress interval of a run and at its last iteration. */
    static final String PROGRESS = "org/jgan/run/PROGRESS";
    /** When a run enters a state (RUNNING, PAUSED, STOPPED, COMPLETED, FAILED). */
    static final String STATE = "org/jgan/run/STATE";

    /** The EventAdmin to post to, or null while there is none (then nothing is published). */
    interface Target {
        EventAdmin eventAdmin();
    }

    private final Target target;

    RunEvents(Target target) {
        this.target = target;
    }

    @Override
    public void progress(RunStatusDTO status) {
        post(PROGRESS, status);
    }

    @Override
    public void stateChanged(RunStatusDTO status) {
        post(STATE, status);
    }

    private void post(String topic, RunStatusDTO status) {
        EventAdmin admin = target.eventAdmin();
        if (admin != null) {
            admin.postEvent(event(topic, status));
        }
    }

    /**
     * The event for a run's status: {@code run} (id), {@code state} (name), {@code iteration}, {@code iterations}
     * (Long), {@code rate} (iterations/s, Double), {@code eta} (seconds, -1 when unknown, Double), {@code losses}
     * and {@code metrics} (Map of String to Double), {@code outputDir}, {@code summary} (the progress line) and,
     * when there is one, {@code error} (why the run failed, or what a paused run waits for).
     */
    static Event event(String topic, RunStatusDTO s) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("run", s.id);
        p.put("state", s.state.name());
        p.put("iteration", s.iteration);
        p.put("iterations", s.iterations);
        p.put("rate", s.rate);
        p.put("eta", s.etaSeconds);
        p.put("losses", s.losses == null ? Map.of() : Map.copyOf(s.losses));
        p.put("metrics", s.metrics == null ? Map.of() : Map.copyOf(s.metrics));
        if (s.outputDir != null) {
            p.put("outputDir", s.outputDir);
        }
        p.put("summary", s.summary);
        if (s.error != null) {
            p.put("error", s.error);
        }
        return new Event(topic, p);
    }
}
