package org.jgan.engine.internal.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.jgan.api.DataSource;
import org.jgan.api.Metric;
import org.jgan.api.MetricResult;
import org.jgan.api.Side;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.engine.internal.analysis.LossPlot;
import org.jgan.engine.internal.analysis.SampleFiles;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.AtomicFile;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.folder.CsvLog;
import org.jgan.engine.internal.folder.EventFile;
import org.jgan.engine.internal.folder.Json;
import org.jgan.engine.internal.folder.LossLog;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.folder.RunLock;
import org.jgan.engine.internal.folder.RunLogs;
import org.jgan.engine.internal.graph.Seeds;
import org.jgan.engine.internal.model.GanModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a run writes in its folder ({@link RunFolder} names the files): config.json, status.json, checkpoints,
 * samples with the scores of the metrics, metrics.json and metrics.csv, history.csv rows and losses.png (the
 * TensorBoard event file, {@link org.jgan.engine.internal.folder.EventFile}, is written by the loop); and the
 * folder's lock, without which status.json is not written (a refused second trainer writes nothing).
 */
final class RunRecords {

    private static final Logger LOG = LoggerFactory.getLogger(RunRecords.class);
    /** Samples written at each sample interval, from the run's fixed latent batch. */
    private static final int SAMPLE_FILE_COUNT = 512;

    private final String id;
    private final RunFolder folder;
    private final Map<String, Object> provenance;
    /** The run folder's lock while the run holds it (null before it is taken and after the final status). */
    private volatile RunLock folderLock;

    /** @param provenance what to record next to the configuration (bundles, backend) */
    RunRecords(String id, RunFolder folder, Map<String, Object> provenance) {
        this.id = id;
        this.folder = folder;
        this.provenance = provenance;
    }

    RunFolder folder() {
        return folder;
    }

    /** Takes the folder's lock; refused when another trainer holds it. */
    void hold() throws IOException {
        folderLock = RunLock.acquire(folder.root(), id);
    }

    /** Gives the folder's lock back (after the final status is written), so that another trainer may take it. */
    void release() {
        RunLock held = folderLock;
        folderLock = null;
        if (held != null) {
            held.close();
        }
    }

    /** Removes the temporary files a process that ended mid-write left (the lock is ours). */
    void removeLeftovers() throws IOException {
        AtomicFile.removeLeftovers(folder.root());
        AtomicFile.removeLeftovers(folder.checkpoints());
    }

    /**
     * Cuts the logs back to the iteration training starts from: rows of iterations after the checkpoint (written
     * before a crash or a failure), a row cut short, rows of an earlier run of a fresh folder. History rows at the
     * checkpoint's iteration came after it (changes are applied at the start of the next iteration) and go too.
     */
    void cutBackLogs(long from) throws IOException {
        int dropped = CsvLog.cutBack(folder.losses(), from) + CsvLog.cutBack(folder.metricsLog(), from)
                + CsvLog.cutBack(folder.history(), from - 1);
        if (dropped > 0) {
            LOG.info("[{}] logs cut back to iteration {}: {} row(s) after it dropped (they are trained again)", id,
                    from, dropped);
        }
    }

    /** Appends rows to history.csv (nothing when there are none). */
    void appendHistory(CharSequence rows) throws IOException {
        if (rows.length() > 0) {
            RunLogs.appendHistory(folder.history(), rows);
        }
    }

    /**
     * Writes the checkpoint of iteration {@code at}, after every loss row up to it is on disk (so that the logs
     * never lack a row the checkpoint has passed).
     */
    void saveCheckpoint(GanModel model, long at, LossLog lossLog) throws IOException {
        if (lossLog != null) {
            lossLog.flush();
        }
        Checkpoint c = model.checkpoint(at);
        try {
            c.write(folder.checkpoints());
        } finally {
            c.free();
        }
    }

