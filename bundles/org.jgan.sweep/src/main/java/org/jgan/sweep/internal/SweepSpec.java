package org.jgan.sweep.internal;

import static org.jgan.sweep.internal.SpecJson.fail;
import static org.jgan.sweep.internal.SpecJson.integer;
import static org.jgan.sweep.internal.SpecJson.reserved;
import static org.jgan.sweep.internal.SpecJson.sorted;
import static org.jgan.sweep.internal.SpecJson.string;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A sweep specification (a JSON file; docs/sweeps.md): a base preset and settings, a grid of axes, seeds, the
 * evaluation to run on each finished run and how to tabulate the scores. Parsing refuses anything it does not know
 * with one line naming the key; the settings themselves are checked against the installed components later, by the
 * engine's validation, before anything runs.
 *
 * <pre>
 * {"name": "mixtures", "preset": "default", "settings": {"iterations": 5000, "metrics": "mixture"},
 *  "grid": {"data": {"ring8": {"preset": "default"}, "grid25": {"preset": "grid25"}},
 *           "regularizer.roth.gamma": [0.01, 0.1],
 *           "lrG,lrD": [[1e-4, 1e-4], [2e-4, 4e-4]]},
 *  "seeds": 10, "evaluate": {"metrics": "mixture"},
 *  "table": {"metrics": ["mixture.modes"], "columns": "data", "results": "docs/results/x.md", "title": "..."}}
 * </pre>
 *
 * An axis is one of: a setting's key with a list of values; several keys joined by commas with a list of value
 * lists (zipped: they advance together); a label with an object of named alternatives, each a group of settings
 * (a {@code preset} among them chooses the cell's preset).
 *
 * @param seeds the seeds, or empty when the runs take the seed of their settings (no {@code -sN} in their names)
 */
public record SweepSpec(String name, String description, String preset, Map<String, String> settings, List<Axis> axes,
        List<Long> seeds, Map<String, String> evaluate, TableLayout table, CrossTest crossTest) {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Set<String> KEYS = Set.of("name", "description", "preset", "settings", "grid", "seeds",
            "evaluate", "table", "crosstest");
    /** Settings the sweep sets itself on every run. */
    static final Set<String> RESERVED = Set.of("name", "seed", "outputDir");

    /**
     * Parses a specification.
     *
     * @param source names the file in error messages
     * @throws IllegalArgumentException with one line naming the file and the key at fault
     */
    public static SweepSpec parse(String json, String source) {
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw fail(source, "expected a JSON object at the top");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw fail(source, "not valid JSON: " + cause.getMessage());
        }
        for (String k : root.keySet()) {
            if (!KEYS.contains(k)) {
                throw fail(source, "unknown key '" + k + "'; expected " + String.join(", ", sorted(KEYS)));
            }
        }
        String name = string(root, "name", source, null);
        if (name == null || !NAME.matcher(name).matches()) {
            throw fail(source, "'name' is " + (name == null ? "missing" : "'" + name + "'")
                    + "; expected letters, digits, '.', '_' or '-' (it names the sweep's folder and its runs)");
        }
        String preset = string(root, "preset", source, null);
        Map<String, String> settings = SpecJson.settings(root.get("settings"), source, "settings");
        for (String k : settings.keySet()) {
            reserved(k, source, "settings");
        }
        if (settings.containsKey("preset")) {
            throw fail(source, "'settings' sets 'preset'; expected it at the top (\"preset\": \"default\") or on a grid axis");
        }
        List<Axis> axes = Axis.grid(root.get("grid"), source);
        return new SweepSpec(name, string(root, "description", source, ""), preset, settings, axes,
                seeds(root.get("seeds"), source), root.has("evaluate") ? SpecJson.settings(root.get("evaluate"), source, "evaluate")
                        : null, TableLayout.parse(root.get("table"), source, axes),
                CrossTest.parse(root.get("crosstest"), source, axes));
    }

    private static List<Long> seeds(JsonElement seeds, String source) {
        List<Long> out = new ArrayList<>();
        if (seeds == null) {
            return out;
        }
        String expected = "'seeds' must be a count N (seeds 1 to N) or a list of integers";
        if (seeds.isJsonPrimitive() && seeds.getAsJsonPrimitive().isNumber()) {
            long n = integer(seeds, source, expected);
            if (n < 1 || n > 10_000) {
                throw fail(source, "'seeds' is " + n + "; expected a count from 1 to 10000");
            }
            for (long s = 1; s <= n; s++) {
                out.add(s);
            }
        } else if (seeds.isJsonArray()) {
            if (seeds.getAsJsonArray().isEmpty()) {
                throw fail(source, "'seeds' is an empty list; expected at least one seed, or no \"seeds\" at all (the "
                        + "runs then keep the preset's seed)");
            }
            for (JsonElement s : seeds.getAsJsonArray()) {
                long v = integer(s, source, expected);
                if (out.contains(v)) {
                    throw fail(source, "'seeds' lists " + v + " twice; expected each seed once");
                }
                out.add(v);
            }
        } else {
            throw fail(source, expected);
        }
        return List.copyOf(out);
    }

}
