package org.jgan.engine.internal.run;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.api.Metric;
import org.jgan.api.Side;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.analysis.Evaluation;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.RunSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.folder.EventFile;
import org.jgan.engine.internal.folder.LossLog;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.folder.RunLogs;
import org.jgan.engine.internal.memory.MemoryBudget;
import org.jgan.engine.internal.memory.ProcessMemory;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.engine.internal.model.Schedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training thread's half of a {@link TrainingRun}: builds the model (restored from the run's checkpoint if there
 * is one) and runs the schedule's phases iteration by iteration, with progress lines, samples, metrics and
 * checkpoints at their intervals; at each iteration boundary it takes a requested pause or stop, a live change, and
 * the installed components' changes (a pause while one is gone, a rebind to a new version).
 */
final class TrainingLoop {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);
    /**
     * The progress lines, a logger of their own ({@value #PROGRESS_LOGGER}), so that a console that shows progress
     * its own way (runtime/jgan run's bar on a terminal) can leave them out and keep the rest of the log.
     */
    static final String PROGRESS_LOGGER = "org.jgan.progress";
    private static final Logger PROGRESS = LoggerFactory.getLogger(PROGRESS_LOGGER);
    /**
     * How often a run compares the process's resident size with the memory budget: reading it costs ~20 us, but a
     * process over the budget is reclaimed (a full collection and a 200 ms pause), which must not happen more than
     * once in this interval (10% of the time at worst) or a run near its budget would crawl.
     */
    private static final long GUARD_NANOS = 2_000_000_000L;

    /** How one pass of the training loop ended. */
    private enum Outcome { CONTINUE, COMPLETED, STOPPED, REBUILD }

    private final String id;
    private final LiveSpec live;
    private final RunControl control;
    private final RunRecords records;
    private final RunFolder folder;
    private final ComponentWatch watch;
    private final Resumption resumption;
    /** The TensorBoard event file of the current pass (null outside it). */
    private EventFile events;
    /** The early-stopping score found missing from the run's scores (warned once), or null. */
    private String missingScore;
    /** history.csv rows of a rebind that builds the model again, until it is built. */
    private CharSequence rebuildRows;

    TrainingLoop(LiveSpec live, RunControl control, RunRecords records, ComponentWatch watch, Resumption resumption) {
        this.id = live.current().name();
        this.live = live;
        this.control = control;
        this.records = records;
        this.folder = records.folder();
        this.watch = watch;
        this.resumption = resumption;
    }

    /**
     * Trains until the run completes or is stopped.
     *
     * @param built receives the model as soon as it exists, so that the caller can release it whatever happens
     * @return the state to finish in
     */
    State train(GanModel[] built) throws IOException, InterruptedException {
        records.hold();
        // a change of the installed components wakes a run that waits for one (no polling)
        Runnable wake = control::wake;
        watch.listen(wake);
        try {
            while (true) {
                Outcome o = pass(built);
                if (o != Outcome.REBUILD) {
                    return o == Outcome.COMPLETED ? State.COMPLETED : State.STOPPED;
                }
                // a new version of the architecture, dataset or a metric: the model is built again with it and
                // restored from the checkpoint just saved, as a resumed run is; its current configuration (live
                // changes included) counts as given, so nothing is changed back
                release(built[0]);
                built[0] = null;
                resumption.given(live.current().resolved());
            }
        } finally {
            watch.stopListening(wake);
        }
    }

    /** Closes the model (if it was built) and gives what it held back to the operating system. */
    void release(GanModel model) {
        try {
            if (model != null) {
                model.close();
            }
            ProcessMemory.reclaim();
        } catch (RuntimeException e) {
            LOG.warn("[{}] could not free the run's memory: {}", id, e.toString());
        }
        control.held(0);
    }

    /**
     * Builds the model, restores it from the run's checkpoint if there is one, and trains until the run completes,
     * is stopped, or needs its model built again ({@link Outcome#REBUILD}, a checkpoint saved).
     */
    private Outcome pass(GanModel[] built) throws IOException, InterruptedException {
        // the lock is ours: temporary files in the folder are leftovers of a process that ended mid-write
        records.removeLeftovers();
        Checkpoint resumed = Files.exists(folder.checkpoint()) ? Checkpoint.read(folder.checkpoint()) : null;
        if (resumed != null) {
            control.iteration(resumed.iteration());
        }
        records.cutBackLogs(control.iteration());
        if (rebuildRows != null) {
            RunLogs.appendHistory(folder.history(), rebuildRows);
            rebuildRows = null;
        }
        if (resumed != null) {
            Resumption.Plan plan = resumption.plan(resumed, live.current());
            // the pending change first, so that latestSpec() never shows the recorded configuration without it
            if (plan.pending() != null) {
                live.pending(plan.pending());
            }
            live.current(plan.spec());
            control.iterations(plan.spec().settings().iterations());
        }
        RunSpec spec = live.current();
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        if (control.stopWanted()) {
            return Outcome.STOPPED;
        }
        MemoryBudget budget = MemoryBudget.configured();
        GanModel model = new GanModel(spec, data, budget);
        built[0] = model;
        if (control.stopWanted()) {
            // stopped while the model was built (a large one takes a while): nothing trained, nothing to save
            return Outcome.STOPPED;
        }
        List<Map.Entry<Metric, RunSpec.Choice>> metricsToRun = Evaluation.chooseMetrics(spec, data);
        if (resumed != null) {
            model.restore(resumed);
            resumed.free();
            control.iteration(resumed.iteration());
            LOG.info("[{}] resumed from {} at iteration {}", id, folder.checkpoint(), resumed.iteration());
            // given settings that differ from the recorded ones (see Resumption), before the loop tests the length
            applyPendingChange(model);
        }
        records.writeConfig(live.current(), model);
        control.held(model.heldBytes());
        LOG.info("[{}] training {} ({} G / {} D parameters) on {} with {} loss for {} iterations; output in {}",
                id, spec.architecture().name(), model.parameterCount(Side.GENERATOR),
                model.parameterCount(Side.DISCRIMINATOR), spec.dataset().name(), live.current().loss().name(),
                control.iterations(), folder.root().toAbsolutePath());
        control.enter(State.RUNNING);
        long evaluatedAt = -1;
        long lastProgress = System.nanoTime();
        long lastGuard = lastProgress;
        control.restartClock();
        try (LossLog lossLog = new LossLog(folder.losses(), model.lossNames(), control.iteration() == 0);
                EventFile eventFile = EventFile.create(folder.root(), control.iteration())) {
            events = eventFile;
            while (control.iteration() < control.iterations()) {
                Outcome components = awaitComponents(model, lossLog);
                if (components != Outcome.CONTINUE) {
                    return components;
                }
                if (!awaitGo(model, lossLog)) {
                    return Outcome.STOPPED;
                }
                applyPendingChange(model);
                long iteration = control.iteration();
                long iterations = control.iterations();
                if (iteration >= iterations) {
                    // iterations was lowered to where the run is (or below): it completes here
                    break;
                }
                RunSettings settings = live.current().settings();
                Map<String, Double> values = new LinkedHashMap<>();
                for (Schedule.Phase phase : model.schedule().phases()) {
                    for (int r = 0; r < phase.repeat(); r++) {
                        values.putAll(model.run(phase, iteration, r));
                    }
                }
                long done = iteration + 1;
                long now = System.nanoTime();
                control.reached(done, values, now);
                lossLog.append(done, values);
                events.scalars(done, RunRecords.eventScalars(model, values, iteration));
                if (now - lastGuard >= GUARD_NANOS) {
                    lastGuard = now;
                    budget.guard(id, done, ProcessMemory.resident(), ProcessMemory::reclaimed);
                }
                int sampleEvery = settings.sampleInterval();
                if (sampleEvery > 0 && done % sampleEvery == 0 && done < iterations) {
                    evaluate(model, data, metricsToRun, done);
                    evaluatedAt = done;
                    lossLog.flush();
                    records.plotLosses();
                    if (stopsEarly(done)) {
                        // the run's length is now done: no checkpoint here (the last one follows the loop), the
                        // last progress line, and the loop ends
                        iterations = done;
                    }
                }
                int checkpointEvery = settings.checkpointInterval();
                if (checkpointEvery > 0 && done % checkpointEvery == 0 && done < iterations) {
                    records.saveCheckpoint(model, done, lossLog);
                }
                if (now - lastProgress >= (long) (settings.progressInterval() * 1e9) || done == iterations) {
                    lastProgress = now;
                    lossLog.flush();
                    events.flush();
                    control.held(model.heldBytes());
                    RunStatusDTO reached = control.status();
                    PROGRESS.info("[{}] {}", id, reached.summary);
                    control.tellProgress(reached);
                }
            }
            if (evaluatedAt != control.iteration()) {
                evaluate(model, data, metricsToRun, control.iteration());
            }
            lossLog.flush();
            records.plotLosses();
            records.saveCheckpoint(model, control.iteration(), lossLog);
        } finally {
            events = null;
        }
        long end = control.iteration();
        LOG.info("[{}] completed {} iterations; samples in {}, metrics in {}, checkpoint {}", id, end,
                folder.samples().toAbsolutePath(), folder.metrics().toAbsolutePath(),
                folder.checkpoint().toAbsolutePath());
        return Outcome.COMPLETED;
    }

    /**
     * After the evaluation of iteration {@code done}: whether the run completes here by early stopping
     * ({@link EarlyStop}, judged over metrics.csv under the current settings). When it does, the run's length becomes
     * {@code done} (the loop ends after this iteration) and history.csv gets a row "early stop" with the verdict.
     */
    private boolean stopsEarly(long done) throws IOException {
        RunSettings settings = live.current().settings();
        if (settings.stopScore().isEmpty()) {
            return false;
        }
        EarlyStop watch = EarlyStop.read(settings.stopScore(), folder.metricsLog());
        EarlyStop.Verdict verdict = watch.verdict(settings);
        if (verdict == null) {
            if (!settings.stopScore().equals(missingScore)) {
                missingScore = settings.stopScore();
                LOG.warn("[{}] early stopping watches '{}', which the run's metrics did not score at iteration {} "
                        + "(scores: {}); the run goes on to its iterations", id, missingScore, done,
                        String.join(", ", control.status().metrics.keySet().stream().sorted().toList()));
            }
            return false;
        }
        if (!verdict.stop()) {
            return false;
        }
        String why = watch.describe(verdict, settings);
        control.iterations(done);
        RunLogs.appendHistory(folder.history(), RunLogs.historyRow(done, "early stop", "", why));
        LOG.info("[{}] stops early at iteration {}: {}", id, done, why);
        return true;
    }

    private void evaluate(GanModel model, DataSource data, List<Map.Entry<Metric, RunSpec.Choice>> chosen, long at)
            throws IOException {
        records.evaluate(model, data, chosen, at, live.current().settings().seed(), control::metrics, events);
    }

    /**
     * Returns at once unless a pause or stop was requested. Then it takes a pending change, saves a checkpoint and,
     * for a pause, blocks until resumed. Returns false when the run was stopped.
     */
    private boolean awaitGo(GanModel model, LossLog lossLog) throws IOException, InterruptedException {
        if (!control.holdWanted()) {
            return true;
        }
        // A change asked for before the pause or stop is taken first, so the paused or stopped run's config.json,
        // history.csv and checkpoint have it (seeing the pause here, this thread also sees a change asked for
        // before it: each request takes its lock, the change's first).
        applyPendingChange(model);
        long iteration = control.iteration();
        // everything up to here is on disk before the pause or stop is announced
        records.saveCheckpoint(model, iteration, lossLog);
        events.flush();
        boolean go = !control.stopWanted();
        if (go) {
            control.enter(State.PAUSED);
            LOG.info("[{}] paused at iteration {}; checkpoint saved", id, iteration);
            go = control.awaitResume();
        }
        if (!go) {
            LOG.info("[{}] stopped at iteration {}; checkpoint saved in {}", id, iteration, folder.checkpoints());
            return false;
        }
        control.enter(State.RUNNING);
        LOG.info("[{}] resumed at iteration {}", id, iteration);
        return true;
    }

    /**
     * At an iteration boundary, when the installed components changed since the last look: when a component the
     * run uses has gone (its bundle stopped, uninstalled or being updated), saves a checkpoint and waits, PAUSED,
     * until it is back (woken by the catalog, not polling), then continues. When a name the run uses stands for
     * another component than the run's, the run rebinds to it: a new loss or regularizer by rebuilding the training
     * graphs on the same weights ({@link GanModel#swap}); a new architecture, dataset or metric by saving a
     * checkpoint and building the model again from it ({@link Outcome#REBUILD}). Each rebind is a row of history.csv.
     */
    private Outcome awaitComponents(GanModel model, LossLog lossLog) throws IOException, InterruptedException {
        if (!watch.changed()) {
            return Outcome.CONTINUE;
        }
        long seen = watch.changes();
        long iteration = control.iteration();
        List<String> missing = watch.missing(live.current());
        if (!missing.isEmpty()) {
            records.saveCheckpoint(model, iteration, lossLog);
            events.flush();
            control.waitingFor("waiting for " + String.join(", ", missing) + " to return");
            records.writeStatus(control.statusIn(State.PAUSED, false));
            control.enter(State.PAUSED);
            LOG.warn("[{}] paused at iteration {}: {} gone; checkpoint saved; waiting for {} to return", id,
                    iteration, String.join(", ", missing), missing.size() == 1 ? "it" : "them");
            while (!missing.isEmpty()) {
                if (control.awaitChange(watch::changes, seen)) {
                    LOG.info("[{}] stopped at iteration {} while waiting; checkpoint saved", id, iteration);
                    return Outcome.STOPPED;
                }
                seen = watch.changes();
                missing = watch.missing(live.current());
            }
            control.waitingFor(null);
            control.restartClock();
            control.enter(State.RUNNING);
            LOG.info("[{}] the components are back; resumed at iteration {}", id, iteration);
        }
        watch.looked(seen);
        ComponentWatch.Rebind rebind = watch.rebind(live.current(), iteration);
        if (rebind == null) {
            return Outcome.CONTINUE;
        }
        if (rebind.rebuild()) {
            records.saveCheckpoint(model, iteration, lossLog);
            // written when the model is built again: resuming cuts history.csv back to before the checkpoint
            rebuildRows = rebind.rows();
            LOG.info("[{}] rebinds to the components now installed ({}) at iteration {}: the model is built again "
                    + "from the checkpoint just saved", id, rebind.describe(), iteration);
            return Outcome.REBUILD;
        }
        model.swap(rebind.spec());
        live.current(rebind.spec());
        records.appendHistory(rebind.rows());
        LOG.info("[{}] rebound to the components now installed ({}) at iteration {}", id, rebind.describe(),
                iteration);
        return Outcome.CONTINUE;
    }

    /** Takes the change waiting for this boundary, if any: the model is reconfigured (or its graphs swapped). */
    private void applyPendingChange(GanModel model) throws IOException {
        RunSpec changed = live.waiting();
        if (changed == null) {
            return;
        }
        long iteration = control.iteration();
        List<LiveSettings.Change> changes = LiveSettings.diff(live.current().resolved(), changed.resolved());
        if (LiveSettings.needsSwap(changes)) {
            model.swap(changed);
            LOG.info("[{}] from iteration {}: training graphs rebuilt for loss {} and regularizers [{}]; weights and "
                    + "optimizer state kept", id, iteration, changed.loss().name(), changed.settings().regularizers());
        } else {
            model.reconfigure(changed);
        }
        live.taken(changed);
        // a length below what the run has done ends it where it is (its status says it/it, not it/less)
        control.iterations(Math.max(changed.settings().iterations(), iteration));
        StringBuilder sb = new StringBuilder();
        for (LiveSettings.Change c : changes) {
            sb.append(RunLogs.historyRow(iteration, c.key(), c.from(), c.to()));
            LOG.info("[{}] from iteration {}: {} {} -> {}", id, iteration, c.key(), c.from(), c.to());
        }
        // config.json before the history rows: whoever sees a change's row in history.csv finds it in config.json
        // (FrameworkTest read config.json once the row appeared, and once in a while found the old loss)
        records.writeConfig(live.current(), model);
        RunLogs.appendHistory(folder.history(), sb);
    }
}
