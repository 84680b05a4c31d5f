package org.jgan.sweep.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
        List<Long> seeds, Map<String, String> evaluate, Table table, CrossTest crossTest) {

    /**
     * Cross-testing (Roth et al. 2017, section 5.5) between the levels of one axis: for each pair of labels, the run
     * of the first against the run of the second in every cell of the other axes and every seed, once both have
     * completed ({@code gan:crosstest A B} with {@code options}).
     */
    public record CrossTest(String axis, List<List<String>> pairs, Map<String, String> options) {
    }

    /** One axis of the grid: its levels in the order given. */
    public record Axis(String name, List<Level> levels) {
    }

    /** One level of an axis: the label it gives run names and the settings it sets (a preset among them). */
    public record Level(String label, Map<String, String> settings) {
    }

    /**
     * How {@code gan:sweep table} lays out the scores.
     *
     * @param metrics the scores to show; empty: every score found
     * @param columns an axis whose levels become column groups, or null for one row per cell
     * @param results a results file to write the Markdown table into (the text below its marker kept), or null
     * @param rows    Markdown rows written below the cells (e.g. published figures beside the sweep's)
     * @param perSeed a score shown seed by seed in a second table, or null
     * @param at      iterations at which to show the metrics (from each run's metrics.csv), or empty for the end
     * @param images  a folder to copy each completed run's last sample grid or scatter plot into, as RUN.png, or null
     */
    public record Table(List<Metric> metrics, String columns, String results, String title, List<String> rows,
            String perSeed, List<Long> at, String images) {
    }

    /**
     * A score in the Markdown table: its key (e.g. {@code mixture.high_quality}), the column's label, a factor the
     * values are shown multiplied by (100 for a percentage) and the decimals shown (-1: 3, or 1 from 100 up). CSV
     * and JSON keep the scores as the runs wrote them.
     */
    public record Metric(String score, String label, double scale, int digits) {
    }

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Set<String> KEYS = Set.of("name", "description", "preset", "settings", "grid", "seeds",
            "evaluate", "table", "crosstest");
    private static final Set<String> TABLE_KEYS = Set.of("metrics", "columns", "results", "title", "rows",
            "perSeed", "at", "images");
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
        Map<String, String> settings = settings(root.get("settings"), source, "settings");
        for (String k : settings.keySet()) {
            reserved(k, source, "settings");
        }
        if (settings.containsKey("preset")) {
            throw fail(source, "'settings' sets 'preset'; expected it at the top (\"preset\": \"default\") or on a grid axis");
        }
        List<Axis> axes = axes(root.get("grid"), source);
        return new SweepSpec(name, string(root, "description", source, ""), preset, settings, axes,
                seeds(root.get("seeds"), source), root.has("evaluate") ? settings(root.get("evaluate"), source, "evaluate")
                        : null, table(root.get("table"), source, axes), crossTest(root.get("crosstest"), source, axes));
    }

    /** {"axis": "method", "pairs": [["unreg", "roth"]], "options": {"samples": 10000}} */
    private static CrossTest crossTest(JsonElement e, String source, List<Axis> axes) {
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
        List<String> labels = a.levels().stream().map(Level::label).toList();
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

    private static List<Axis> axes(JsonElement grid, String source) {
        List<Axis> axes = new ArrayList<>();
        if (grid == null) {
            return axes;
        }
        if (!grid.isJsonObject()) {
            throw fail(source, "'grid' must be an object of axes, e.g. {\"lrD\": [1e-4, 2e-4]}");
        }
        for (Map.Entry<String, JsonElement> e : grid.getAsJsonObject().entrySet()) {
            String key = e.getKey();
            String where = "grid." + key;
            JsonElement v = e.getValue();
            List<Level> levels = new ArrayList<>();
            if (v.isJsonObject()) {
                for (Map.Entry<String, JsonElement> l : v.getAsJsonObject().entrySet()) {
                    Map<String, String> s = settings(l.getValue(), source, where + "." + l.getKey());
                    s.keySet().forEach(k -> reserved(k, source, where + "." + l.getKey()));
                    levels.add(new Level(label(l.getKey(), source, where), s));
                }
            } else if (v.isJsonArray() && key.contains(",")) {
                String[] keys = key.split(",", -1);
                for (String k : keys) {
                    if (k.isBlank()) {
                        throw fail(source, "'" + where + "' has an empty setting name; expected keys joined by commas");
                    }
                    reserved(k.trim(), source, where);
                }
                for (JsonElement row : v.getAsJsonArray()) {
                    if (!row.isJsonArray() || row.getAsJsonArray().size() != keys.length) {
                        throw fail(source, "'" + where + "' zips " + keys.length + " settings; expected a list of "
                                + keys.length + "-value lists, found " + row);
                    }
                    Map<String, String> s = new LinkedHashMap<>();
                    List<String> parts = new ArrayList<>();
                    for (int i = 0; i < keys.length; i++) {
                        String value = scalar(row.getAsJsonArray().get(i), source, where);
                        s.put(keys[i].trim(), value);
                        parts.add(shortKey(keys[i].trim()) + value);
                    }
                    levels.add(new Level(label(String.join("-", parts), source, where), s));
                }
            } else if (v.isJsonArray()) {
                reserved(key, source, "grid");
                for (JsonElement value : v.getAsJsonArray()) {
                    String s = scalar(value, source, where);
                    Map<String, String> one = new LinkedHashMap<>();
                    one.put(key, s);
                    levels.add(new Level(label(key.equals("preset") ? s : shortKey(key) + s, source, where), one));
                }
            } else {
                throw fail(source, "'" + where + "' must be a list of values or an object of named settings groups");
            }
            if (levels.isEmpty()) {
                throw fail(source, "'" + where + "' has no values; expected at least one");
            }
            Map<String, String> labels = new LinkedHashMap<>();
            List<String> raw = v.isJsonObject() ? new ArrayList<>(v.getAsJsonObject().keySet())
                    : v.getAsJsonArray().asList().stream().map(JsonElement::toString).toList();
            for (int i = 0; i < levels.size(); i++) {
                String other = labels.put(levels.get(i).label(), raw.get(i));
                if (other != null) {
                    throw fail(source, "'" + where + "': " + other + " and " + raw.get(i) + " both label runs '"
                            + levels.get(i).label() + "'; expected values that tell the runs apart (in names, characters "
                            + "other than letters, digits, '.', '_', '+' and '-' become '_')");
                }
            }
            axes.add(new Axis(key, List.copyOf(levels)));
        }
        return List.copyOf(axes);
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

    private static Table table(JsonElement table, String source, List<Axis> axes) {
        if (table == null) {
            return new Table(List.of(), null, null, null, List.of(), null, List.of(), null);
        }
        if (!table.isJsonObject()) {
            throw fail(source, "'table' must be an object with " + String.join(", ", sorted(TABLE_KEYS)));
        }
        JsonObject t = table.getAsJsonObject();
        for (String k : t.keySet()) {
            if (!TABLE_KEYS.contains(k)) {
                throw fail(source, "unknown key 'table." + k + "'; expected " + String.join(", ", sorted(TABLE_KEYS)));
            }
        }
        List<Metric> metrics = new ArrayList<>();
        if (t.has("metrics")) {
            if (!t.get("metrics").isJsonArray()) {
                throw fail(source, "'table.metrics' must be a list of score names, e.g. [\"mixture.modes\"]");
            }
            for (JsonElement m : t.getAsJsonArray("metrics")) {
                metrics.add(metric(m, source));
            }
        }
        String columns = string(t, "table.columns", source, null);
        if (columns != null && axes.stream().noneMatch(a -> a.name().equals(columns))) {
            throw fail(source, "'table.columns' is '" + columns + "'; expected one of the grid's axes "
                    + axes.stream().map(Axis::name).toList());
        }
        List<String> rows = new ArrayList<>();
        if (t.has("rows")) {
            if (!t.get("rows").isJsonArray()) {
                throw fail(source, "'table.rows' must be a list of Markdown table rows, e.g. [\"| published | 7.9 |\"]");
            }
            for (JsonElement r : t.getAsJsonArray("rows")) {
                rows.add(scalar(r, source, "table.rows"));
            }
        }
        List<Long> at = new ArrayList<>();
        if (t.has("at")) {
            String expected = "'table.at' must be a list of iterations, e.g. [1000, 2000]";
            if (!t.get("at").isJsonArray()) {
                throw fail(source, expected);
            }
            for (JsonElement i : t.getAsJsonArray("at")) {
                at.add(integer(i, source, expected));
            }
            if (metrics.isEmpty()) {
                throw fail(source, "'table.at' needs 'table.metrics': the scores to show at those iterations");
            }
        }
        return new Table(List.copyOf(metrics), columns, string(t, "table.results", source, null),
                string(t, "table.title", source, null), List.copyOf(rows), string(t, "table.perSeed", source, null),
                List.copyOf(at), string(t, "table.images", source, null));
    }

    /** "score" or {"score": "mixture.high_quality", "label": "high quality %", "scale": 100, "digits": 1}. */
    private static Metric metric(JsonElement m, String source) {
        if (!m.isJsonObject()) {
            String score = scalar(m, source, "table.metrics");
            return new Metric(score, score, 1, -1);
        }
        JsonObject o = m.getAsJsonObject();
        for (String k : o.keySet()) {
            if (!Set.of("score", "label", "scale", "digits").contains(k)) {
                throw fail(source, "unknown key '" + k + "' in a metric of 'table.metrics'; expected digits, label, "
                        + "scale, score");
            }
        }
        String score = string(o, "table.metrics.score", source, null);
        if (score == null) {
            throw fail(source, "a metric of 'table.metrics' has no \"score\"; expected e.g. {\"score\": \"mixture.modes\"}");
        }
        String scale = o.has("scale") ? scalar(o.get("scale"), source, "table.metrics.scale") : "1";
        String digits = o.has("digits") ? scalar(o.get("digits"), source, "table.metrics.digits") : "-1";
        try {
            return new Metric(score, o.has("label") ? string(o, "table.metrics.label", source, score) : score,
                    Double.parseDouble(scale), Integer.parseInt(digits));
        } catch (NumberFormatException e) {
            throw fail(source, "metric '" + score + "': scale must be a number and digits an integer");
        }
    }

    /** An object of settings: keys to strings, numbers (as written) or booleans. */
    private static Map<String, String> settings(JsonElement e, String source, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        if (e == null) {
            return out;
        }
        if (!e.isJsonObject()) {
            throw fail(source, "'" + where + "' must be an object of key: value settings");
        }
        for (Map.Entry<String, JsonElement> s : e.getAsJsonObject().entrySet()) {
            out.put(s.getKey(), scalar(s.getValue(), source, where + "." + s.getKey()));
        }
        return out;
    }

    private static String scalar(JsonElement e, String source, String where) {
        if (e == null || !e.isJsonPrimitive()) {
            throw fail(source, "'" + where + "' is " + e + "; expected a string, a number or a boolean");
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        // a number keeps the digits it was written with (5000 stays 5000, 1e-4 stays 1e-4)
        String s = p.getAsString();
        if (s.contains("\t") || s.contains("\n")) {
            throw fail(source, "'" + where + "' contains a tab or a line break; expected a single-line value");
        }
        return s;
    }

    /** The string at {@code path}'s last part in {@code o}; {@code path} (e.g. table.title) names it in errors. */
    private static String string(JsonObject o, String path, String source, String absent) {
        String key = path.substring(path.lastIndexOf('.') + 1);
        if (!o.has(key) || o.get(key).isJsonNull()) {
            return absent;
        }
        if (!o.get(key).isJsonPrimitive() || !o.get(key).getAsJsonPrimitive().isString()) {
            throw fail(source, "'" + path + "' must be a string");
        }
        return o.get(key).getAsString();
    }

    private static long integer(JsonElement e, String source, String expected) {
        try {
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
                return new java.math.BigDecimal(e.getAsString()).longValueExact();
            }
        } catch (ArithmeticException | NumberFormatException notInteger) {
            // falls through
        }
        throw fail(source, expected + "; found " + e);
    }

    private static void reserved(String key, String source, String where) {
        if (RESERVED.contains(key)) {
            throw fail(source, "'" + where + "' sets '" + key + "'; the sweep sets name, seed and outputDir of its runs "
                    + "itself (use \"seeds\" for seeds)");
        }
    }

    /** The label of a level in run names: characters other than letters, digits, '.', '_', '+' and '-' become '_'. */
    private static String label(String raw, String source, String where) {
        String l = raw.replaceAll("[^A-Za-z0-9._+-]", "_");
        if (l.isEmpty()) {
            throw fail(source, "'" + where + "' has an empty label; expected a name for each alternative");
        }
        return l;
    }

    /** regularizer.roth.gamma labels its values gamma0.1. */
    private static String shortKey(String key) {
        return key.substring(key.lastIndexOf('.') + 1);
    }

    private static List<String> sorted(Set<String> keys) {
        return keys.stream().sorted().toList();
    }

    static IllegalArgumentException fail(String source, String message) {
        return new IllegalArgumentException("sweep spec " + source + ": " + message);
    }
}
