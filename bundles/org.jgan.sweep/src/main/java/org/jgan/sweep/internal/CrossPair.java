package org.jgan.sweep.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One cross-test of a sweep: run {@code a} against run {@code b}, equal in every label but the cross-test's axis and
 * in seed. Its result is {@code eval/crosstest-A-vs-B.json} in A's folder.
 *
 * @param index its line in {@code crosstests.tsv}, from 0
 */
public record CrossPair(int index, SweepRun a, SweepRun b) {

    /** The cross-tests a spec asks for, in the order of the runs of their first member. */
    public static List<CrossPair> of(SweepSpec spec, List<SweepRun> runs) {
        List<CrossPair> out = new ArrayList<>();
        if (spec.crossTest() == null) {
            return out;
        }
        String axis = spec.crossTest().axis();
        Map<String, SweepRun> byKey = new HashMap<>();
        runs.forEach(r -> byKey.put(key(r, axis, r.labels().get(axis)), r));
        for (SweepRun r : runs) {
            for (List<String> pair : spec.crossTest().pairs()) {
                if (r.labels().get(axis).equals(pair.get(0))) {
                    SweepRun b = byKey.get(key(r, axis, pair.get(1)));
                    out.add(new CrossPair(out.size(), r, b));
                }
            }
        }
        return List.copyOf(out);
    }

    /** A run's labels and seed with the axis set to {@code label}. */
    private static String key(SweepRun r, String axis, String label) {
        Map<String, String> labels = new java.util.TreeMap<>(r.labels());
        labels.put(axis, label);
        return labels + "/" + r.seed();
    }

    /** The result's JSON in A's folder. */
    public Path result(SweepFolder folder) {
        return folder.run(a.name()).resolve("eval").resolve("crosstest-" + a.name() + "-vs-" + b.name() + ".json");
    }

    /** Its line in crosstests.tsv: index, A, B. */
    public String manifestLine() {
        return index + "\t" + a.name() + "\t" + b.name();
    }
}
