package org.jgan.engine.internal.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.model.GanModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training run on its own thread: the schedule's phases iteration by iteration, progress lines, loss log,
 * samples, metrics and checkpoints in the run's output folder. It can be paused, resumed and stopped at iteration
 * boundaries, and take live changes there; a run whose output folder has a checkpoint continues from it.
 *
 * <p>This class is the run's face to other threads and its life from start to final state; the parts are
 * {@link TrainingLoop} (the training thread's work), {@link RunControl} (state, requests, status, under one lock),
 * {@link LiveSpec} (the configuration and a change waiting for the next boundary), {@link Resumption} (the
 * configuration a resumed run trains with), {@link ComponentWatch} (gone and new components) and {@link RunRecords}
 * (the files written).
 */
public final class TrainingRun implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

    private final String id;
    private final LiveSpec live;
    private final RunControl control;
    private final RunRecords records;
    private final Resumption resumption;
    private final TrainingLoop loop;

    /**
     * @param spec       the checked configuration
     * @param provenance what to record next to the outputs besides the configuration (bundles, backend)
     */
    public TrainingRun(RunSpec spec, Map<String, Object> provenance) {
        this(spec, provenance, null);
    }

    /**
     * @param catalog the installed components; when given, the run pauses (checkpoint saved) while a component it
     *                uses is gone and resumes when it is back, rebinding to a new version of it
     */
    public TrainingRun(RunSpec spec, Map<String, Object> provenance, ComponentCatalog catalog) {
        this(spec, provenance, catalog, RunListener.NONE);
    }

    /** @param listener told about progress and state changes (e.g. to publish them as OSGi events) */
    public TrainingRun(RunSpec spec, Map<String, Object> provenance, ComponentCatalog catalog, RunListener listener) {
        this(spec, provenance, catalog, listener, null);
    }

    /**
     * @param given the settings given for this start, which a run resuming from a checkpoint takes on top of the
     *              configuration the checkpoint recorded; null to count the whole configuration as given
     */
    public TrainingRun(RunSpec spec, Map<String, Object> provenance, ComponentCatalog catalog, RunListener listener,
            Map<String, String> given) {
        this.id = spec.name();
        Path out = Path.of(spec.settings().outputDir());
        this.live = new LiveSpec(spec);
        this.control = new RunControl(id, out, spec.settings().iterations(), listener);
        this.records = new RunRecords(id, new RunFolder(out), provenance);
        this.resumption = new Resumption(id, catalog, records, given);
        this.loop = new TrainingLoop(live, control, records, new ComponentWatch(catalog, id), resumption);
    }

    public String id() {
        return id;
    }

    /**
     * Marks the run as restarting with an edited configuration: changed settings that a running run cannot take
     * are applied from the checkpoint on (a resume from the command line refuses them); call before it starts.
     */
    public TrainingRun restarting() {
        resumption.restarting();
        return this;
    }

    /** The configuration the run trains with now. */
    public RunSpec spec() {
        return live.current();
    }

    /**
     * Trains, then frees everything the run allocated (its graphs and their array caches, parameters, optimizer
     * state, EMA copies) before it enters its final state: a finished run keeps only its status and its folder.
     */
    @Override
    public void run() {
        State end;
        Throwable failure = null;
        GanModel[] model = new GanModel[1];
        try {
            end = loop.train(model);
        } catch (Throwable t) {
            failure = t;
            end = State.FAILED;
        }
        loop.release(model[0]);
        if (failure != null) {
            fail(failure);
        } else {
            finish(end);
        }
    }

    /**
     * Fails the run. Expected failures (invalid input, a folder another trainer holds, a file that cannot be written,
     * a non-finite loss) are one line (with the stack trace under {@code JGAN_DEBUG=1}, i.e.
     * {@code -Djgan.debug=true}); anything else is a defect and is logged with its stack trace.
     */
    private void fail(Throwable t) {
        boolean expected = t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t instanceof GanModel.NonFiniteLossException || t instanceof IOException;
        String message = expected && t.getMessage() != null ? t.getMessage() : t.toString();
        control.failed(message);
        boolean trace = !expected || Boolean.getBoolean("jgan.debug");
        LOG.error("[{}] failed at iteration {}: {}", id, control.iteration(), message, trace ? t : null);
        finish(State.FAILED);
    }

    /**
     * Enters a final state: status.json is written first and the folder's lock given back, so whoever sees the state
     * (awaitFinished, the status, the listener) finds the file written and may train the folder at once.
     */
    private void finish(State s) {
        RunStatusDTO last = control.statusIn(s, true);
        records.writeStatus(last);
        records.release();
        control.announce(s, last);
    }

    /**
     * Asks the run to take a changed configuration at its next iteration boundary. Only settings that
     * {@link LiveSettings} allows may differ; a later request before the boundary replaces an earlier one.
     *
     * @return the changes that will be applied (empty when the configuration is the same)
     * @throws IllegalArgumentException naming the settings that need a restart; the run is not touched
     */
    public List<LiveSettings.Change> requestChange(RunSpec changed) {
        return live.request(changed);
    }

    /**
     * The changes from the current configuration, when the run can take them while it trains.
     *
     * @throws IllegalArgumentException naming what needs a restart
     */
    public List<LiveSettings.Change> check(RunSpec changed) {
        return live.check(changed);
    }

    /** The configuration the run trains with now, or will from its next iteration when a change is pending. */
    public RunSpec latestSpec() {
        return live.latest();
    }

    public void pause() {
        control.pause();
    }

    public void resume() {
        control.resume();
    }

    public void stop() {
        control.stop();
    }

    public boolean isFinished() {
        return control.isFinished();
    }

    /** Waits until the run has finished or {@code millis} passed; returns whether it finished. */
    public boolean awaitFinished(long millis) throws InterruptedException {
        return control.awaitFinished(millis);
    }

    /**
     * Waits until the run is in one of {@code states} (or has finished) or {@code millis} passed; returns its status
     * then.
     */
    public RunStatusDTO awaitState(Set<RunStatusDTO.State> states, long millis) throws InterruptedException {
        Set<RunStatusDTO.State> any = EnumSet.copyOf(RunControl.FINAL);
        any.addAll(states);
        control.awaitState(any, millis);
        return control.status();
    }

    public RunStatusDTO status() {
        return control.status();
    }
}
