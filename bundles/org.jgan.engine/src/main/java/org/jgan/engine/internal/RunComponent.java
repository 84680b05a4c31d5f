package org.jgan.engine.internal;

import java.util.Map;
import org.jgan.api.NumericsBackend;
import org.jgan.api.TrainingService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One instance per run factory configuration (from the shell, a {@code .cfg} file in the watched folder, or any
 * ConfigurationAdmin client): launches the run, and stops it with a checkpoint when the configuration goes away
 * or changes (a changed configuration restarts the run from its checkpoint with the new settings). If ND4J
 * failed to load, configurations stay inactive; {@code gan:start} reports the failure.
 */
@Component(configurationPid = TrainingService.RUN_FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = RunConfig.class, factory = true)
public final class RunComponent {

    private final RunRegistry registry;
    private final String pid;

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
        registry.launch(pid, properties, backend);
    }

    @Deactivate
    void deactivate() {
        registry.halt(pid);
    }
}
