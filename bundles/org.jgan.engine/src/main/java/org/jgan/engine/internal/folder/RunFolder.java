package org.jgan.engine.internal.folder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;

/**
 * A run's output folder: the one place that names what lies at its top (the checkpoint's and the lock's file names
 * are {@link Checkpoint#FILE} and {@link RunLock#FILE}, the event files' prefix {@link EventFile#PREFIX}). What a
 * run writes there, and who reads it:
 * <pre>
 *   config.json               the resolved configuration, provenance and parameter counts (TrainingRun; read by
 *                             {@link #spec} for runs of earlier runtimes)
 *   status.json               state, iteration, losses, error (TrainingRun; read by RunRegistry)
 *   metrics.json, metrics.csv the latest scores and every evaluation (TrainingRun)
 *   losses.csv, losses.png    one row per iteration and its plot (TrainingRun, LossPlot)
 *   history.csv               live changes and rebinds (TrainingRun)
 *   events.out.tfevents.*     TensorBoard event files, one per training pass (TrainingLoop; read by TensorBoard)
 *   samples/                  sample grids and plots (metrics, LatentExplorer)
 *   eval/                     results of gan:evaluate and cross-tests (Evaluation)
 *   explore/                  gan:sample, interpolation and arithmetic grids (LatentExplorer)
 *   checkpoints/checkpoint.zip weights, optimizer state, random streams, configuration (Checkpoint)
 *   .lock                     held by the process that trains the run (RunLock)
 * </pre>
 * JSON documents are written and read with {@link Json} (Gson), by structure; every state file is replaced
 * atomically ({@link AtomicFile}).
 */
public final class RunFolder {

    static final String CONFIG = "config.json";
    static final String STATUS = "status.json";
    static final String METRICS = "metrics.json";
    static final String METRICS_LOG = "metrics.csv";
    static final String LOSSES = "losses.csv";
    static final String LOSS_PLOT = "losses.png";
    static final String HISTORY = "history.csv";
    static final String SAMPLES = "samples";
    static final String EVALUATIONS = "eval";
    static final String EXPLORATIONS = "explore";
    static final String CHECKPOINTS = "checkpoints";

    private final Path dir;

    public RunFolder(Path dir) {
        this.dir = dir;
    }

    /** The folder itself. */
    public Path root() {
        return dir;
    }

    public Path config() {
        return dir.resolve(CONFIG);
    }

    public Path status() {
        return dir.resolve(STATUS);
    }

    public Path metrics() {
        return dir.resolve(METRICS);
    }

    public Path metricsLog() {
        return dir.resolve(METRICS_LOG);
    }

    public Path losses() {
        return dir.resolve(LOSSES);
    }

    public Path lossPlot() {
        return dir.resolve(LOSS_PLOT);
    }

    public Path history() {
        return dir.resolve(HISTORY);
    }

    public Path samples() {
        return dir.resolve(SAMPLES);
    }

    public Path evaluations() {
        return dir.resolve(EVALUATIONS);
    }

    public Path explorations() {
        return dir.resolve(EXPLORATIONS);
    }

    public Path checkpoints() {
        return dir.resolve(CHECKPOINTS);
    }

    public Path checkpoint() {
        return checkpoints().resolve(Checkpoint.FILE);
    }

    /** Whether status.json (read as JSON, not searched as text) says the run completed. */
    public boolean completed() {
        return completedAt() >= 0;
    }

    /**
     * The iteration the run completed at, as status.json (read as JSON) records it: its length, or where early
     * stopping ended it; -1 when status.json does not say the run completed.
     */
    public long completedAt() {
        Path status = status();
        try {
            if (Files.exists(status) && Json.read(Files.readString(status)) instanceof Map<?, ?> doc
                    && "COMPLETED".equals(doc.get("state"))) {
                return doc.get("iteration") instanceof Number n ? n.longValue() : 0;
            }
        } catch (IOException | IllegalArgumentException e) {
            // unreadable or not JSON: not known to be complete; the run resumes from its checkpoint
        }
        return -1;
    }

    /** The folder of run {@code id}: {@code id} itself when it is a run folder, else {@code runs/<id>}; or null. */
    public static Path find(String id) {
        for (Path dir : new Path[] {Path.of(id), Path.of("runs", id)}) {
            if (Files.isRegularFile(dir.resolve(CONFIG))) {
                return dir;
            }
        }
        return null;
    }

    /**
     * A run known only by its folder (for example one trained by an earlier runtime): its configuration as the
     * folder's config.json recorded it, parsed again against the installed components.
     */
    public static RunSpec spec(Path dir, ComponentCatalog catalog) throws IOException {
        Path file = new RunFolder(dir).config();
        Object doc;
        try {
            doc = Json.read(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage() + "; expected a jgan run's config.json", e);
        }
        if (!(doc instanceof Map<?, ?> top) || !(top.get("config") instanceof Map<?, ?> config)) {
            throw new IOException(file + " has no \"config\" object; expected a jgan run's config.json");
        }
        Map<String, String> raw = new LinkedHashMap<>();
        config.forEach((k, v) -> raw.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        // the folder is where the run is now, wherever it was written
        raw.put("outputDir", dir.toString());
        return RunSpec.parse(raw, catalog, dir.getFileName().toString());
    }
}
