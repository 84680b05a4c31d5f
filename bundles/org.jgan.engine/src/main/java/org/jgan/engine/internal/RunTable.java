package org.jgan.engine.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.RecordedRuns;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.run.ProgressLine;
import org.jgan.engine.internal.run.TrainingRun;

/**
 * The registry's table of runs by name, under one lock: the runs of this runtime (a training thread, or the status of
 * a configuration that failed before training or had completed), the names that a start is creating, and the
 * settings that {@code set} handed to a run directly, so that the configuration events they cause are not handed
 * over twice.
 */
final class RunTable {

    /** A run known to the registry: a training thread, or a configuration that failed before training. */
    record Handle(String pid, TrainingRun run, RunStatusDTO failed) {
        RunStatusDTO status() {
            return run != null ? run.status() : failed;
        }

        boolean going() {
            return run != null && !run.isFinished();
        }
    }

    private final Map<String, Handle> runs = new LinkedHashMap<>();
    /** Names of runs that a start is creating, reserved until their run appears. */
    private final Set<String> starting = new HashSet<>();
    /** Per configuration PID, the settings that set() stored and handed to its run directly, oldest first. */
    private final Map<String, Deque<Map<String, String>>> handedOver = new HashMap<>();

    /**
     * Reserves a name for a start.
     *
     * @throws IllegalArgumentException when a run of that name exists or another start reserved it
     */
    synchronized void reserve(String id) {
        if (runs.containsKey(id)) {
            throw new IllegalArgumentException("a run named '" + id + "' exists; choose another name= or remove it");
        }
        if (!starting.add(id)) {
            throw new IllegalArgumentException("a run named '" + id + "' is being started by another request; "
                    + "choose another name=");
        }
    }

    synchronized void unreserve(String id) {
        starting.remove(id);
    }

    /** The run of that name, or null. */
    synchronized Handle get(String id) {
        return runs.get(id);
    }

    /** Enters a run; refused (false) when a run of that name is still going. */
    synchronized boolean put(String id, Handle h) {
        Handle old = runs.get(id);
        if (old != null && old.going()) {
            return false;
        }
        runs.put(id, h);
        return true;
    }

    /** Removes the run of a configuration, and what set() handed it; returns it, or null. */
    synchronized Handle removePid(String pid) {
        handedOver.remove(pid);
        for (Map.Entry<String, Handle> e : runs.entrySet()) {
            if (e.getValue().pid().equals(pid)) {
                runs.remove(e.getKey());
                return e.getValue();
            }
        }
        return null;
    }

    /** Removes every run; returns them. */
    synchronized List<Handle> clear() {
        List<Handle> all = new ArrayList<>(runs.values());
        runs.clear();
        return all;
    }

    synchronized List<RunStatusDTO> statuses() {
        List<RunStatusDTO> out = new ArrayList<>();
        runs.values().forEach(h -> out.add(h.status()));
        return out;
    }

    /**
     * The runs recorded in the run folders under {@code root} that are not this table's (by name and by folder),
     * with the progress line of their recorded status.
     */
    List<RunStatusDTO> recorded(Path root) {
        Set<String> known = new HashSet<>();
        for (RunStatusDTO s : statuses()) {
            known.add(s.id);
            if (s.outputDir != null) {
                known.add(Path.of(s.outputDir).toAbsolutePath().normalize().toString());
            }
        }
        List<RunStatusDTO> out = RecordedRuns.in(root, known);
        out.forEach(s -> s.summary = ProgressLine.format(s));
        return out;
    }

    /** Native bytes the runs' models hold. */
    synchronized long heldBytes() {
        long held = 0;
        for (Handle h : runs.values()) {
            held += h.status().heldBytes;
        }
        return held;
    }

    /** @throws IllegalArgumentException naming the runs there are, when there is no run of that name */
    synchronized Handle handle(String runId) {
        Handle h = runs.get(runId);
        if (h == null) {
            throw new IllegalArgumentException("unknown run '" + runId + "'; runs: "
                    + (runs.isEmpty() ? "none" : String.join(", ", runs.keySet())));
        }
        return h;
    }

    /** @throws IllegalArgumentException when the run is unknown or finished (or failed before training) */
    TrainingRun running(String runId) {
        Handle h = handle(runId);
        if (!h.going()) {
            throw new IllegalArgumentException("run '" + runId + "' is " + h.status().state
                    + "; expected a starting, running or paused run");
        }
        return h.run();
    }

    /** The names of the runs, or "none". */
    synchronized List<String> ids() {
        return runs.isEmpty() ? List.of("none") : new ArrayList<>(runs.keySet());
    }

    /**
     * The configuration of a run of this runtime, or else of the run folder {@code runId} or {@code runs/<runId>}
     * (a run trained by an earlier runtime).
     */
    RunSpec exploredSpec(String runId, ComponentCatalog catalog) {
        Handle h = get(runId);
        if (h != null) {
            if (h.run() == null) {
                throw new IllegalArgumentException("run '" + runId + "' failed before training and has no generator");
            }
            return h.run().spec();
        }
        Path dir = RunFolder.find(runId);
        if (dir == null) {
            throw new IllegalArgumentException("unknown run '" + runId + "'; expected a run of this runtime ("
                    + String.join(", ", ids()) + ") or a run folder " + runId + "/ or runs/" + runId
                    + "/ with a config.json");
        }
        try {
            return RunFolder.spec(dir, catalog);
        } catch (IOException e) {
            throw new IllegalArgumentException("run '" + runId + "': " + e.getMessage(), e);
        }
    }

    /** Records settings that set() stores and hands to the run of {@code pid} directly. */
    synchronized void handingOver(String pid, Map<String, String> settings) {
        handedOver.computeIfAbsent(pid, p -> new ArrayDeque<>()).add(settings);
    }

    /** Forgets settings of {@link #handingOver} that could not be stored. */
    synchronized void notHandedOver(String pid, Map<String, String> settings) {
        Deque<Map<String, String>> d = handedOver.get(pid);
        if (d != null) {
            d.removeLastOccurrence(settings);
        }
    }

    /**
     * Whether a configuration event only repeats settings that set() stored and handed to the run already; it and
     * the older ones set() stored are then forgotten. An event from anywhere else (a .cfg edit, another ConfigAdmin
     * client) is handed over, so that a late event of an earlier set() never undoes a later one.
     */
    synchronized boolean alreadyHandedOver(String pid, Map<String, String> config) {
        Deque<Map<String, String>> d = handedOver.get(pid);
        if (d == null || !d.contains(config)) {
            return false;
        }
        while (!d.removeFirst().equals(config)) {
            // older updates of set() that this later one supersedes
        }
        return true;
    }

    /** The status of a run found completed in its folder at iteration {@code at} (an early stop's, or its length). */
    static RunStatusDTO completed(RunSpec spec, long at) {
        RunStatusDTO s = failed(spec.name(), null);
        s.state = RunStatusDTO.State.COMPLETED;
        s.iteration = at;
        s.iterations = s.iteration;
        s.outputDir = Path.of(spec.settings().outputDir()).toAbsolutePath().toString();
        s.summary = ProgressLine.format(s);
        return s;
    }

    /** The status of a run that failed before training. */
    static RunStatusDTO failed(String id, String error) {
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

    /** The status of a run whose configuration is stored but whose run has not appeared yet. */
    static RunStatusDTO starting(String id) {
        RunStatusDTO s = new RunStatusDTO();
        s.id = id;
        s.state = RunStatusDTO.State.STARTING;
        s.losses = Map.of();
        s.metrics = Map.of();
        s.summary = ProgressLine.format(s);
        return s;
    }
}
