package org.jgan.sweep.internal;

import static org.jgan.sweep.internal.SpecJson.fail;
import static org.jgan.sweep.internal.SpecJson.scalar;
import static org.jgan.sweep.internal.SpecJson.settings;
import static org.jgan.sweep.internal.SpecJson.string;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cross-testing (Roth et al. 2017, section 5.5) between the levels of one axis: for each pair of labels, the run
 * of the first against the run of the second in every cell of the other axes and every seed, once both have
 * completed ({@code gan:crosstest A B} with {@code options}).
 */
public record CrossTest(String axis, List<List<String>> pairs, Map<String, String> options) {

    /** {"axis": "method", "pairs": [["unreg", "roth"]], "options": {"samples": 10000}} */
    static CrossTest parse(JsonElement e, String source, List<Axis> axes) {
        if (e == null) {
            return null;
        }
        String usage = "'crosstest' must be {\"axis\": AXIS, \"pairs\": [[LABEL, LABEL], ...], \"options\": {...}}";
        if (!e.isJsonObject()) {
            throw fail(source, usage);
        }
        JsonObject o = e.getAsJsonObject();
        for (String k : o.keySet()) {
            if (!Set.of("axis", "pairs", "options").contains(k)) {
                throw fail(source, "unknown key 'crosstest." + k + "'; expected axis, options, pairs");
            }
        }
        String axis = string(o, "crosstest.axis", source, null);
        Axis a = axes.stream().filter(x -> x.name().equals(axis)).findFirst().orElseThrow(() -> fail(source,
                "'crosstest.axis' is " + (axis == null ? "missing" : "'" + axis + "'") + "; expected one of the grid's "
                        + "axes " + axes.stream().map(Axis::name).toList()));
        List<String> labels = a.levels().stream().map(Axis.Level::label).toList();
        List<List<String>> pairs = new ArrayList<>();
        if (!o.has("pairs") || !o.get("pairs").isJsonArray() || o.getAsJsonArray("pairs").isEmpty()) {
            throw fail(source, usage);
        }
        for (JsonElement p : o.getAsJsonArray("pairs")) {
            if (!p.isJsonArray() || p.getAsJsonArray().size() != 2) {
                throw fail(source, "'crosstest.pairs' holds " + p + "; expected pairs of labels of axis '" + axis + "'");
            }
            List<String> pair = new ArrayList<>();
            for (JsonElement l : p.getAsJsonArray()) {
                String label = scalar(l, source, "crosstest.pairs");
                if (!labels.contains(label)) {
                    throw fail(source, "'crosstest.pairs' names '" + label + "'; expected a label of axis '" + axis
                            + "': " + labels);
                }
                pair.add(label);
            }
            if (pair.get(0).equals(pair.get(1)) || pairs.contains(pair)) {
                throw fail(source, "'crosstest.pairs' holds " + pair + (pair.get(0).equals(pair.get(1))
                        ? "; expected two different labels" : " twice; expected each pair once"));
            }
            pairs.add(List.copyOf(pair));
        }
        return new CrossTest(axis, List.copyOf(pairs), settings(o.get("options"), source, "crosstest.options"));
    }
}
