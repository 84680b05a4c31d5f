package org.jgan.sweep.internal;

import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The scores of a sweep per cell: for each score, mean ± sample standard deviation over the cell's completed runs
 * (its seeds), with n. Failed runs are listed, not averaged; runs not finished are counted. Written as Markdown
 * (one row per cell, or with {@code table.columns} one row per cell of the other axes and a column group per level
 * of that axis), CSV (one line per cell and score) and JSON (every value seed by seed).
 */
public final class SweepTable {

    /** A cell's scores: score name to the values of its completed runs, in seed order. */
    record Cell(String cell, Map<String, String> labels, List<String> runs, Map<String, List<Double>> values,
            List<Double> bySeed) {
    }

    private final SweepSpec spec;
    private final List<TableLayout.Metric> columns;
    private final List<String> metrics;
    private final Map<String, Cell> cells = new LinkedHashMap<>();
    private final Map<String, String> failed = new LinkedHashMap<>();
    private final Map<RunState.Phase, Integer> unfinished = new TreeMap<>();
    private final CrossTestTable crossTests;

    private SweepTable(SweepSpec spec, List<TableLayout.Metric> columns) {
        this.spec = spec;
        this.columns = columns;
        this.metrics = columns.stream().map(TableLayout.Metric::score).toList();
        this.crossTests = new CrossTestTable(spec);
    }

    /** Reads the runs of {@code runs} from their folders. */
    public static SweepTable of(SweepSpec spec, List<SweepRun> runs, SweepFolder folder) {
        return of(spec, runs, CrossPair.of(spec, runs), folder);
    }

    /** Reads the runs of {@code runs} and the results of the cross-tests {@code pairs} from their folders. */
    public static SweepTable of(SweepSpec spec, List<SweepRun> runs, List<CrossPair> pairs, SweepFolder folder) {
        Map<String, Map<String, Double>> scores = new LinkedHashMap<>();
        Map<String, RunState> states = new LinkedHashMap<>();
        for (SweepRun r : runs) {
            RunState s = RunState.of(folder.run(r.name()));
            states.put(r.name(), s);
            if (s.phase() == RunState.Phase.COMPLETED) {
                Map<String, Double> m = RunState.scores(folder.run(r.name()));
                m.putAll(RunState.summaries(folder.run(r.name())));
                m.putAll(RunState.scoresAt(folder.run(r.name()), spec.table().at()));
                scores.put(r.name(), m);
            }
        }
        List<TableLayout.Metric> columns = spec.table().metrics();
        if (!spec.table().at().isEmpty()) {
            List<TableLayout.Metric> at = new ArrayList<>();
            // the logs' summaries once, before the scores at each iteration
            columns.stream().filter(m -> RunState.isSummary(m.score())).forEach(at::add);
            for (long i : spec.table().at()) {
                columns.stream().filter(m -> !RunState.isSummary(m.score())).forEach(m -> at.add(new TableLayout.Metric(
                        RunState.at(m.score(), i), "it " + i + " " + m.label(), m.scale(), m.digits())));
            }
            columns = at;
        }
        if (columns.isEmpty()) {
            TreeSet<String> all = new TreeSet<>();
            // the scores themselves; the logs' summaries (run.iteration, score@min, score@max) only when asked for
            scores.values().forEach(m -> m.keySet().stream()
                    .filter(k -> !RunState.isSummary(k) && !k.contains("@")).forEach(all::add));
            columns = all.stream().map(m -> new TableLayout.Metric(m, m, 1, -1)).toList();
        }
        SweepTable t = new SweepTable(spec, columns);
        List<String> metrics = t.metrics;
        for (SweepRun r : runs) {
            Cell c = t.cells.computeIfAbsent(r.cell(), k -> new Cell(k, r.labels(), new ArrayList<>(),
                    new LinkedHashMap<>(), new ArrayList<>()));
            RunState s = states.get(r.name());
            String perSeed = spec.table().perSeed();
            c.bySeed().add(perSeed == null || s.phase() != RunState.Phase.COMPLETED ? null
                    : scores.get(r.name()).get(perSeed));
            switch (s.phase()) {
                case COMPLETED -> {
                    c.runs().add(r.name());
                    for (String m : metrics) {
                        Double v = scores.get(r.name()).get(m);
                        c.values().computeIfAbsent(m, k -> new ArrayList<>()).add(v == null ? Double.NaN : v);
                    }
                }
                case FAILED -> t.failed.put(r.name(), s.error());
                default -> t.unfinished.merge(s.phase(), 1, Integer::sum);
            }
        }
        pairs.forEach(p -> t.crossTests.add(p, folder));
        return t;
    }

