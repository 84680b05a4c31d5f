package org.jgan.engine.internal;

import java.io.IOException;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.jgan.api.TrainingService;
import org.jgan.engine.internal.config.PresetMerge;
import org.jgan.engine.internal.config.RunConfigurations;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Runs' configurations in ConfigurationAdmin, which the registry writes: a started run's factory configuration
 * (which {@link RunComponent} then launches) and the changes {@code gan:set} makes to a running run (a .cfg file in
 * the watched folder is rewritten by FileInstall). A failure to store is one line naming the run.
 */
final class StoredConfigurations {

    private final Supplier<ConfigurationAdmin> admin;
    private final RunTable runs;

    StoredConfigurations(Supplier<ConfigurationAdmin> admin, RunTable runs) {
        this.admin = admin;
        this.runs = runs;
    }

    /**
     * Creates the factory configuration of run {@code id}.
     *
     * @param given the settings given (not from the preset): a run resuming from a checkpoint takes only those
     */
    void create(String id, Map<String, String> settings, Set<String> given) {
        try {
            Configuration c = admin.get().getFactoryConfiguration(TrainingService.RUN_FACTORY_PID, id, "?");
            Hashtable<String, Object> props = new Hashtable<>(settings);
            props.put(RunConfigurations.GIVEN, String.join(",", new TreeSet<>(given)));
            c.update(props);
        } catch (IOException e) {
            throw failure(id, e);
        }
    }

    /**
     * Stores changed settings in the configuration {@code pid} of run {@code runId}, dropping the options of
     * replaced components as a preset merge does. The settings the configuration event of this update will carry
     * are recorded as handed over (the caller hands the change to the run itself), so that the event is skipped.
     */
    void change(String runId, String pid, Map<String, String> changes) {
        Map<String, String> expected = null;
        try {
            Configuration c = admin.get().getConfiguration(pid, "?");
            Dictionary<String, Object> props = c.getProperties();
            if (props == null) {
                return;
            }
            Map<String, String> stored = new TreeMap<>();
            for (String k : Collections.list(props.keys())) {
                if (props.get(k) instanceof String v) {
                    stored.put(k, v);
                }
            }
            Map<String, String> kept = PresetMerge.withoutReplacedOptions(stored, changes);
            stored.keySet().stream().filter(k -> !kept.containsKey(k)).forEach(props::remove);
            changes.forEach(props::put);
            expected = RunConfigurations.settings(FrameworkUtil.asMap(props));
            runs.handingOver(pid, expected);
            c.update(props);
        } catch (IOException e) {
            if (expected != null) {
                runs.notHandedOver(pid, expected);
            }
            throw failure(runId, e);
        }
    }

    private static IllegalStateException failure(String id, IOException e) {
        return new IllegalStateException("could not store the configuration of run '" + id + "': " + e.getMessage(), e);
    }
}
