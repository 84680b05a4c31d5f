package org.jgan.engine.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
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
import org.jgan.engine.internal.analysis.Analysis;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.catalog.PluginReferences;
import org.jgan.engine.internal.config.PresetMerge;
import org.jgan.engine.internal.config.RunConfigurations;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Json;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.memory.ProcessMemory;
import org.jgan.engine.internal.run.ProgressLine;
import org.jgan.engine.internal.run.TrainingRun;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
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
    /**
     * A private configuration property (not a setting) listing the settings given to {@link #start}; configurations
     * without it (a .cfg file) count all their settings as given.
     */
    static final String GIVEN = ".given";

    /** The installed plug-ins: {@link PluginReferences}'s when DS activates this, an empty one in unit tests. */
    private ComponentCatalog catalog = new ComponentCatalog();
    private final Map<String, Handle> runs = new LinkedHashMap<>();
    /** Names of runs that start() is creating, reserved until their run appears (guarded by runs). */
    private final java.util.Set<String> starting = new java.util.HashSet<>();
    /**
     * Per configuration PID, the settings that set() stored and handed to its run directly, oldest first, so that
     * the configuration events they cause are not handed over a second time (guarded by runs).
     */
    private final Map<String, java.util.Deque<Map<String, String>>> handedOver = new java.util.HashMap<>();
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

    /** A run known to the registry: a training thread, or a configuration that failed before training. */
    private record Handle(String pid, TrainingRun run, RunStatusDTO failed) {
        RunStatusDTO status() {
            return run != null ? run.status() : failed;
        }
    }

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        catalog = plugins.catalog();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        List<Handle> all;
        synchronized (runs) {
            all = new ArrayList<>(runs.values());
            runs.clear();
        }
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
        synchronized (runs) {
            if (runs.containsKey(id)) {
                throw new IllegalArgumentException("a run named '" + id + "' exists; choose another name= or remove it");
            }
            if (!starting.add(id)) {
                throw new IllegalArgumentException("a run named '" + id + "' is being started by another request; "
                        + "choose another name=");
            }
        }
        try {
            return startReserved(id, merged, settings);
        } finally {
            synchronized (runs) {
                starting.remove(id);
            }
        }
    }

    /** Stores the configuration of a run whose name this thread reserved, and waits a while for the run. */
    private RunStatusDTO startReserved(String id, Map<String, String> merged, Map<String, String> settings) {
        try {
            Configuration c = configurationAdmin.getFactoryConfiguration(RUN_FACTORY_PID, id, "?");
            Hashtable<String, Object> props = new Hashtable<>(merged);
            // which settings were given (not from the preset): a run resuming from a checkpoint takes only those
            props.put(GIVEN, String.join(",", new java.util.TreeSet<>(settings.keySet())));
            c.update(props);
        } catch (IOException e) {
            throw new IllegalStateException("could not store the configuration of run '" + id + "': " + e.getMessage(), e);
        }
        long deadline = System.currentTimeMillis() + START_WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            synchronized (runs) {
                Handle h = runs.get(id);
                if (h != null) {
                    return h.status();
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        RunStatusDTO s = new RunStatusDTO();
        s.id = id;
        s.state = RunStatusDTO.State.STARTING;
        s.losses = Map.of();
        s.metrics = Map.of();
        s.summary = ProgressLine.format(s);
        return s;
    }

    private void requireBackend() {
        NumericsBackend b = backend;
        if (b == null) {
            throw new IllegalStateException("the ND4J numerics backend is not available yet (bundle org.jgan.nd4j "
                    + "not started or still loading); expected a NumericsBackend service");
        }
        if (b.failure() != null) {
            throw new IllegalStateException(b.failure() + "; expected ND4J natives for this CPU in bundle org.jgan.nd4j");
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
            TrainingRun run = new TrainingRun(spec, provenance(spec, readyBackend), catalog, events,
                    given(config, restart ? null : properties.get(GIVEN)));
            if (restart) {
                run.restarting();
            }
            handle = new Handle(pid, run, null);
            if (alreadyCompleted(spec)) {
                LOG.info("[{}] already completed in {}; not training again (delete status.json to train anew)",
                        id, spec.settings().outputDir());
                handle = new Handle(pid, null, completed(spec));
            }
        } catch (RuntimeException e) {
            LOG.error("[{}] configuration {} rejected: {}", id, pid, e.getMessage());
            handle = new Handle(pid, null, failed(id, e.getMessage()));
        }
        synchronized (runs) {
            Handle old = runs.get(id);
            if (old != null && old.run() != null && !old.run().isFinished()) {
                LOG.error("[{}] configuration {} names a run that is already going; ignored", id, pid);
                return;
            }
            runs.put(id, handle);
        }
        if (handle.run() != null) {
            Thread t = new Thread(handle.run(), "jgan-run-" + id);
            t.setDaemon(true);
            t.start();
        }
    }

    /** The given settings of a run configuration: those {@link #GIVEN} lists, or all of them when it is absent. */
    static Map<String, String> given(Map<String, String> config, Object givenKeys) {
        if (!(givenKeys instanceof String list)) {
            return config;
        }
        Map<String, String> given = new TreeMap<>();
        for (String k : list.split(",")) {
            if (config.containsKey(k.trim())) {
                given.put(k.trim(), config.get(k.trim()));
            }
        }
        return given;
    }

    /** Called by {@link RunComponent} when a run configuration goes away: stops the run with a checkpoint. */
    void halt(String pid) {
        Handle h = null;
        synchronized (runs) {
            handedOver.remove(pid);
            for (Map.Entry<String, Handle> e : runs.entrySet()) {
                if (e.getValue().pid().equals(pid)) {
                    h = e.getValue();
                    runs.remove(e.getKey());
                    break;
                }
            }
        }
        if (h != null && h.run() != null) {
            h.run().stop();
            try {
                h.run().awaitFinished(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether the run's status.json (read as JSON, not searched as text) says it completed. */
    static boolean alreadyCompleted(RunSpec spec) {
        Path status = new RunFolder(Path.of(spec.settings().outputDir())).status();
        try {
            return Files.exists(status) && Json.read(Files.readString(status)) instanceof Map<?, ?> doc
                    && "COMPLETED".equals(doc.get("state"));
        } catch (IOException | IllegalArgumentException e) {
            // unreadable or not JSON: not known to be complete; the run resumes from its checkpoint
            return false;
        }
    }

    private static RunStatusDTO completed(RunSpec spec) {
        RunStatusDTO s = failed(spec.name(), null);
        s.state = RunStatusDTO.State.COMPLETED;
        s.iteration = spec.settings().iterations();
        s.iterations = s.iteration;
        s.outputDir = Path.of(spec.settings().outputDir()).toAbsolutePath().toString();
        s.summary = ProgressLine.format(s);
        return s;
    }

    private static RunStatusDTO failed(String id, String error) {
        RunStatusDTO s = new RunStatusDTO();
        s.id = id;
        s.state = RunStatusDTO.State.FAILED;
        s.error = error;
        s.losses = Map.of();
        s.metrics = Map.of();
        s.etaSeconds = -1;
        s.summary = ProgressLine.format(s);
        return s;
    }

    private Map<String, Object> provenance(RunSpec spec, NumericsBackend numerics) {
        Map<String, Object> bundles = new TreeMap<>();
        for (ComponentCatalog.Entry e : spec.components()) {
            bundles.put(e.bundle(), e.version());
        }
        for (Bundle b : context.getBundles()) {
            String bsn = b.getSymbolicName();
            if (bsn != null && (bsn.equals("org.jgan.api") || bsn.equals("org.jgan.engine")
                    || bsn.equals("org.jgan.nd4j"))) {
                bundles.put(bsn, b.getVersion().toString());
            }
        }
        Map<String, Object> components = new LinkedHashMap<>();
        for (ComponentCatalog.Entry e : spec.components()) {
            components.put(e.kind().label() + " " + e.name(), e.bundle() + " " + e.version());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backend", numerics.description());
        out.put("bundles", bundles);
        out.put("components", components);
        out.put("java", System.getProperty("java.version"));
        out.put("framework", context.getBundle(0).getSymbolicName() + " " + context.getBundle(0).getVersion());
        return out;
    }

    @Override
    public List<RunStatusDTO> runs() {
        List<RunStatusDTO> out = new ArrayList<>();
        synchronized (runs) {
            runs.values().forEach(h -> out.add(h.status()));
        }
        return out;
    }

    @Override
    public MemoryDTO memory() {
        long held = 0;
        synchronized (runs) {
            for (Handle h : runs.values()) {
                held += h.status().heldBytes;
            }
        }
        return ProcessMemory.snapshot(held);
    }

    @Override
    public RunStatusDTO status(String runId) {
        return handle(runId).status();
    }

    @Override
    public RunStatusDTO pause(String runId) {
        TrainingRun r = running(runId);
        r.pause();
        return r.status();
    }

    @Override
    public RunStatusDTO resume(String runId) {
        TrainingRun r = running(runId);
        r.resume();
        return r.status();
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
        Handle h = handle(runId);
        // another loss or regularizer list drops the replaced components' options, as when starting from a preset
        Map<String, String> merged = new TreeMap<>(PresetMerge.withoutReplacedOptions(r.latestSpec().resolved(), changes));
        merged.putAll(changes);
        // checked before anything is stored: an invalid value or a setting that needs a restart is refused here
        RunSpec changed = RunSpec.parse(merged, catalog, runId);
        r.check(changed); // throws, naming what needs a restart
        // stored in the run's configuration (a .cfg file in the watched folder is rewritten by FileInstall) and
        // handed to the run here; reconfigure() recognises the configuration event of this update and skips it
        Map<String, String> expected = null;
        try {
            Configuration c = configurationAdmin.getConfiguration(h.pid(), "?");
            java.util.Dictionary<String, Object> props = c.getProperties();
            if (props != null) {
                Map<String, String> stored = new TreeMap<>();
                for (String k : java.util.Collections.list(props.keys())) {
                    if (props.get(k) instanceof String v) {
                        stored.put(k, v);
                    }
                }
                Map<String, String> kept = PresetMerge.withoutReplacedOptions(stored, changes);
                stored.keySet().stream().filter(k -> !kept.containsKey(k)).forEach(props::remove);
                changes.forEach(props::put);
                // the configuration event this update causes carries a change the run has already been handed
                expected = RunConfigurations.settings(org.osgi.framework.FrameworkUtil.asMap(props));
                synchronized (runs) {
                    handedOver.computeIfAbsent(h.pid(), p -> new java.util.ArrayDeque<>()).add(expected);
                }
                c.update(props);
            }
        } catch (IOException e) {
            synchronized (runs) {
                java.util.Deque<Map<String, String>> d = handedOver.get(h.pid());
                if (d != null && expected != null) {
                    d.removeLastOccurrence(expected);
                }
            }
            throw new IllegalStateException("could not store the configuration of run '" + runId + "': " + e.getMessage(), e);
        }
        r.requestChange(changed);
        return r.status();
    }

    /**
     * Whether a configuration event only repeats settings that {@link #set} stored and handed to the run already;
     * it and the older ones set() stored are then forgotten. An event from anywhere else (a .cfg edit, another
     * ConfigAdmin client) is handed over, so that a late event of an earlier set() never undoes a later one.
     */
    private boolean alreadyHandedOver(String pid, Map<String, String> config) {
        synchronized (runs) {
            java.util.Deque<Map<String, String>> d = handedOver.get(pid);
            if (d == null || !d.contains(config)) {
                return false;
            }
            while (!d.removeFirst().equals(config)) {
                // older updates of set() that this later one supersedes
            }
            return true;
        }
    }

    /**
     * Called by {@link RunComponent} when a run's configuration changed: a running run takes the change at its next
     * iteration when only live settings changed; otherwise the run stops with a checkpoint and starts again from it
     * with the new configuration. An invalid configuration is logged and the run goes on unchanged.
     */
    void reconfigure(String pid, Map<String, Object> properties, NumericsBackend readyBackend) {
        String id = RunConfigurations.runId(pid, properties);
        Handle h;
        synchronized (runs) {
            h = runs.get(id);
        }
        if (h != null && h.pid().equals(pid) && h.run() != null && !h.run().isFinished()) {
            Map<String, String> config = RunConfigurations.settings(properties);
            if (alreadyHandedOver(pid, config)) {
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
        if (h != null && h.pid().equals(pid) && (h.run() == null || h.run().isFinished())) {
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
        return new Analysis(catalog, this::exploredSpec);
    }

    @Override
    public String sample(String runId, int count, Long seed) {
        return analysis().sample(runId, count, seed);
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

    /**
     * The configuration of a run of this runtime, or else of the run folder {@code runId} or {@code runs/<runId>}
     * (a run trained by an earlier runtime).
     */
    private RunSpec exploredSpec(String runId) {
        Handle h;
        synchronized (runs) {
            h = runs.get(runId);
        }
        if (h != null) {
            if (h.run() == null) {
                throw new IllegalArgumentException("run '" + runId + "' failed before training and has no generator");
            }
            return h.run().spec();
        }
        Path dir = RunFolder.find(runId);
        if (dir == null) {
            throw new IllegalArgumentException("unknown run '" + runId + "'; expected a run of this runtime ("
                    + String.join(", ", runIds()) + ") or a run folder " + runId + "/ or runs/" + runId
                    + "/ with a config.json");
        }
        try {
            return RunFolder.spec(dir, catalog);
        } catch (IOException e) {
            throw new IllegalArgumentException("run '" + runId + "': " + e.getMessage(), e);
        }
    }

    private List<String> runIds() {
        synchronized (runs) {
            return runs.isEmpty() ? List.of("none") : new ArrayList<>(runs.keySet());
        }
    }

    private Handle handle(String runId) {
        synchronized (runs) {
            Handle h = runs.get(runId);
            if (h == null) {
                throw new IllegalArgumentException("unknown run '" + runId + "'; runs: "
                        + (runs.isEmpty() ? "none" : String.join(", ", runs.keySet())));
            }
            return h;
        }
    }

    private TrainingRun running(String runId) {
        Handle h = handle(runId);
        if (h.run() == null || h.run().isFinished()) {
            throw new IllegalArgumentException("run '" + runId + "' is " + h.status().state
                    + "; expected a starting, running or paused run");
        }
        return h.run();
    }
}
