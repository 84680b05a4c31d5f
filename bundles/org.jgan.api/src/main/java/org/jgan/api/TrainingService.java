package org.jgan.api;

import java.util.List;
import java.util.Map;
import org.jgan.api.dto.ComponentDTO;
import org.jgan.api.dto.RunStatusDTO;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The training engine, as the shell and other bundles see it. Runs are factory configurations (PID
 * {@value #RUN_FACTORY_PID}); {@link #start} creates one.
 */
@ProviderType
public interface TrainingService {

    /** Factory PID of run configurations. */
    String RUN_FACTORY_PID = "org.jgan.run";

    /** Installed components of every kind, with their options. */
    List<ComponentDTO> components();

    /**
     * Checks a run configuration (preset merged with overrides) without starting it.
     *
     * @param preset   a preset name, or {@code null}
     * @param settings run configuration keys and values, overriding the preset's
     * @return the full resolved configuration
     * @throws IllegalArgumentException naming the first problem and what is expected
     */
    Map<String, String> validate(String preset, Map<String, String> settings);

    /**
     * Validates and starts a run by creating its factory configuration.
     *
     * @return the new run's status
     * @throws IllegalArgumentException for an invalid configuration (nothing is created)
     * @throws IllegalStateException when the numerics backend is not available
     */
    RunStatusDTO start(String preset, Map<String, String> settings);

    /** Every known run, oldest first. */
    List<RunStatusDTO> runs();

    /** @throws IllegalArgumentException for an unknown run id */
    RunStatusDTO status(String runId);

    RunStatusDTO pause(String runId);

    RunStatusDTO resume(String runId);

    /** Stops the run after its current iteration, saving a checkpoint. */
    RunStatusDTO stop(String runId);
}
