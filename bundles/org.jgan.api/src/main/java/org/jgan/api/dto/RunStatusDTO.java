package org.jgan.api.dto;

import java.util.Map;
import org.osgi.dto.DTO;

/** Status and progress of a training run. */
public class RunStatusDTO extends DTO {

    /** Life cycle of a run. */
    public enum State { STARTING, RUNNING, PAUSED, STOPPED, COMPLETED, FAILED }

    public String id;
    public State state;
    /** Completed iterations (one iteration = k discriminator steps + one generator step). */
    public long iteration;
    public long iterations;
    /** Iterations per second over the recent past. */
    public double rate;
    /** Estimated seconds to completion, or -1 when unknown. */
    public double etaSeconds;
    /** Latest loss values by name (d_loss, g_loss and regularizer terms). */
    public Map<String, Double> losses;
    /** Latest metric scores by name. */
    public Map<String, Double> metrics;
    public String outputDir;
    /** Why the run failed, or null. */
    public String error;
    /**
     * Native bytes of the ND4J arrays the run holds (parameters, state buffers, optimizer state, EMA copies, its
     * graphs' array caches), measured at its latest progress line ({@code mem} in the summary); 0 before the model
     * is built and once the run has finished and released them.
     *
     * @since 1.1
     */
    public long heldBytes;
    /** All of the above as one human-readable progress line. */
    public String summary;
}
