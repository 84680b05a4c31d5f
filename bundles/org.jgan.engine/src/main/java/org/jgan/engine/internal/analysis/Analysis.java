package org.jgan.engine.internal.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jgan.api.DataSource;
import org.jgan.api.GanComponent;
import org.jgan.api.Options;
import org.jgan.api.SamplingOptions;
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

    /**
     * Samples with sampling-time controls (see {@code TrainingService#sample(String, Map)}): {@code count},
     * {@code seed}, {@code class}, and the sampling options the run's architecture declares ({@link SamplingOptions}).
     */
    public String sample(String runId, Map<String, String> options) {
        Controls c = Controls.of("sample", runId, options, Set.of("count", "seed", "class"));
        int count = c.integer("count", 100);
        int classIndex = c.index("class");
        return explore(runId, c.seed(), c.architecture(), (x, s) -> x.sample(count, s, classIndex));
    }

    /** Style mixing (see {@link LatentExplorer#mix}); returns the file written. */
    public String mix(String runId, Map<String, String> options) {
        Controls c = Controls.of("mix", runId, options, Set.of("rows", "columns", "layer", "seed"));
        List<Integer> rows = c.indices("rows");
        List<Integer> columns = c.indices("columns");
        int layer = c.index("layer");
        return explore(runId, c.seed(), c.architecture(), (x, s) -> x.mix(rows, columns, layer, s));
    }

    /** Latent code traversal (see {@link LatentExplorer#traverse}); returns the file written. */
    public String traverse(String runId, Map<String, String> options) {
        Controls c = Controls.of("traverse", runId, options, Set.of("rows", "steps", "range", "seed"));
        int rows = c.integer("rows", 4);
        int steps = c.integer("steps", 10);
        double range = c.number("range", 2);
        return explore(runId, c.seed(), c.architecture(), (x, s) -> x.traverse(rows, steps, range, s));
    }

    /**
     * A command's options: its own keys, and the rest as options of the run's architecture (with or without the
     * {@code architecture.} prefix), which {@link #restored(String, Map)} checks.
     */
    private record Controls(String command, Map<String, String> own, Map<String, String> architecture) {
        static Controls of(String command, String runId, Map<String, String> options, Set<String> keys) {
            Map<String, String> own = new HashMap<>();
            Map<String, String> architecture = new LinkedHashMap<>();
            options.forEach((k, v) -> {
                if (keys.contains(k)) {
                    own.put(k, v);
                } else {
                    architecture.put(k.startsWith("architecture.") ? k.substring("architecture.".length()) : k, v);
                }
            });
            return new Controls(command + " on run '" + runId + "'", own, architecture);
        }

        int integer(String key, int absent) {
            return parsed(key, absent, Integer::parseInt, "an integer");
        }

        double number(String key, double absent) {
            return parsed(key, absent, Double::parseDouble, "a number");
        }

        Long seed() {
            return parsed("seed", null, Long::parseLong, "an integer");
        }

        /** A class or layer number: -1 when not given, refused when negative. */
        int index(String key) {
            Integer v = parsed(key, null, Integer::parseInt, "an integer");
            if (v != null && v < 0) {
                throw new IllegalArgumentException(command + ": " + key + " is " + v + "; expected a value >= 0");
            }
            return v == null ? -1 : v;
        }

        /** The option's value parsed, {@code absent} when it is not given; one line naming it when it is invalid. */
        private <T> T parsed(String key, T absent, java.util.function.Function<String, T> parse, String expected) {
            String v = own.get(key);
            if (v == null || v.isBlank()) {
                return absent;
            }
            try {
                return parse.apply(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(command + ": " + key + " is '" + v + "'; expected " + expected);
            }
        }

        /** Comma-separated sample indices, e.g. {@code 3,7,12}. */
        List<Integer> indices(String key) {
            String v = own.get(key);
            if (v == null || !v.trim().matches("\\d+( *, *\\d+)*")) {
                throw new IllegalArgumentException(command + ": " + key + " is " + (v == null ? "missing" : "'" + v
                        + "'") + "; expected comma-separated sample indices, e.g. " + key + "=3,7,12");
            }
            List<Integer> out = new ArrayList<>();
            for (String part : v.split(",")) {
                try {
                    out.add(Integer.parseInt(part.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(command + ": " + key + " index '" + part.trim()
                            + "' is too large; expected 0..1023");
                }
            }
            return out;
        }
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
        return explore(runId, seed, Map.of(), what);
    }

    /** As {@link #explore(String, Long, Exploration)}, the generator built with the given architecture options. */
    private String explore(String runId, Long seed, Map<String, String> architecture, Exploration what) {
        try (Evaluation.Restored r = restored(runId, architecture)) {
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
        return restored(runId, Map.of());
    }

    /**
     * As {@link #restored(String)}, with some of the architecture's options changed for this use (sampling-time
     * options such as StyleGAN's {@code psi}): refused, naming the option, when the architecture does not declare it
     * ({@link SamplingOptions}) or the value is invalid.
     */
    private Evaluation.Restored restored(String runId, Map<String, String> architecture) {
        RunSpec spec = specs.apply(runId);
        if (architecture.isEmpty()) {
            return restore(runId, spec);
        }
        RunSpec.Choice a = spec.architecture();
        GanComponent component = (GanComponent) a.entry().component();
        Set<String> allowed = component instanceof SamplingOptions o ? o.samplingOptions() : Set.of();
        for (String option : architecture.keySet()) {
            if (!allowed.contains(option)) {
                String expected = allowed.isEmpty() ? "none (the architecture has no sampling-time options)"
                        : "one of " + new java.util.TreeSet<>(allowed);
                throw new IllegalArgumentException("run '" + runId + "', architecture '" + a.name() + "': '" + option
                        + "' is not an option of its sampling graphs; expected " + expected
                        + " besides the command's own");
            }
        }
        Map<String, String> given = new LinkedHashMap<>();
        a.options().asMap().forEach((k, v) -> given.put(k, String.valueOf(v)));
        given.putAll(architecture);
        Options options = Options.resolve("run '" + runId + "', architecture '" + a.name() + "'",
                component.options(), given);
        RunSpec changed = new RunSpec(spec.name(), spec.settings(), new RunSpec.Choice(a.entry(), options),
                spec.loss(), spec.dataset(), spec.regularizers(), spec.metrics(), spec.schedules(), spec.model());
        return restore(runId, changed);
    }

    private Evaluation.Restored restore(String runId, RunSpec spec) {
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
