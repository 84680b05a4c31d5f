package org.jgan.engine.internal.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.graph.Seeds;
import org.jgan.engine.internal.model.Players;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analysis commands of the training service ({@code gan:sample}, {@code interpolate}, {@code arithmetic},
 * {@code evaluate}, {@code crosstest}) on a run's latest checkpoint: each restores the run's players alone ({@link
 * Players#restore}: no training graph, penalty or optimizer), works on them and frees them; a run that is training
 * is not touched. Bad input is an {@link IllegalArgumentException} naming the run.
 */
public final class Analysis {

    private static final Logger LOG = LoggerFactory.getLogger(Analysis.class);

    private final ComponentCatalog catalog;
    private final Function<String, RunSpec> specs;

    /**
     * @param specs the configuration of a run by id (a run of this runtime or a run folder); throws an
     *              IllegalArgumentException for an unknown run
     */
    public Analysis(ComponentCatalog catalog, Function<String, RunSpec> specs) {
        this.catalog = catalog;
        this.specs = specs;
    }

    /** {@code count} samples in a grid (see {@link LatentExplorer#sample}); returns the file written. */
    public String sample(String runId, int count, Long seed) {
        return explore(runId, seed, (x, s) -> x.sample(count, s));
    }

    /** Latent interpolations (see {@link LatentExplorer#interpolate}); returns the file written. */
    public String interpolate(String runId, int rows, int steps, Long seed, boolean spherical) {
        return explore(runId, seed, (x, s) -> x.interpolate(rows, steps, s, spherical));
    }

    /** Latent vector arithmetic (see {@link LatentExplorer#arithmetic}); returns the file written. */
    public String arithmetic(String runId, String expression, Long seed, int variants, double noise) {
        return explore(runId, seed, (x, s) -> x.arithmetic(expression, s, variants, noise));
    }

    private interface Exploration {
        Path apply(LatentExplorer explorer, long seed) throws IOException;
    }

    /**
     * Restores a run's generator from its latest checkpoint into arrays of its own (the training thread, if any,
     * is not touched) and explores it; grids go to the run's explore/ folder.
     */
    private String explore(String runId, Long seed, Exploration what) {
        try (Evaluation.Restored r = restored(runId)) {
            if (!r.data().shape().isImage()) {
                // the grids are of images; a point cloud's plots are the metrics' (samples/iter-*-scatter.png)
                throw new IllegalArgumentException("run '" + runId + "' generates points of shape "
                        + r.data().shape() + ", not images; sample, interpolation and arithmetic grids are for image "
                        + "runs (its samples are plotted in samples/iter-*-scatter.png when the mixture metric runs)");
            }
            long s = seed != null ? seed : Seeds.mix(r.spec().settings().seed(), Seeds.FIXED_LATENT);
            Path written = what.apply(new LatentExplorer(r.model(), new RunFolder(r.dir()).explorations()), s);
            LOG.info("[{}] wrote {}", runId, written.toAbsolutePath());
            return written.toAbsolutePath().toString();
        } catch (IOException e) {
            throw new IllegalArgumentException("run '" + runId + "': " + e.getMessage(), e);
        }
    }

    /** Metrics on the run's checkpoint (see {@link Evaluation#evaluate}); returns the readable summary. */
    public String evaluate(String runId, Map<String, String> options) {
        try (Evaluation.Restored r = restored(runId)) {
            String summary = Evaluation.evaluate(r, options, catalog);
            LOG.info("[{}] evaluated: {}", runId, lastLine(summary));
            return summary;
        } catch (IOException e) {
            throw new IllegalArgumentException("run '" + runId + "': " + e.getMessage(), e);
        }
    }

    /** Roth et al. 2017's cross-test of two runs (see {@link Evaluation#crossTest}); returns the tables. */
    public String crossTest(String runA, String runB, Map<String, String> options) {
        try (Evaluation.Restored a = restored(runA); Evaluation.Restored b = restored(runB)) {
            String tables = Evaluation.crossTest(a, b, options);
            LOG.info("[{}] cross-tested with {}: {}", runA, runB, lastLine(tables));
            return tables;
        } catch (IOException e) {
            throw new IllegalArgumentException("crosstest " + runA + " " + runB + ": " + e.getMessage(), e);
        }
    }

    private static String lastLine(String text) {
        return text.substring(text.lastIndexOf('\n') + 1);
    }

    /**
     * A run's generator and critic restored from its latest checkpoint into arrays of their own (no training graph
     * or optimizer state); the training is not touched.
     */
    private Evaluation.Restored restored(String runId) {
        RunSpec spec = specs.apply(runId);
        Path out = Path.of(spec.settings().outputDir());
        Path file = new RunFolder(out).checkpoint();
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("run '" + runId + "' has no checkpoint yet (" + file
                    + "); expected one: pause the run, or wait for its checkpointInterval");
        }
        try {
            DataSource data = spec.datasetComponent().open(spec.dataset().options());
            Checkpoint c = Checkpoint.readPlayers(file);
            Players players = Players.restore(spec, data.shape(), data.classes(), c.arrays());
            return new Evaluation.Restored(spec, players, data, c.iteration(), out);
        } catch (IOException e) {
            throw new IllegalArgumentException("run '" + runId + "': " + e.getMessage(), e);
        }
    }
}
