package org.jgan.sweep.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The cross-tests of a sweep, a row per pair of labels (and cell of the other axes), their results seed by seed. */
final class CrossTestTable {

    private final SweepSpec spec;
    private final Map<List<String>, List<CrossTestResult>> rows = new LinkedHashMap<>();

    CrossTestTable(SweepSpec spec) {
        this.spec = spec;
    }

    /** Reads the result of {@code p} (fields null while it is not there). */
    void add(CrossPair p, SweepFolder folder) {
        rows.computeIfAbsent(row(p), k -> new ArrayList<>()).add(CrossTestResult.read(p.result(folder)));
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The labels of a cross-test's row: the other axes' labels, then A's and B's. */
    private List<String> row(CrossPair p) {
        String axis = spec.crossTest().axis();
        List<String> row = new ArrayList<>();
        spec.axes().stream().map(Axis::name).filter(a -> !a.equals(axis))
                .forEach(a -> row.add(p.a().labels().get(a)));
        row.add(p.a().labels().get(axis));
        row.add(p.b().labels().get(axis));
        return row;
    }

    /** The table: per pair (and cell of the other axes), the six fractions over the seeds done; none without pairs. */
    void markdown(StringBuilder sb) {
        if (rows.isEmpty()) {
            return;
        }
        String axis = spec.crossTest().axis();
        sb.append("\nCross-tests (Roth et al. 2017, section 5.5): FN, the share of held-out data a discriminator ")
                .append("rejects; FP, the share of a generator's samples it takes for data; n: seeds cross-tested.\n\n");
        List<String> header = new ArrayList<>(spec.axes().stream().map(Axis::name).filter(a -> !a.equals(axis))
                .toList());
        header.addAll(List.of("A (" + axis + ")", "B", "n"));
        header.addAll(CrossTestResult.HEADS);
        SweepTable.row(sb, header);
        SweepTable.row(sb, header.stream().map(h -> "---").toList());
        TableLayout.Metric fraction = new TableLayout.Metric("fp", "fp", 1, 4);
        for (Map.Entry<List<String>, List<CrossTestResult>> e : rows.entrySet()) {
            List<String> fields = new ArrayList<>(e.getKey());
            List<CrossTestResult> done = e.getValue().stream().filter(r -> r.ownA() != null).toList();
            fields.add(Integer.toString(done.size()));
            for (int i = 0; i < CrossTestResult.HEADS.size(); i++) {
                int k = i;
                fields.add(SweepTable.meanSd(done.stream().map(r -> r.values().get(k)).toList(), fraction));
            }
            SweepTable.row(sb, fields);
        }
    }

    /** Every row with the results there are. */
    List<Object> json() {
        List<Object> out = new ArrayList<>();
        rows.forEach((row, results) -> {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("row", row);
            c.put("results", results.stream().filter(r -> r.ownA() != null).toList());
            out.add(c);
        });
        return out;
    }

    /**
     * The fractions of a cross-test's result (Roth et al. 2017, section 5.5): each discriminator's false negatives
     * on held-out data, its false positives on its own generator's samples, then on the other's; null fields when
     * the result is not there.
     */
    record CrossTestResult(Double fnA, Double fnB, Double ownA, Double ownB, Double crossA, Double crossB) {
        static final List<String> HEADS = List.of("FN of D_A", "FN of D_B", "FP of D_A on G_A", "FP of D_B on G_B",
                "FP of D_A on G_B", "FP of D_B on G_A");

        static CrossTestResult read(Path file) {
            com.google.gson.JsonObject o = RunState.object(file);
            if (o == null) {
                return new CrossTestResult(null, null, null, null, null, null);
            }
            return new CrossTestResult(number(o, "confusionA", "fnRate"), number(o, "confusionB", "fnRate"),
                    number(o, "confusionA", "fpRate"), number(o, "confusionB", "fpRate"),
                    number(o, "crossA", "fp"), number(o, "crossB", "fp"));
        }

        List<Double> values() {
            return java.util.Arrays.asList(fnA, fnB, ownA, ownB, crossA, crossB);
        }

        private static Double number(com.google.gson.JsonObject o, String object, String key) {
            return o.has(object) && o.get(object).isJsonObject() && o.getAsJsonObject(object).has(key)
                    ? o.getAsJsonObject(object).get(key).getAsDouble() : null;
        }
    }
}
