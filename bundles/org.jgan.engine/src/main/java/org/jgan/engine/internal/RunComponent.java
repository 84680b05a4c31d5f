package org.jgan.engine.internal;

import java.util.Map;
import org.jgan.api.NumericsBackend;
import org.jgan.api.TrainingService;
import org.jgan.engine.internal.config.LiveSettings;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/**
 * One instance per run factory configuration (from the shell, a {@code .cfg} file in the watched folder, or any
 * ConfigurationAdmin client): launches the run, and stops it with a checkpoint when the configuration goes away.
 * A changed configuration reaches the running run at its next iteration when only live settings changed
 * ({@link LiveSettings}: learning rates, regularizer weights, intervals, ...); otherwise the run restarts from its
 * checkpoint with the new settings. If ND4J failed to load, configurations stay inactive; {@code gan:start}
 * reports the failure. Metatype describes the configuration through
 * {@link org.jgan.engine.internal.config.RunMetaType}.
 */
@Component(configurationPid = TrainingService.RUN_FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
public final class RunComponent {

    private final RunRegistry registry;
    private final String pid;
    private final NumericsBackend backend;

    /**
     * Activation waits for ND4J: a configuration found at start-up (a .cfg file in the watched folder) is
     * launched once the numerics backend is ready, not rejected while it loads.
     */
    @Activate
    public RunComponent(@Reference RunRegistry registry,
            @Reference(target = "(" + NumericsBackend.READY + "=true)") NumericsBackend backend,
            Map<String, Object> properties) {
        this.registry = registry;
        this.pid = String.valueOf(properties.get("service.pid"));
        this.backend = backend;
        registry.launch(pid, properties, backend);
    }

    @Modified
    void modified(Map<String, Object> properties) {
        registry.reconfigure(pid, properties, backend);
    }

    @Deactivate
    void deactivate() {
        registry.halt(pid);
    }
}
