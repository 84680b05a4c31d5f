package org.jgan.engine.internal.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.api.Batch;
import org.jgan.api.DataSource;
import org.jgan.api.Metric;
import org.jgan.api.MetricResult;
import org.jgan.api.Options;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Json;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.graph.Seeds;
import org.jgan.engine.internal.memory.ProcessMemory;
import org.jgan.engine.internal.model.Players;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Scoring of trained generators outside training: metrics on a run's latest checkpoint, and the cross-testing
 * protocol of Roth et al. 2017 (section 5.5) for two runs. Both write a JSON and a readable text file under the
 * run's {@code eval/} folder and return the text.
 */
public final class Evaluation {

    /**
     * A run's players restored from its latest checkpoint ({@link Players#restore}), with its data and output
     * folder.
     */
    public record Restored(RunSpec spec, Players model, DataSource data, long iteration, Path dir)
            implements AutoCloseable {

        /** Frees the restored arrays (evaluations, samples and cross-tests restore them for each call). */
        @Override
        public void close() {
            model.close();
            ProcessMemory.reclaim();
        }
    }

    private Evaluation() {
    }

    /** The run's metrics that can score its data; with a metric list (not auto), one that cannot is an error. */
    public static List<Map.Entry<Metric, RunSpec.Choice>> chooseMetrics(RunSpec spec, DataSource data) {
        boolean auto = spec.settings().metrics().trim().equals("auto");
        List<Map.Entry<Metric, RunSpec.Choice>> chosen = new java.util.ArrayList<>();
        for (RunSpec.Choice c : spec.metrics()) {
            Metric m = (Metric) c.entry().component();
            if (m.supports(data)) {
                chosen.add(Map.entry(m, c));
            } else if (!auto) {
                throw new IllegalArgumentException("metric '" + c.name() + "' cannot score dataset '"
                        + spec.dataset().name() + "'; choose another metric or metrics=auto");
            }
        }
        return chosen;
    }