    /**
     * Mean ± sample standard deviation of the finite values as the metric shows them; the value alone when there is
     * one; "-" when there are none.
     */
    static String meanSd(List<Double> values, TableLayout.Metric m) {
        double[] v = finite(values);
        if (v.length == 0) {
            return "-";
        }
        if (v.length == 1) {
            return format(v[0] * m.scale(), m.digits());
        }
        double[] ms = stats(v);
        return format(ms[0] * m.scale(), m.digits()) + " ± " + format(ms[1] * m.scale(), m.digits());
    }

    /** {mean, sample standard deviation (0 for one value)}. */
    static double[] stats(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return new double[] {mean, v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0};
    }

    private static String format(double x, int digits) {
        int d = digits >= 0 ? digits : Math.abs(x) >= 100 ? 1 : 3;
        return String.format(Locale.ROOT, "%." + d + "f", x);
    }

    /** The Markdown table, then the failed runs and a count of those not finished. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        String pivot = spec.table().columns();
        List<String> axes = spec.axes().stream().map(Axis::name).filter(a -> !a.equals(pivot)).toList();
        List<String> groups = pivot == null ? java.util.Collections.singletonList(null)
                : spec.axes().stream().filter(a -> a.name().equals(pivot)).findFirst().orElseThrow().levels().stream()
                        .map(Axis.Level::label).toList();
        List<String> header = new ArrayList<>(axes);
        for (String g : groups) {
            header.add(g == null ? "n" : g + " n");
            columns.forEach(m -> header.add(g == null ? m.label() : g + " " + m.label()));
        }
        row(sb, header);
        row(sb, header.stream().map(h -> "---").toList());
        Map<List<String>, Map<String, Cell>> rows = new LinkedHashMap<>();
        for (Cell c : cells.values()) {
            List<String> key = axes.stream().map(a -> c.labels().get(a)).toList();
            rows.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(pivot == null ? null : c.labels().get(pivot), c);
        }
        for (Map.Entry<List<String>, Map<String, Cell>> r : rows.entrySet()) {
            List<String> fields = new ArrayList<>(r.getKey());
            for (String g : groups) {
                Cell c = r.getValue().get(g);
                fields.add(c == null ? "0" : Integer.toString(c.runs().size()));
                columns.forEach(m -> fields.add(c == null ? "-" : meanSd(c.values().get(m.score()), m)));
            }
            row(sb, fields);
        }
        spec.table().rows().forEach(r -> sb.append(r).append('\n'));
        sb.append('\n').append("n: completed runs (seeds) of the cell; mean ± sample standard deviation over them (the "
                + "value alone for one).\n");
        if (spec.table().perSeed() != null) {
            perSeed(sb, spec.table().perSeed(), axes, groups, rows);
        }
        crossTests.markdown(sb);
        if (!failed.isEmpty()) {
            sb.append("\nFailed runs (not averaged):\n\n");
            failed.forEach((n, e) -> sb.append("- ").append(n).append(": ").append(e).append('\n'));
        }
        if (!unfinished.isEmpty()) {
            sb.append("\nNot finished: ");
            List<String> parts = new ArrayList<>();
            unfinished.forEach((p, n) -> parts.add(n + " " + p.name().toLowerCase(Locale.ROOT)));
            sb.append(String.join(", ", parts)).append(".\n");
        }
        return sb.toString();
    }

    /** The second table: a score seed by seed ("-" for a run not completed), cells laid out as in the first. */
    private void perSeed(StringBuilder sb, String score, List<String> axes, List<String> groups,
            Map<List<String>, Map<String, Cell>> rows) {
        sb.append('\n').append(score).append(", seed by seed (").append(spec.seeds().isEmpty() ? "one run"
                : "seeds " + spec.seeds().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(" ")))
                .append("; -: not completed):\n\n");
        List<String> header = new ArrayList<>(axes);
        groups.forEach(g -> header.add(g == null ? score : g));
        row(sb, header);
        row(sb, header.stream().map(h -> "---").toList());
        for (Map.Entry<List<String>, Map<String, Cell>> r : rows.entrySet()) {
            List<String> fields = new ArrayList<>(r.getKey());
            for (String g : groups) {
                Cell c = r.getValue().get(g);
                fields.add(c == null ? "-" : String.join(" ", c.bySeed().stream().map(v -> v == null ? "-"
                        : format(v, Math.rint(v) == v ? 0 : 3)).toList()));
            }
            row(sb, fields);
        }
    }

    /** One line per cell and score: the cell's labels, the score, n, mean and standard deviation. */
    public String csv() {
        StringBuilder sb = new StringBuilder();
        List<String> axes = spec.axes().stream().map(Axis::name).toList();
        List<String> header = new ArrayList<>(List.of("cell"));
        header.addAll(axes);
        header.addAll(List.of("metric", "n", "mean", "sd"));
        sb.append(String.join(",", header.stream().map(SweepTable::csvField).toList())).append('\n');
        for (Cell c : cells.values()) {
            for (String m : metrics) {
                double[] v = finite(c.values().get(m));
                List<String> f = new ArrayList<>(List.of(c.cell()));
                axes.forEach(a -> f.add(c.labels().get(a)));
                f.add(m);
                f.add(Integer.toString(v.length));
                double[] ms = v.length == 0 ? new double[] {Double.NaN, Double.NaN} : stats(v);
                f.add(v.length == 0 ? "" : Double.toString(ms[0]));
                f.add(v.length == 0 ? "" : Double.toString(ms[1]));
                sb.append(String.join(",", f.stream().map(SweepTable::csvField).toList())).append('\n');
            }
        }
        return sb.toString();
    }

    /** Every cell with its runs and each score's values seed by seed, mean, sd and n; the failed runs. */
    public String json() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("sweep", spec.name());
        List<Object> out = new ArrayList<>();
        for (Cell c : cells.values()) {
            Map<String, Object> cell = new LinkedHashMap<>();
            cell.put("cell", c.cell());
            cell.put("labels", c.labels());
            cell.put("runs", c.runs());
            Map<String, Object> scores = new LinkedHashMap<>();
            for (String m : metrics) {
                double[] v = finite(c.values().get(m));
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("n", v.length);
                if (v.length > 0) {
                    double[] ms = stats(v);
                    s.put("mean", ms[0]);
                    s.put("sd", ms[1]);
                }
                s.put("values", v);
                scores.put(m, s);
            }
            cell.put("scores", scores);
            out.add(cell);
        }
        doc.put("cells", out);
        if (!crossTests.isEmpty()) {
            doc.put("crossTests", crossTests.json());
        }
        doc.put("failed", failed);
        Map<String, Integer> notFinished = new LinkedHashMap<>();
        unfinished.forEach((p, n) -> notFinished.put(p.name().toLowerCase(Locale.ROOT), n));
        doc.put("unfinished", notFinished);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues()
                .create().toJson(doc) + "\n";
    }

    private static double[] finite(List<Double> values) {
        return values == null ? new double[0]
                : values.stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).toArray();
    }

    static void row(StringBuilder sb, List<String> fields) {
        sb.append("| ").append(String.join(" | ", fields)).append(" |\n");
    }

    private static String csvField(String s) {
        return s == null ? "" : s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
