package org.jgan.engine.internal;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jgan.api.NumericsBackend;
import org.jgan.api.Preset;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.ComponentDTO;
import org.jgan.api.dto.MemoryDTO;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.RunTable.Handle;
import org.jgan.engine.internal.analysis.Analysis;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.catalog.PluginReferences;
import org.jgan.engine.internal.config.PresetMerge;
import org.jgan.engine.internal.config.RunConfigurations;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.memory.ProcessMemory;
import org.jgan.engine.internal.run.TrainingRun;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.EventAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link TrainingService}: validates configurations, creates run factory configurations, and keeps
 * the runs that {@link RunComponent}s launch. Runs go on through shell sessions; stopping the engine stops them
 * with a checkpoint.
 */
@Component(immediate = true, service = {TrainingService.class, RunRegistry.class})
public final class RunRegistry implements TrainingService {

    private static final Logger LOG = LoggerFactory.getLogger(RunRegistry.class);
    private static final long START_WAIT_MILLIS = 10_000;
    /** The installed plug-ins: {@link PluginReferences}'s when DS activates this, an empty one in unit tests. */
    private ComponentCatalog catalog = new ComponentCatalog();
    private final RunTable runs = new RunTable();
    private final StoredConfigurations configurations = new StoredConfigurations(() -> this.configurationAdmin, runs);
    private final AtomicInteger counter = new AtomicInteger();
    private BundleContext context;

    @Reference
    private ConfigurationAdmin configurationAdmin;

    @Reference
    private PluginReferences plugins;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile NumericsBackend backend;