    /**
     * Scores {@code r} with the metrics {@code options} names ({@code metrics}, {@code metric.NAME.OPTION}, {@code
     * seed}; metric options not given take the metric's defaults, not the run's).
     */
    public static String evaluate(Restored r, Map<String, String> options, ComponentCatalog catalog) throws IOException {
        Map<String, String> raw = new LinkedHashMap<>(r.spec().resolved());
        raw.keySet().removeIf(k -> k.startsWith("metric."));
        raw.put("metrics", options.getOrDefault("metrics", "auto"));
        long seed = Seeds.mix(r.spec().settings().seed(), Seeds.EVAL);
        for (Map.Entry<String, String> e : options.entrySet()) {
            if (e.getKey().startsWith("metric.")) {
                raw.put(e.getKey(), e.getValue());
            } else if (e.getKey().equals("seed")) {
                seed = parseSeed(e.getValue());
            } else if (!e.getKey().equals("metrics")) {
                throw new IllegalArgumentException("evaluate: unknown option '" + e.getKey()
                        + "'; expected metrics=..., seed=N or metric.NAME.OPTION=value");
            }
        }
        RunSpec withMetrics = RunSpec.parse(raw, catalog, r.spec().name());
        List<Map.Entry<Metric, RunSpec.Choice>> chosen = chooseMetrics(withMetrics, r.data());
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("evaluate: no installed metric can score run '" + r.spec().name()
                    + "' (dataset '" + r.spec().dataset().name() + "', shape " + r.data().shape() + "); installed: "
                    + String.join(", ", catalog.list(Kind.METRIC).stream().map(ComponentCatalog.Entry::name).toList()));
        }
        Path dir = new RunFolder(r.dir()).evaluations();
        Files.createDirectories(dir);
        String prefix = String.format(Locale.ROOT, "iter-%07d", r.iteration());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("run", r.spec().name());
        json.put("iteration", r.iteration());
        json.put("seed", seed);
        Map<String, Object> all = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "evaluation of run %s at iteration %d (%s), seed %d%n", r.spec().name(), r.iteration(),
                r.spec().keepsAverage() ? "EMA weights" : "weights", seed));
        for (Map.Entry<Metric, RunSpec.Choice> e : chosen) {
            MetricResult result = e.getKey().evaluate(r.model(), r.data(), dir, prefix + "-", seed,
                    e.getValue().options());
            Map<String, Double> scores = new TreeMap<>(result.scores());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("options", e.getValue().options().asMap());
            m.put("scores", scores);
            m.put("files", result.files().stream().map(Path::toString).toList());
            all.put(e.getValue().name(), m);
            text.append("  ").append(e.getValue().name()).append(':');
            scores.forEach((k, v) -> text.append(String.format(Locale.ROOT, "  %s %.4g", k, v)));
            text.append('\n');
        }
        json.put("metrics", all);
        return write(dir, "evaluation-" + prefix, json, text);
    }

    /** Roth et al. 2017, section 5.5, on {@code samples} held-out points and as many samples of each generator. */
    public static String crossTest(Restored a, Restored b, Map<String, String> options) throws IOException {
        int samples = 10_000;
        long seed = Seeds.mix(a.spec().settings().seed(), Seeds.EVAL);
        for (Map.Entry<String, String> e : options.entrySet()) {
            switch (e.getKey()) {
                case "samples" -> samples = parseCount(e.getValue());
                case "seed" -> seed = parseSeed(e.getValue());
                default -> throw new IllegalArgumentException("crosstest: unknown option '" + e.getKey()
                        + "'; expected samples=N or seed=N");
            }
        }
        if (!a.data().shape().equals(b.data().shape()) || a.model().classes() != b.model().classes()) {
            throw new IllegalArgumentException("crosstest: runs '" + a.spec().name() + "' (" + a.data().shape() + ", "
                    + a.model().classes() + " classes) and '" + b.spec().name() + "' (" + b.data().shape() + ", "
                    + b.model().classes() + " classes) model different data; expected two runs on the same dataset");
        }
        HeldOut test = heldOut(a);
        int n = (int) Math.min(samples, test.data().size());
        Batch real = test.data().size() == Long.MAX_VALUE ? test.data().sample(n, seed) : test.data().range(0, n);
        int classes = a.model().classes();
        INDArray fakeLabels = classes > 0 ? Players.cyclingLabels(0, n, classes) : null;
        INDArray fakeA = a.model().sample(n, Seeds.mix(seed, 1));
        INDArray fakeB = b.model().sample(n, Seeds.mix(seed, 2));
        Confusion ca = Confusion.of(a.model().discriminate(real.data(), real.labels()),
                a.model().discriminate(fakeA, fakeLabels));
        Confusion cb = Confusion.of(b.model().discriminate(real.data(), real.labels()),
                b.model().discriminate(fakeB, fakeLabels));
        double crossA = Confusion.positiveFraction(a.model().discriminate(fakeB, fakeLabels));
        double crossB = Confusion.positiveFraction(b.model().discriminate(fakeA, fakeLabels));

        String nameA = a.spec().name();
        String nameB = b.spec().name();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("protocol", "Roth et al. 2017, section 5.5");
        json.put("runA", Map.of("name", nameA, "iteration", a.iteration()));
        json.put("runB", Map.of("name", nameB, "iteration", b.iteration()));
        json.put("heldOut", test.description());
        json.put("samples", n);
        json.put("seed", seed);
        json.put("confusionA", ca.asMap());
        json.put("confusionB", cb.asMap());
        json.put("crossA", Map.of("discriminator", nameA, "samplesOf", nameB, "fp", crossA));
        json.put("crossB", Map.of("discriminator", nameB, "samplesOf", nameA, "fp", crossB));
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "cross-testing (Roth et al. 2017, sec. 5.5): A = %s (iteration %d), "
                + "B = %s (iteration %d)%n", nameA, a.iteration(), nameB, b.iteration()));
        t.append(String.format(Locale.ROOT, "%d held-out images (%s) against %d samples of each generator, seed %d;%n"
                + "a point is predicted real when D(x) > 0 (probability > 0.5). Positive = real data.%n%n", n,
                test.description(), n, seed));
        ca.appendTable(t, "A", nameA);
        cb.appendTable(t, "B", nameB);
        t.append(String.format(Locale.ROOT, "cross-testing:%n  D of A on samples of B: FP %.4f%n"
                + "  D of B on samples of A: FP %.4f%n", crossA, crossB));
        t.append("A discriminator with a lower cross-testing FP tells the other generator's samples from data "
                + "better (the paper's criterion).\n");
        String file = "crosstest-" + nameA + "-vs-" + nameB;
        return write(new RunFolder(a.dir()).evaluations(), file, json, t);
    }

    /** The data a confusion matrix is made of: the dataset's test split where it has one. */
    record HeldOut(DataSource data, String description) {
    }

    static HeldOut heldOut(Restored r) {
        RunSpec.Choice d = r.spec().dataset();
        Map<String, Object> opts = d.options().asMap();
        if (!opts.containsKey("split")) {
            return new HeldOut(r.data(), "dataset '" + d.name() + "' has no test split: training data");
        }
        Map<String, String> given = new LinkedHashMap<>();
        opts.forEach((k, v) -> given.put(k, String.valueOf(v)));
        given.put("split", "test");
        Options o = Options.resolve("dataset '" + d.name() + "'", d.entry().component().options(), given);
        return new HeldOut(r.spec().datasetComponent().open(o), "dataset '" + d.name() + "' split=test");
    }

    /** Counts of D's decisions on held-out data (positives) and generated samples (negatives). */
    public record Confusion(int tp, int fn, int fp, int tn) {
        public static Confusion of(double[] realLogits, double[] fakeLogits) {
            int tp = 0;
            for (double l : realLogits) {
                tp += l > 0 ? 1 : 0;
            }
            int fp = 0;
            for (double l : fakeLogits) {
                fp += l > 0 ? 1 : 0;
            }
            return new Confusion(tp, realLogits.length - tp, fp, fakeLogits.length - fp);
        }

        public static double positiveFraction(double[] logits) {
            return (double) of(new double[0], logits).fp() / logits.length;
        }

        public double fpRate() {
            return (double) fp / (fp + tn);
        }

        public double fnRate() {
            return (double) fn / (tp + fn);
        }

        Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tp", tp);
            m.put("fn", fn);
            m.put("fp", fp);
            m.put("tn", tn);
            m.put("fpRate", fpRate());
            m.put("fnRate", fnRate());
            return m;
        }

        void appendTable(StringBuilder t, String label, String name) {
            t.append(String.format(Locale.ROOT, "%s (%s), D on its own generator:%n", label, name));
            t.append(String.format(Locale.ROOT, "  %-22s %14s %14s%n", "", "predicted real", "predicted fake"));
            t.append(String.format(Locale.ROOT, "  %-22s %14d %14d   FN %.4f%n", "data (positive)", tp, fn, fnRate()));
            t.append(String.format(Locale.ROOT, "  %-22s %14d %14d   FP %.4f%n%n", "samples (negative)", fp, tn, fpRate()));
        }
    }

    private static String write(Path dir, String base, Map<String, Object> json, StringBuilder text) throws IOException {
        Files.createDirectories(dir);
        Path j = dir.resolve(base + ".json");
        Path t = dir.resolve(base + ".txt");
        Files.writeString(j, Json.write(json));
        Files.writeString(t, text);
        return text + "wrote " + j.toAbsolutePath() + " and " + t.getFileName();
    }

    private static long parseSeed(String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seed '" + v + "' is not an integer; expected seed=N");
        }
    }

    private static int parseCount(String v) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n <= 1_000_000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("samples '" + v + "' is invalid; expected an integer in [1, 1000000]");
    }
}