    /** config.json: the resolved configuration, the provenance and the parameter counts. */
    void writeConfig(RunSpec spec, GanModel model) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("run", id);
        doc.put("written", Instant.now().toString());
        doc.put("config", spec.resolved());
        doc.putAll(provenance);
        doc.put("parameters", Map.of("generator", model.parameterCount(Side.GENERATOR),
                "discriminator", model.parameterCount(Side.DISCRIMINATOR)));
        AtomicFile.write(folder.config(), Json.write(doc));
    }

    /** Writes status.json atomically, when this run holds its folder; a failure to write is logged. */
    void writeStatus(RunStatusDTO s) {
        if (folderLock == null) {
            return;
        }
        try {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("state", s.state.name());
            doc.put("iteration", s.iteration);
            doc.put("iterations", s.iterations);
            doc.put("losses", s.losses);
            doc.put("metrics", s.metrics);
            doc.put("error", s.error);
            AtomicFile.writeReserving(folder.status(), Json.write(doc));
        } catch (IOException e) {
            LOG.warn("[{}] {}", id, e.getMessage());
        }
    }

    /** losses.png from losses.csv; a failure to plot is logged and does not disturb training. */
    void plotLosses() {
        String failure = LossPlot.tryWrite(LossPlot::write, folder.losses(), folder.lossPlot());
        if (failure != null) {
            LOG.warn("[{}] could not plot {}: {}", id, folder.losses(), failure);
        }
    }

    /**
     * Writes the samples of iteration {@code at} from the run's fixed latent batch and the scores of the chosen
     * metrics (metrics.json, a row of metrics.csv).
     *
     * @param seed   the run's seed, from which the fixed latent batch and the metrics' streams are drawn
     * @param scored given the scores, named "metric.score", before they are written (the status shows them even
     *               when writing fails)
     * @param events the run's event file, which gets the scores ({@code score/NAME}) and the iteration's images
     */
    void evaluate(GanModel model, DataSource data, List<Map.Entry<Metric, RunSpec.Choice>> chosen, long at,
            long seed, Consumer<Map<String, Double>> scored, EventFile events) throws IOException {
        Path samples = folder.samples();
        Files.createDirectories(samples);
        String prefix = String.format(Locale.ROOT, "iter-%07d", at);
        long fixed = Seeds.mix(seed, Seeds.FIXED_LATENT);
        // image grids of 10 x 10 (one class per column for 10 or 5 or 2 classes), point clouds of 512
        SampleFiles.write(model.sample(data.shape().isImage() ? 100 : SAMPLE_FILE_COUNT, fixed), samples, prefix);
        Map<String, Double> scores = new TreeMap<>();
        for (Map.Entry<Metric, RunSpec.Choice> e : chosen) {
            MetricResult r;
            try {
                r = e.getKey().evaluate(model, data, samples, prefix + "-", Seeds.mix(seed, Seeds.EVAL),
                        e.getValue().options());
            } catch (IOException | UncheckedIOException io) {
                Exception cause = io instanceof UncheckedIOException u ? u.getCause() : io;
                throw new IOException("metric '" + e.getValue().name() + "' could not write its files in " + samples
                        + ": " + AtomicFile.reason(cause), io);
            }
            r.scores().forEach((k, v) -> scores.put(e.getValue().name() + "." + k, v));
        }
        scored.accept(scores);
        RunLogs.appendMetrics(folder.metricsLog(), at, scores);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("iteration", at);
        json.put("scores", scores);
        AtomicFile.write(folder.metrics(), Json.write(json));
        if (!scores.isEmpty()) {
            LOG.info("[{}] iteration {} metrics {}", id, at, scores);
        }
        Map<String, Double> tagged = new LinkedHashMap<>();
        scores.forEach((k, v) -> tagged.put("score/" + k, v));
        events.scalars(at, tagged);
        // the iteration's PNGs (the sample grid, a metric's plots) under their name after the prefix: samples, scatter
        String dash = prefix + "-";
        List<Path> images;
        try (var files = Files.list(samples)) {
            images = files.filter(f -> f.getFileName().toString().startsWith(dash)
                    && f.getFileName().toString().endsWith(".png")).sorted().toList();
        }
        for (Path image : images) {
            String n = image.getFileName().toString();
            events.image(at, n.substring(dash.length(), n.length() - ".png".length()), Files.readAllBytes(image));
        }
        events.flush();
    }

    /**
     * What the event file gets at the row of each iteration (step iteration + 1, as in losses.csv): every loss term
     * ({@code loss/d_loss}, ...), and the learning rates and terms' weights that the iteration's steps used
     * ({@link GanModel#schedules}).
     */
    static Map<String, Double> eventScalars(GanModel model, Map<String, Double> losses, long iteration) {
        Map<String, Double> out = new LinkedHashMap<>();
        losses.forEach((k, v) -> out.put("loss/" + k, v));
        out.putAll(model.schedules(iteration));
        return out;
    }
}
