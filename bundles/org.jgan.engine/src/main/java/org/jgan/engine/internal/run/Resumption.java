package org.jgan.engine.internal.run;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.PresetMerge;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.folder.RunLogs;
import org.jgan.engine.internal.model.Swaps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration a run resumed from its checkpoint trains with: the one the checkpoint recorded (live changes
 * included), with the settings given for this start on top. Given settings that differ from the recorded ones are
 * taken as a live change at the checkpoint's iteration (logged and written to history.csv) when the run could take
 * them while training; otherwise the run is refused. A run restarting because its configuration was edited while it
 * trained takes every change from the checkpoint on. A checkpoint without a recorded configuration (written before it
 * was recorded) resumes with the given configuration.
 */
final class Resumption {

    private static final Logger LOG = LoggerFactory.getLogger(Resumption.class);

    /**
     * What a resumed run trains with.
     *
     * @param spec    the configuration from the checkpoint's iteration
     * @param pending a change to apply there as a live change, or null
     */
    record Plan(RunSpec spec, RunSpec pending) {
    }

    private final String id;
    private final ComponentCatalog catalog;
    private final RunRecords records;
    /**
     * The settings given for this start (command line, gan:start, a .cfg file); null when only the resolved
     * configuration is known (all of it counts as given).
     */
    private Map<String, String> given;
    /** Set when the run starts again because its configuration was edited while it trained. */
    private volatile boolean restart;

    Resumption(String id, ComponentCatalog catalog, RunRecords records, Map<String, String> given) {
        this.id = id;
        this.catalog = catalog;
        this.records = records;
        this.given = given == null ? null : Map.copyOf(given);
    }

    /** Marks the run as restarting with an edited configuration: changes that need a restart are taken. */
    void restarting() {
        restart = true;
    }

    /** From now on the whole of {@code resolved} counts as given (a model built again keeps its live changes). */
    void given(Map<String, String> resolved) {
        given = Map.copyOf(resolved);
    }

    /**
     * @param spec the configuration the run was started with
     * @throws IllegalArgumentException naming the settings that cannot change
     */
    Plan plan(Checkpoint c, RunSpec spec) throws IOException {
        if (c.config() == null || catalog == null) {
            return new Plan(spec, null);
        }
        String outputDir = spec.settings().outputDir();
        Map<String, String> recorded = new TreeMap<>(c.config());
        recorded.put("name", id);
        recorded.put("outputDir", outputDir);
        RunSpec before = RunSpec.parse(recorded, catalog, id);
        Map<String, String> given = new TreeMap<>(this.given != null ? this.given : spec.resolved());
        given.put("name", id);
        given.put("outputDir", outputDir);
        Map<String, String> merged = new TreeMap<>(PresetMerge.withoutReplacedOptions(before.resolved(), given));
        merged.putAll(given);
        RunSpec wanted = RunSpec.parse(merged, catalog, id);
        List<LiveSettings.Change> changes = LiveSettings.diff(before.resolved(), wanted.resolved());
        if (restart) {
            // the configuration was edited while the run trained: it goes on from its checkpoint with the new one
            StringBuilder rows = new StringBuilder();
            changes.forEach(ch -> rows.append(RunLogs.historyRow(c.iteration(), ch.key(), ch.from(), ch.to())));
            records.appendHistory(rows);
            LOG.info("[{}] restarts from its checkpoint at iteration {} with changed settings: {}", id,
                    c.iteration(), describe(changes, null));
            return new Plan(wanted, null);
        }
        List<String> fixed = LiveSettings.fixed(changes);
        String refusal = fixed.isEmpty() && LiveSettings.needsSwap(changes) ? Swaps.refusal(before, wanted) : null;
        if (!fixed.isEmpty() || refusal != null) {
            throw new IllegalArgumentException("run '" + id + "' resumes from its checkpoint at iteration "
                    + c.iteration() + ", trained with other settings that cannot change: "
                    + (refusal != null ? refusal : describe(changes, fixed)) + "; expected the recorded values (see "
                    + "config.json), or another name= or outputDir= for a new run");
        }
        if (changes.isEmpty()) {
            LOG.info("[{}] resumes with its recorded configuration", id);
            return new Plan(before, null);
        }
        LOG.info("[{}] resumes with its recorded configuration; the given settings that differ are applied as a "
                + "live change from iteration {}: {}", id, c.iteration(), describe(changes, null));
        return new Plan(before, wanted);
    }

    /** "key from -> to" for the changes (of the keys {@code only}, or all when null). */
    private static String describe(List<LiveSettings.Change> changes, List<String> only) {
        return String.join(", ", changes.stream().filter(ch -> only == null || only.contains(ch.key()))
                .map(ch -> ch.key() + " " + ch.from() + " -> " + ch.to()).toList());
    }
}