    /** Where runs publish their progress and state changes ({@link RunEvents}); runs train alike without it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin eventAdmin;

    private final RunEvents events = new RunEvents(() -> eventAdmin);

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        catalog = plugins.catalog();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        List<Handle> all = runs.clear();
        for (Handle h : all) {
            if (h.run() != null) {
                h.run().stop();
            }
        }
        for (Handle h : all) {
            if (h.run() != null && !h.run().awaitFinished(60_000)) {
                LOG.warn("[{}] did not stop within 60 s", h.run().id());
            }
        }
    }

    ComponentCatalog catalog() {
        return catalog;
    }

    @Override
    public List<ComponentDTO> components() {
        return ComponentListing.list(catalog);
    }

    @Override
    public Map<String, String> validate(String preset, Map<String, String> settings) {
        return RunSpec.parse(merge(preset, settings), catalog, "validation").resolved();
    }

    private Map<String, String> merge(String preset, Map<String, String> settings) {
        Map<String, String> merged = new TreeMap<>();
        if (preset != null && !preset.isBlank()) {
            Preset p = (Preset) catalog.require(Kind.PRESET, preset.trim()).component();
            merged.putAll(PresetMerge.withoutReplacedOptions(p.settings(), settings));
            merged.put("preset", preset.trim());
        }
        merged.putAll(settings);
        return merged;
    }

    @Override
    public RunStatusDTO start(String preset, Map<String, String> settings) {
        Map<String, String> merged = merge(preset, settings);
        String id = merged.getOrDefault("name", "");
        if (id.isBlank()) {
            id = generatedName();
            merged.put("name", id);
        }
        // invalid settings are refused at once, before waiting for anything
        RunSpec.parse(merged, catalog, id);
        requireBackend();
        runs.reserve(id);
        try {
            return startReserved(id, merged, settings);
        } finally {
            runs.unreserve(id);
        }
    }

    /** Stores the configuration of a run whose name this thread reserved, and waits a while for the run. */
    private RunStatusDTO startReserved(String id, Map<String, String> merged, Map<String, String> settings) {
        configurations.create(id, merged, settings.keySet());
        long deadline = System.currentTimeMillis() + START_WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            Handle h = runs.get(id);
            if (h != null) {
                return h.status();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return RunTable.starting(id);
    }

    private void requireBackend() {
        NumericsBackend b = backend;
        if (b == null) {
            throw new IllegalStateException("the ND4J numerics backend is not available yet (bundle org.jgan.nd4j "
                    + "not started or still loading); expected a NumericsBackend service");
        }
        if (b.failure() != null) {
            // a failure that says what it expected (the CUDA backend's) is passed on as it is
            throw new IllegalStateException(b.failure().contains("; expected ") ? b.failure()
                    : b.failure() + "; expected ND4J natives for this CPU in bundle org.jgan.nd4j");
        }
    }

    private String generatedName() {
        return "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + counter.incrementAndGet();
    }

    /**
     * Called by {@link RunComponent} when a run configuration appears, with the ready backend it waited for
     * (this component's own optional reference may not be bound yet at that moment).
     */
    void launch(String pid, Map<String, Object> properties, NumericsBackend readyBackend) {
        launch(pid, properties, readyBackend, false);
    }

    /** @param restart whether the run starts again because its configuration was edited (see reconfigure) */
    private void launch(String pid, Map<String, Object> properties, NumericsBackend readyBackend, boolean restart) {
        Map<String, String> config = RunConfigurations.settings(properties);
        String id = RunConfigurations.runId(pid, properties);
        config.putIfAbsent("name", id);
        Handle handle;
        try {
            RunSpec spec = RunSpec.parse(config, catalog, id);
            // an edited configuration is wanted whole; a started one for the settings it was given
            TrainingRun run = new TrainingRun(spec, Provenance.of(spec, readyBackend, context), catalog, events,
                    RunConfigurations.given(config, restart ? null : properties.get(RunConfigurations.GIVEN)));
            if (restart) {
                run.restarting();
            }
            handle = new Handle(pid, run, null);
            long completedAt = new RunFolder(Path.of(spec.settings().outputDir())).completedAt();
            if (completedAt >= 0) {
                LOG.info("[{}] already completed in {}; not training again (delete status.json to train anew)",
                        id, spec.settings().outputDir());
                handle = new Handle(pid, null, RunTable.completed(spec, completedAt));
            }
        } catch (RuntimeException e) {
            LOG.error("[{}] configuration {} rejected: {}", id, pid, e.getMessage());
            handle = new Handle(pid, null, RunTable.failed(id, e.getMessage()));
        }
        if (!runs.put(id, handle)) {
            LOG.error("[{}] configuration {} names a run that is already going; ignored", id, pid);
            return;
        }
        if (handle.run() != null) {
            Thread t = new Thread(handle.run(), "jgan-run-" + id);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Called by {@link RunComponent} when a run configuration goes away: stops the run with a checkpoint. */
    void halt(String pid) {
        Handle h = runs.removePid(pid);
        if (h != null && h.run() != null) {
            h.run().stop();
            try {
                h.run().awaitFinished(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public List<RunStatusDTO> runs() {
        return runs.statuses();
    }

    @Override
    public List<RunStatusDTO> recordedRuns() {
        return runs.recorded(Path.of("runs"));
    }

    @Override
    public MemoryDTO memory() {
        return ProcessMemory.snapshot(runs.heldBytes());
    }

    @Override
    public RunStatusDTO status(String runId) {
        return runs.handle(runId).status();
    }

    @Override
    public RunStatusDTO pause(String runId) {
        TrainingRun r = running(runId);
        r.pause();
        // the state the pause caused (PAUSED at the next iteration boundary, checkpoint saved), or the one after 30 s
        return awaitState(r, State.PAUSED);
    }

    @Override
    public RunStatusDTO resume(String runId) {
        TrainingRun r = running(runId);
        r.resume();
        return awaitState(r, State.RUNNING);
    }

    private static RunStatusDTO awaitState(TrainingRun r, State state) {
        try {
            return r.awaitState(java.util.Set.of(state), 30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return r.status();
        }
    }

    @Override
    public RunStatusDTO stop(String runId) {
        TrainingRun r = running(runId);
        r.stop();
        try {
            r.awaitFinished(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return r.status();
    }

    @Override
    public RunStatusDTO set(String runId, Map<String, String> changes) {
        TrainingRun r = running(runId);
        Handle h = runs.handle(runId);
        // another loss or regularizer list drops the replaced components' options, as when starting from a preset
        Map<String, String> merged = new TreeMap<>(PresetMerge.withoutReplacedOptions(r.latestSpec().resolved(), changes));
        merged.putAll(changes);
        // checked before anything is stored: an invalid value or a setting that needs a restart is refused here
        RunSpec changed = RunSpec.parse(merged, catalog, runId);
        r.check(changed); // throws, naming what needs a restart
        // stored in the run's configuration (a .cfg file in the watched folder is rewritten by FileInstall) and
        // handed to the run here; reconfigure() recognises the configuration event of this update and skips it
        configurations.change(runId, h.pid(), changes);
        r.requestChange(changed);
        return r.status();
    }

    /**
     * Called by {@link RunComponent} when a run's configuration changed: a running run takes the change at its next
     * iteration when only live settings changed; otherwise the run stops with a checkpoint and starts again from it
     * with the new configuration. An invalid configuration is logged and the run goes on unchanged.
     */
    void reconfigure(String pid, Map<String, Object> properties, NumericsBackend readyBackend) {
        String id = RunConfigurations.runId(pid, properties);
        Handle h = runs.get(id);
        if (h != null && h.pid().equals(pid) && h.going()) {
            Map<String, String> config = RunConfigurations.settings(properties);
            if (runs.alreadyHandedOver(pid, config)) {
                return;
            }
            config.putIfAbsent("name", id);
            RunSpec changed;
            try {
                changed = RunSpec.parse(config, catalog, id);
            } catch (RuntimeException e) {
                LOG.error("[{}] configuration change refused, the run goes on unchanged: {}", id, e.getMessage());
                return;
            }
            try {
                h.run().requestChange(changed);
                return;
            } catch (IllegalArgumentException needsRestart) {
                LOG.info("[{}] {}; restarting from the checkpoint", id, needsRestart.getMessage());
            }
        }
        if (h != null && h.pid().equals(pid) && !h.going()) {
            // a finished run keeps its state when the changed configuration is invalid
            Map<String, String> config = RunConfigurations.settings(properties);
            config.putIfAbsent("name", id);
            try {
                RunSpec.parse(config, catalog, id);
            } catch (RuntimeException e) {
                LOG.error("[{}] configuration change refused, the run stays {}: {}", id, h.status().state,
                        e.getMessage());
                return;
            }
        }
        halt(pid);
        launch(pid, properties, readyBackend, true);
    }

    /** The analysis commands, on the catalog bound now and the runs of this table or of run folders. */
    private Analysis analysis() {
        return new Analysis(catalog, id -> runs.exploredSpec(id, catalog));
    }

    @Override
    public String sample(String runId, int count, Long seed) {
        return analysis().sample(runId, count, seed);
    }

    @Override
    public String sample(String runId, Map<String, String> options) {
        return analysis().sample(runId, options);
    }

    @Override
    public String mix(String runId, Map<String, String> options) {
        return analysis().mix(runId, options);
    }

    @Override
    public String traverse(String runId, Map<String, String> options) {
        return analysis().traverse(runId, options);
    }

    @Override
    public String interpolate(String runId, int rows, int steps, Long seed, boolean spherical) {
        return analysis().interpolate(runId, rows, steps, seed, spherical);
    }

    @Override
    public String arithmetic(String runId, String expression, Long seed, int variants, double noise) {
        return analysis().arithmetic(runId, expression, seed, variants, noise);
    }

    @Override
    public String evaluate(String runId, Map<String, String> options) {
        return analysis().evaluate(runId, options);
    }

    @Override
    public String crossTest(String runA, String runB, Map<String, String> options) {
        return analysis().crossTest(runA, runB, options);
    }

    private TrainingRun running(String runId) {
        return runs.running(runId);
    }
}
