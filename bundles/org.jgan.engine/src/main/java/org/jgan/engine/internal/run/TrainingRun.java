package org.jgan.engine.internal.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.api.DataSource;
import org.jgan.api.Metric;
import org.jgan.api.MetricResult;
import org.jgan.api.Side;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.engine.internal.analysis.Evaluation;
import org.jgan.engine.internal.analysis.LossPlot;
import org.jgan.engine.internal.analysis.SampleFiles;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.PresetMerge;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.AtomicFile;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.folder.CsvLog;
import org.jgan.engine.internal.folder.Json;
import org.jgan.engine.internal.folder.LossLog;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.folder.RunLock;
import org.jgan.engine.internal.folder.RunLogs;
import org.jgan.engine.internal.graph.Seeds;
import org.jgan.engine.internal.memory.MemoryBudget;
import org.jgan.engine.internal.memory.ProcessMemory;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.engine.internal.model.Schedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training run on its own thread: the alternating minibatch loop (k discriminator steps, then one generator
 * step), progress lines, loss log, samples, metrics and checkpoints in the run's output folder. It can be paused,
 * resumed and stopped at iteration boundaries; a run whose output folder has a checkpoint continues from it.
 */
public final class TrainingRun implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);
    /**
     * How often a run compares the process's resident size with the memory budget: reading it costs ~20 us, but a
     * process over the budget is reclaimed (a full collection and a 200 ms pause), which must not happen more than
     * once in this interval (10% of the time at worst) or a run near its budget would crawl.
     */
    private static final long GUARD_NANOS = 2_000_000_000L;
    /** Samples written at each sample interval, from the run's fixed latent batch. */
    private static final int SAMPLE_FILE_COUNT = 512;

    private volatile RunSpec spec;
    /** A changed configuration waiting for the next iteration boundary (null when none). */
    private RunSpec pending;
    private final Map<String, Object> provenance;
    private final ComponentCatalog catalog;
    /** While the run waits for components that went away: what it waits for (null otherwise). */
    private String waitingFor;
    private final Path out;
    private final RunFolder folder;
    private volatile long iterations;
    private final Object lock = new Object();
    private final Progress progress = new Progress();
    private final RunListener listener;

    private State state = State.STARTING;
    private boolean pauseRequested;
    private boolean stopRequested;
    private long iteration;
    private Map<String, Double> losses = Map.of();
    private Map<String, Double> metrics = Map.of();
    private String error;
    /** The run folder's lock while the run holds it (null before it is taken and after the final status). */
    private RunLock folderLock;
    /**
     * The settings given for this start (command line, gan:start, a .cfg file), which a resumed run takes on top of
     * its recorded configuration; null when only the resolved configuration is known (all of it counts as given).
     */
    private Map<String, String> given;
    /**
     * Set when the run starts again because its configuration was edited while it trained: changed settings that a
     * running run cannot take are then applied from the checkpoint on (a resume from the command line refuses them).
     */
    private volatile boolean restart;
    /** Native bytes of the model's arrays at the latest progress line; 0 before the model exists and once freed. */
    private long heldBytes;
    /** The catalog's change count when the run last compared its components with it (training thread only). */
    private long seenChanges = -1;
    /** history.csv rows of a rebind that builds the model again, until it is built (training thread only). */
    private StringBuilder rebuildRows;

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
        this.given = given == null ? null : Map.copyOf(given);
        this.listener = listener;
        this.catalog = catalog;
        this.spec = spec;
        this.provenance = provenance;
        this.out = Path.of(spec.settings().outputDir());
        this.folder = new RunFolder(out);
        this.iterations = spec.settings().iterations();
    }

    public String id() {
        return spec.name();
    }

    /** Marks the run as restarting with an edited configuration (see {@link #resumeSpec}); call before it starts. */
    public TrainingRun restarting() {
        restart = true;
        return this;
    }

    public RunSpec spec() {
        return spec;
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
            end = train(model);
        } catch (Throwable t) {
            failure = t;
            end = State.FAILED;
        }
        release(model[0]);
        if (failure != null) {
            fail(failure);
        } else {
            finish(end);
        }
    }

    /** Records what the model holds now, for the status; on the training thread (the caches change each step). */
    private void measureHeld(GanModel model) {
        long held = model.heldBytes();
        synchronized (lock) {
            heldBytes = held;
        }
    }

    /** Closes the model (if it was built) and gives what it held back to the operating system. */
    private void release(GanModel model) {
        try {
            if (model != null) {
                model.close();
            }
            ProcessMemory.reclaim();
        } catch (RuntimeException e) {
            LOG.warn("[{}] could not free the run's memory: {}", id(), e.toString());
        }
        synchronized (lock) {
            heldBytes = 0;
        }
    }

    /**
     * The training loop until the run completes or is stopped.
     *
     * @param built receives the model as soon as it exists, so that {@link #run} can release it whatever happens
     * @return the state to finish in
     */
    private State train(GanModel[] built) throws IOException, InterruptedException {
        RunLock held = RunLock.acquire(out, id());
        synchronized (lock) {
            folderLock = held;
        }
        // a change of the installed components wakes a run that waits for one (no polling)
        Runnable wake = () -> {
            synchronized (lock) {
                lock.notifyAll();
            }
        };
        if (catalog != null) {
            catalog.addListener(wake);
        }
        try {
            while (true) {
                Outcome o = trainFromCheckpoint(built);
                if (o != Outcome.REBUILD) {
                    return o == Outcome.COMPLETED ? State.COMPLETED : State.STOPPED;
                }
                // a new version of the architecture, dataset or a metric: the model is built again with it and
                // restored from the checkpoint just saved, as a resumed run is; its current configuration (live
                // changes included) counts as given, so nothing is changed back
                release(built[0]);
                built[0] = null;
                given = spec.resolved();
            }
        } finally {
            if (catalog != null) {
                catalog.removeListener(wake);
            }
        }
    }

    /** How one pass of the training loop ended. */
    private enum Outcome { CONTINUE, COMPLETED, STOPPED, REBUILD }

    /**
     * Builds the model, restores it from the run's checkpoint if there is one, and trains until the run completes,
     * is stopped, or needs its model built again ({@link Outcome#REBUILD}, a checkpoint saved).
     */
    private Outcome trainFromCheckpoint(GanModel[] built) throws IOException, InterruptedException {
        Path checkpointDir = folder.checkpoints();
        Path checkpointFile = folder.checkpoint();
        // the lock is ours: temporary files in the folder are leftovers of a process that ended mid-write
        AtomicFile.removeLeftovers(out);
        AtomicFile.removeLeftovers(checkpointDir);
        Checkpoint resumed = Files.exists(checkpointFile) ? Checkpoint.read(checkpointFile) : null;
        if (resumed != null) {
            synchronized (lock) {
                iteration = resumed.iteration();
            }
        }
        cutBackLogs(iteration);
        if (rebuildRows != null) {
            RunLogs.appendHistory(folder.history(), rebuildRows);
            rebuildRows = null;
        }
        if (resumed != null) {
            spec = resumeSpec(resumed);
            iterations = spec.settings().iterations();
        }
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        if (stopWanted()) {
            return Outcome.STOPPED;
        }
        MemoryBudget budget = MemoryBudget.configured();
        GanModel model = new GanModel(spec, data, budget);
        built[0] = model;
        if (stopWanted()) {
            // stopped while the model was built (a large one takes a while): nothing trained, nothing to save
            return Outcome.STOPPED;
        }
        List<Map.Entry<Metric, RunSpec.Choice>> metricsToRun = Evaluation.chooseMetrics(spec, data);
        if (resumed != null) {
            model.restore(resumed);
            resumed.free();
            iteration = resumed.iteration();
            LOG.info("[{}] resumed from {} at iteration {}", id(), checkpointFile, iteration);
            // given settings that differ from the recorded ones (see resumeSpec), before the loop tests the length
            applyPendingChange(model);
        }
        writeConfig(model);
        measureHeld(model);
        LOG.info("[{}] training {} ({} G / {} D parameters) on {} with {} loss for {} iterations; output in {}",
                id(), spec.architecture().name(), model.parameterCount(Side.GENERATOR),
                model.parameterCount(Side.DISCRIMINATOR), spec.dataset().name(), spec.loss().name(), iterations,
                out.toAbsolutePath());
        enter(State.RUNNING);
        long lastProgress = System.nanoTime();
        long lastGuard = lastProgress;
        progress.restartClock(iteration, lastProgress);
        try (LossLog lossLog = new LossLog(folder.losses(), model.lossNames(), iteration == 0)) {
            while (iteration < iterations) {
                Outcome components = awaitComponents(model, checkpointDir, lossLog);
                if (components != Outcome.CONTINUE) {
                    return components;
                }
                if (!awaitGo(model, checkpointDir, lossLog)) {
                    return Outcome.STOPPED;
                }
                applyPendingChange(model);
                if (iteration >= iterations) {
                    // iterations was lowered to where the run is (or below): it completes here
                    break;
                }
                int sampleEvery = spec.settings().sampleInterval();
                int checkpointEvery = spec.settings().checkpointInterval();
                long progressNanos = (long) (spec.settings().progressInterval() * 1e9);
                Map<String, Double> values = new LinkedHashMap<>();
                for (Schedule.Phase phase : model.schedule().phases()) {
                    for (int r = 0; r < phase.repeat(); r++) {
                        values.putAll(model.run(phase, iteration, r));
                    }
                }
                long done = iteration + 1;
                long now = System.nanoTime();
                synchronized (lock) {
                    iteration = done;
                    losses = values;
                    progress.update(done, now);
                }
                lossLog.append(done, values);
                if (now - lastGuard >= GUARD_NANOS) {
                    lastGuard = now;
                    budget.guard(id(), done, ProcessMemory.resident(), ProcessMemory::reclaimed);
                }
                if (sampleEvery > 0 && done % sampleEvery == 0 && done < iterations) {
                    evaluate(model, data, metricsToRun, done);
                    lossLog.flush();
                    plotLosses();
                }
                if (checkpointEvery > 0 && done % checkpointEvery == 0 && done < iterations) {
                    saveCheckpoint(model, checkpointDir, lossLog);
                }
                if (now - lastProgress >= progressNanos || done == iterations) {
                    lastProgress = now;
                    lossLog.flush();
                    measureHeld(model);
                    RunStatusDTO reached = status();
                    LOG.info("[{}] {}", id(), reached.summary);
                    tell(listener::progress, reached);
                }
            }
        }
        evaluate(model, data, metricsToRun, iteration);
        plotLosses();
        saveCheckpoint(model, checkpointDir, null);
        LOG.info("[{}] completed {} iterations; samples in {}, metrics in {}, checkpoint {}", id(), iteration,
                folder.samples().toAbsolutePath(), folder.metrics().toAbsolutePath(),
                checkpointFile.toAbsolutePath());
        return Outcome.COMPLETED;
    }

    /**
     * Returns at once unless a pause or stop was requested. Then it saves a checkpoint and, for a pause, blocks
     * until resumed. Returns false when the run was stopped.
     */
    private boolean awaitGo(GanModel model, Path checkpointDir, LossLog lossLog)
            throws IOException, InterruptedException {
        synchronized (lock) {
            if (!pauseRequested && !stopRequested) {
                return true;
            }
        }
        // everything up to here is on disk before the pause or stop is announced
        saveCheckpoint(model, checkpointDir, lossLog);
        boolean stop;
        synchronized (lock) {
            stop = stopRequested;
        }
        if (!stop) {
            enter(State.PAUSED);
            LOG.info("[{}] paused at iteration {}; checkpoint saved", id(), iteration);
            synchronized (lock) {
                while (pauseRequested && !stopRequested) {
                    lock.wait();
                }
                stop = stopRequested;
                if (!stop) {
                    progress.restartClock(iteration, System.nanoTime());
                }
            }
        }
        if (stop) {
            LOG.info("[{}] stopped at iteration {}; checkpoint saved in {}", id(), iteration, checkpointDir);
            return false;
        }
        enter(State.RUNNING);
        LOG.info("[{}] resumed at iteration {}", id(), iteration);
        return true;
    }

    /**
     * Writes the checkpoint of the current iteration, after every loss row up to it is on disk (so that the logs
     * never lack a row the checkpoint has passed).
     */
    private void saveCheckpoint(GanModel model, Path checkpointDir, LossLog lossLog) throws IOException {
        if (lossLog != null) {
            lossLog.flush();
        }
        Checkpoint c = model.checkpoint(iteration);
        try {
            c.write(checkpointDir);
        } finally {
            c.free();
        }
    }

    /**
     * Cuts the logs back to the iteration training starts from: rows of iterations after the checkpoint (written
     * before a crash or a failure), a row cut short, rows of an earlier run of a fresh folder. History rows at the
     * checkpoint's iteration came after it (changes are applied at the start of the next iteration) and go too.
     */
    private void cutBackLogs(long from) throws IOException {
        int dropped = CsvLog.cutBack(folder.losses(), from) + CsvLog.cutBack(folder.metricsLog(), from)
                + CsvLog.cutBack(folder.history(), from - 1);
        if (dropped > 0) {
            LOG.info("[{}] logs cut back to iteration {}: {} row(s) after it dropped (they are trained again)", id(),
                    from, dropped);
        }
    }

    private boolean stopWanted() {
        synchronized (lock) {
            return stopRequested;
        }
    }

    /**
     * The configuration a resumed run trains with: the one its checkpoint recorded (live changes included), with the
     * settings given for this start on top. Given settings that differ from the recorded ones are taken as a live
     * change at the checkpoint's iteration (logged and written to history.csv) when the run could take them while
     * training; otherwise the run is refused. A checkpoint without a recorded configuration (written before it was
     * recorded) resumes with the given configuration.
     *
     * @throws IllegalArgumentException naming the settings that cannot change
     */
    private RunSpec resumeSpec(Checkpoint c) throws IOException {
        if (c.config() == null || catalog == null) {
            return spec;
        }
        Map<String, String> recorded = new TreeMap<>(c.config());
        recorded.put("name", id());
        recorded.put("outputDir", spec.settings().outputDir());
        RunSpec before = RunSpec.parse(recorded, catalog, id());
        Map<String, String> given = new TreeMap<>(this.given != null ? this.given : spec.resolved());
        given.put("name", id());
        given.put("outputDir", spec.settings().outputDir());
        Map<String, String> merged = new TreeMap<>(PresetMerge.withoutReplacedOptions(before.resolved(), given));
        merged.putAll(given);
        RunSpec wanted = RunSpec.parse(merged, catalog, id());
        List<LiveSettings.Change> changes = LiveSettings.diff(before.resolved(), wanted.resolved());
        if (restart) {
            // the configuration was edited while the run trained: it goes on from its checkpoint with the new one
            StringBuilder rows = new StringBuilder();
            changes.forEach(ch -> rows.append(RunLogs.historyRow(c.iteration(), ch.key(), ch.from(), ch.to())));
            if (rows.length() > 0) {
                RunLogs.appendHistory(folder.history(), rows);
            }
            LOG.info("[{}] restarts from its checkpoint at iteration {} with changed settings: {}", id(),
                    c.iteration(), describe(changes, null));
            return wanted;
        }
        List<String> fixed = LiveSettings.fixed(changes);
        String refusal = fixed.isEmpty() && LiveSettings.needsSwap(changes) ? GanModel.swapRefusal(before, wanted) : null;
        if (!fixed.isEmpty() || refusal != null) {
            throw new IllegalArgumentException("run '" + id() + "' resumes from its checkpoint at iteration "
                    + c.iteration() + ", trained with other settings that cannot change: "
                    + (refusal != null ? refusal : describe(changes, fixed)) + "; expected the recorded values (see "
                    + "config.json), or another name= or outputDir= for a new run");
        }
        if (!changes.isEmpty()) {
            synchronized (lock) {
                pending = wanted;
            }
            LOG.info("[{}] resumes with its recorded configuration; the given settings that differ are applied as a "
                    + "live change from iteration {}: {}", id(), c.iteration(), describe(changes, null));
        } else {
            LOG.info("[{}] resumes with its recorded configuration", id());
        }
        return before;
    }

    /** "key from -> to" for the changes (of the keys {@code only}, or all when null). */
    private static String describe(List<LiveSettings.Change> changes, List<String> only) {
        return String.join(", ", changes.stream().filter(ch -> only == null || only.contains(ch.key()))
                .map(ch -> ch.key() + " " + ch.from() + " -> " + ch.to()).toList());
    }


    private void evaluate(GanModel model, DataSource data, List<Map.Entry<Metric, RunSpec.Choice>> chosen, long at)
            throws IOException {
        Path samples = folder.samples();
        Files.createDirectories(samples);
        String prefix = String.format(Locale.ROOT, "iter-%07d", at);
        long fixed = Seeds.mix(spec.settings().seed(), Seeds.FIXED_LATENT);
        // image grids of 10 x 10 (one class per column for 10 or 5 or 2 classes), point clouds of 512
        SampleFiles.write(model.sample(data.shape().isImage() ? 100 : SAMPLE_FILE_COUNT, fixed), samples, prefix);
        Map<String, Double> scores = new TreeMap<>();
        for (Map.Entry<Metric, RunSpec.Choice> e : chosen) {
            MetricResult r;
            try {
                r = e.getKey().evaluate(model, data, samples, prefix + "-", Seeds.mix(spec.settings().seed(),
                        Seeds.EVAL), e.getValue().options());
            } catch (IOException | java.io.UncheckedIOException io) {
                Exception cause = io instanceof java.io.UncheckedIOException u ? u.getCause() : io;
                throw new IOException("metric '" + e.getValue().name() + "' could not write its files in " + samples
                        + ": " + AtomicFile.reason(cause), io);
            }
            r.scores().forEach((k, v) -> scores.put(e.getValue().name() + "." + k, v));
        }
        synchronized (lock) {
            metrics = Map.copyOf(scores);
        }
        RunLogs.appendMetrics(folder.metricsLog(), at, scores);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("iteration", at);
        json.put("scores", scores);
        AtomicFile.write(folder.metrics(), Json.write(json));
        if (!scores.isEmpty()) {
            LOG.info("[{}] iteration {} metrics {}", id(), at, scores);
        }
    }

    /** Components of this run that are no longer installed, as "kind 'name' (bundle)". */
    private List<String> missingComponents() {
        List<String> missing = new java.util.ArrayList<>();
        for (ComponentCatalog.Entry e : spec.components()) {
            if (catalog.find(e.kind(), e.name()).isEmpty()) {
                missing.add(e.kind().label() + " '" + e.name() + "' (bundle " + e.bundle() + ")");
            }
        }
        return missing;
    }

    /**
     * At an iteration boundary, when the installed components changed since the last look: when a component the
     * run uses has gone (its bundle stopped, uninstalled or being updated), saves a checkpoint and waits, PAUSED,
     * until it is back (woken by the catalog, not polling), then continues. When a name the run uses stands for
     * another component than the run's (a new version, or a registration of higher service ranking), the run
     * rebinds to it: a new loss or regularizer by rebuilding the training graphs on the same weights
     * ({@link GanModel#swap}); a new architecture, dataset or metric by saving a checkpoint and building the model
     * again from it ({@link Outcome#REBUILD}). Each rebind is a row of history.csv.
     */
    private Outcome awaitComponents(GanModel model, Path checkpointDir, LossLog lossLog)
            throws IOException, InterruptedException {
        if (catalog == null || catalog.changes() == seenChanges) {
            return Outcome.CONTINUE;
        }
        long seen = catalog.changes();
        List<String> missing = missingComponents();
        if (!missing.isEmpty()) {
            saveCheckpoint(model, checkpointDir, lossLog);
            RunStatusDTO paused;
            synchronized (lock) {
                waitingFor = "waiting for " + String.join(", ", missing) + " to return";
                paused = snapshot(State.PAUSED);
            }
            writeStatus(paused);
            enter(State.PAUSED);
            LOG.warn("[{}] paused at iteration {}: {} gone; checkpoint saved; waiting for {} to return", id(),
                    iteration, String.join(", ", missing), missing.size() == 1 ? "it" : "them");
            while (!missing.isEmpty()) {
                boolean stop;
                synchronized (lock) {
                    stop = stopRequested;
                    if (!stop && catalog.changes() == seen) {
                        lock.wait();
                    }
                }
                if (stop) {
                    LOG.info("[{}] stopped at iteration {} while waiting; checkpoint saved", id(), iteration);
                    return Outcome.STOPPED;
                }
                seen = catalog.changes();
                missing = missingComponents();
            }
            synchronized (lock) {
                waitingFor = null;
                progress.restartClock(iteration, System.nanoTime());
            }
            enter(State.RUNNING);
            LOG.info("[{}] the components are back; resumed at iteration {}", id(), iteration);
        }
        seenChanges = seen;
        StringBuilder rebinds = new StringBuilder();
        boolean rebuild = false;
        for (ComponentCatalog.Entry e : spec.components()) {
            // a component that left since the check above is absent here; the change count has moved, so the
            // next boundary pauses for it
            ComponentCatalog.Entry now = catalog.find(e.kind(), e.name()).orElse(e);
            if (now.component() != e.component()) {
                rebinds.append(iteration).append(",component.").append(e.kind().label()).append('.')
                        .append(e.name()).append(',').append(e.bundle()).append(' ').append(e.version())
                        .append(',').append(now.bundle()).append(' ').append(now.version()).append('\n');
                rebuild |= e.kind() == Kind.ARCHITECTURE || e.kind() == Kind.DATASET || e.kind() == Kind.METRIC;
            }
        }
        if (rebinds.length() == 0) {
            return Outcome.CONTINUE;
        }
        RunSpec rebound;
        try {
            rebound = RunSpec.parse(spec.resolved(), catalog, id());
        } catch (IllegalArgumentException gone) {
            // a component left meanwhile: the change count has moved, the next boundary pauses for it
            return Outcome.CONTINUE;
        }
        String to = rebound.components().stream().map(e -> e.name() + " " + e.bundle() + " " + e.version())
                .toList().toString();
        if (rebuild) {
            saveCheckpoint(model, checkpointDir, lossLog);
            // written when the model is built again: resuming cuts history.csv back to before the checkpoint
            rebuildRows = rebinds;
            LOG.info("[{}] rebinds to the components now installed ({}) at iteration {}: the model is built again "
                    + "from the checkpoint just saved", id(), to, iteration);
            return Outcome.REBUILD;
        }
        model.swap(rebound);
        spec = rebound;
        RunLogs.appendHistory(folder.history(), rebinds);
        LOG.info("[{}] rebound to the components now installed ({}) at iteration {}", id(), to, iteration);
        return Outcome.CONTINUE;
    }

    /**
     * Asks the run to take a changed configuration at its next iteration boundary. Only settings that
     * {@link LiveSettings} allows may differ; a later request before the boundary replaces an earlier one.
     *
     * @return the changes that will be applied (empty when the configuration is the same)
     * @throws IllegalArgumentException naming the settings that need a restart; the run is not touched
     */
    public List<LiveSettings.Change> requestChange(RunSpec changed) {
        synchronized (lock) {
            List<LiveSettings.Change> changes = check(changed);
            RunSpec base = pending != null ? pending : spec;
            if (!LiveSettings.diff(base.resolved(), changed.resolved()).isEmpty()) {
                pending = changed;
                lock.notifyAll();
            }
            return changes;
        }
    }

    /**
     * The changes from the current configuration, when the run can take them while it trains.
     *
     * @throws IllegalArgumentException naming what needs a restart
     */
    public List<LiveSettings.Change> check(RunSpec changed) {
        RunSpec current = spec;
        List<LiveSettings.Change> changes = LiveSettings.diff(current.resolved(), changed.resolved());
        List<String> fixed = LiveSettings.fixed(changes);
        if (!fixed.isEmpty()) {
            throw new IllegalArgumentException("run '" + id() + "': " + String.join(", ", fixed)
                    + " cannot change while the run trains; expected changes of learning rates, optimizer "
                    + "settings, dSteps, iterations, intervals, the loss or regularizers (restart the run for "
                    + "the others)");
        }
        String refusal = LiveSettings.needsSwap(changes) ? GanModel.swapRefusal(current, changed) : null;
        if (refusal != null) {
            throw new IllegalArgumentException("run '" + id() + "': cannot swap while training: " + refusal
                    + "; restart the run for that");
        }
        return changes;
    }

    /** The configuration the run trains with now, or will from its next iteration when a change is pending. */
    public RunSpec latestSpec() {
        synchronized (lock) {
            return pending != null ? pending : spec;
        }
    }

    private void applyPendingChange(GanModel model) throws IOException {
        RunSpec changed;
        synchronized (lock) {
            changed = pending;
            pending = null;
        }
        if (changed == null) {
            return;
        }
        List<LiveSettings.Change> changes = LiveSettings.diff(spec.resolved(), changed.resolved());
        if (LiveSettings.needsSwap(changes)) {
            model.swap(changed);
            LOG.info("[{}] from iteration {}: training graphs rebuilt for loss {} and regularizers [{}]; weights and "
                    + "optimizer state kept", id(), iteration, changed.loss().name(), changed.settings().regularizers());
        } else {
            model.reconfigure(changed);
        }
        spec = changed;
        // a length below what the run has done ends it where it is (its status says it/it, not it/less)
        iterations = Math.max(changed.settings().iterations(), iteration);
        StringBuilder sb = new StringBuilder();
        for (LiveSettings.Change c : changes) {
            sb.append(RunLogs.historyRow(iteration, c.key(), c.from(), c.to()));
            LOG.info("[{}] from iteration {}: {} {} -> {}", id(), iteration, c.key(), c.from(), c.to());
        }
        RunLogs.appendHistory(folder.history(), sb);
        writeConfig(model);
    }

    /** losses.png from losses.csv; a failure to plot is logged and does not disturb training. */
    private void plotLosses() {
        String failure = LossPlot.tryWrite(LossPlot::write, folder.losses(), folder.lossPlot());
        if (failure != null) {
            LOG.warn("[{}] could not plot {}: {}", id(), folder.losses(), failure);
        }
    }

    private void writeConfig(GanModel model) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("run", id());
        doc.put("written", Instant.now().toString());
        doc.put("config", spec.resolved());
        doc.putAll(provenance);
        doc.put("parameters", Map.of("generator", model.parameterCount(Side.GENERATOR),
                "discriminator", model.parameterCount(Side.DISCRIMINATOR)));
        AtomicFile.write(folder.config(), Json.write(doc));
    }

    /** Writes status.json atomically, when this run holds its folder (a refused second trainer writes nothing). */
    private void writeStatus(RunStatusDTO s) {
        synchronized (lock) {
            if (folderLock == null) {
                return;
            }
        }
        try {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("state", s.state.name());
            doc.put("iteration", s.iteration);
            doc.put("iterations", s.iterations);
            doc.put("losses", s.losses);
            doc.put("metrics", s.metrics);
            doc.put("error", s.error);
            AtomicFile.writeReserving(folder.status(), Json.write(doc));
        } catch (IOException e) {
            LOG.warn("[{}] {}", id(), e.getMessage());
        }
    }

    /**
     * Fails the run. Expected failures (invalid input, a folder another trainer holds, a file that cannot be written,
     * a non-finite loss) are one line; anything else is a defect and is logged with its stack trace.
     */
    private void fail(Throwable t) {
        boolean expected = t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t instanceof GanModel.NonFiniteLossException || t instanceof IOException;
        String message = expected && t.getMessage() != null ? t.getMessage() : t.toString();
        synchronized (lock) {
            error = message;
        }
        LOG.error("[{}] failed at iteration {}: {}", id(), iteration, message, expected ? null : t);
        finish(State.FAILED);
    }

    /** Enters a state the run goes on from (running, paused) and tells the listener. */
    private void enter(State s) {
        synchronized (lock) {
            state = s;
            lock.notifyAll();
        }
        tell(listener::stateChanged, status());
    }

    /**
     * Enters a final state: status.json is written first, so whoever sees the state (awaitFinished, the status, the
     * listener) finds the file written.
     */
    private void finish(State s) {
        RunStatusDTO last;
        synchronized (lock) {
            waitingFor = null;
            last = snapshot(s);
        }
        writeStatus(last);
        RunLock release;
        synchronized (lock) {
            release = folderLock;
            folderLock = null;
        }
        if (release != null) {
            // released before the state is announced, so whoever waited for it may train the folder at once
            release.close();
        }
        synchronized (lock) {
            state = s;
            lock.notifyAll();
        }
        tell(listener::stateChanged, last);
    }

    /** Tells the listener; what it throws is logged and never reaches the training loop. */
    private void tell(java.util.function.Consumer<RunStatusDTO> call, RunStatusDTO s) {
        try {
            call.accept(s);
        } catch (RuntimeException e) {
            LOG.warn("[{}] a run listener failed on {}: {}", id(), s.state, e.toString());
        }
    }

    public void pause() {
        synchronized (lock) {
            pauseRequested = true;
            lock.notifyAll();
        }
    }

    public void resume() {
        synchronized (lock) {
            pauseRequested = false;
            lock.notifyAll();
        }
    }

    public void stop() {
        synchronized (lock) {
            stopRequested = true;
            lock.notifyAll();
        }
    }

    public boolean isFinished() {
        synchronized (lock) {
            return state == State.COMPLETED || state == State.FAILED || state == State.STOPPED;
        }
    }

    /** Waits until the run has finished or {@code millis} passed; returns whether it finished. */
    public boolean awaitFinished(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (lock) {
            while (!isFinished()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                lock.wait(left);
            }
            return true;
        }
    }

    public RunStatusDTO status() {
        synchronized (lock) {
            return snapshot(state);
        }
    }

    /** The status as it is, in state {@code state}; the caller holds the lock. */
    private RunStatusDTO snapshot(State state) {
        RunStatusDTO s = new RunStatusDTO();
        s.id = id();
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
