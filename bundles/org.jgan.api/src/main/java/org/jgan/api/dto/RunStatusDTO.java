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
    /** All of the above as one human-readable progress line. */
    public String summary;
}
