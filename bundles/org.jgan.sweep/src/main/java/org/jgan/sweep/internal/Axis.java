package org.jgan.sweep.internal;

import static org.jgan.sweep.internal.SpecJson.fail;
import static org.jgan.sweep.internal.SpecJson.reserved;
import static org.jgan.sweep.internal.SpecJson.scalar;
import static org.jgan.sweep.internal.SpecJson.settings;

import com.google.gson.JsonElement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One axis of a sweep's grid: its levels in the order given. The spec's {@code grid} object holds the axes; an axis
 * is a setting's key with a list of values, several keys joined by commas with a list of value lists (zipped), or
 * a label with an object of named alternatives, each a group of settings.
 */
public record Axis(String name, List<Level> levels) {

    /** One level of an axis: the label it gives run names and the settings it sets (a preset among them). */
    public record Level(String label, Map<String, String> settings) {
    }

    /** The axes of {@code grid} (the spec's "grid" object), in order; none when it is absent. */
    static List<Axis> grid(JsonElement grid, String source) {
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
            List<Level> levels;
            if (v.isJsonObject()) {
                levels = groups(v, source, where);
            } else if (v.isJsonArray() && key.contains(",")) {
                levels = zipped(key, v, source, where);
            } else if (v.isJsonArray()) {
                levels = values(key, v, source, where);
            } else {
                throw fail(source, "'" + where + "' must be a list of values or an object of named settings groups");
            }
            if (levels.isEmpty()) {
                throw fail(source, "'" + where + "' has no values; expected at least one");
            }
            distinctLabels(levels, v.isJsonObject() ? new ArrayList<>(v.getAsJsonObject().keySet())
                    : v.getAsJsonArray().asList().stream().map(JsonElement::toString).toList(), source, where);
            axes.add(new Axis(key, List.copyOf(levels)));
        }
        return List.copyOf(axes);
    }

    /** {"unreg": {}, "roth": {"regularizers": "roth"}}: named groups of settings. */
    private static List<Level> groups(JsonElement v, String source, String where) {
        List<Level> levels = new ArrayList<>();
        for (Map.Entry<String, JsonElement> l : v.getAsJsonObject().entrySet()) {
            Map<String, String> s = settings(l.getValue(), source, where + "." + l.getKey());
            s.keySet().forEach(k -> reserved(k, source, where + "." + l.getKey()));
            levels.add(new Level(label(l.getKey(), source, where), s));
        }
        return levels;
    }

    /** "lrG,lrD": [[1e-4, 2e-4], [2e-4, 4e-4]]: settings that advance together. */
    private static List<Level> zipped(String key, JsonElement v, String source, String where) {
        String[] keys = key.split(",", -1);
        for (String k : keys) {
            if (k.isBlank()) {
                throw fail(source, "'" + where + "' has an empty setting name; expected keys joined by commas");
            }
            reserved(k.trim(), source, where);
        }
        List<Level> levels = new ArrayList<>();
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
        return levels;
    }

    /** "lrD": [1e-4, 2e-4]: one setting's values. */
    private static List<Level> values(String key, JsonElement v, String source, String where) {
        reserved(key, source, "grid");
        List<Level> levels = new ArrayList<>();
        for (JsonElement value : v.getAsJsonArray()) {
            String s = scalar(value, source, where);
            Map<String, String> one = new LinkedHashMap<>();
            one.put(key, s);
            levels.add(new Level(label(key.equals("preset") ? s : shortKey(key) + s, source, where), one));
        }
        return levels;
    }

    /** Refuses two levels whose labels (as names write them) are equal; {@code raw}: the levels as written. */
    private static void distinctLabels(List<Level> levels, List<String> raw, String source, String where) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < levels.size(); i++) {
            String other = labels.put(levels.get(i).label(), raw.get(i));
            if (other != null) {
                throw fail(source, "'" + where + "': " + other + " and " + raw.get(i) + " both label runs '"
                        + levels.get(i).label() + "'; expected values that tell the runs apart (in names, characters "
                        + "other than letters, digits, '.', '_', '+' and '-' become '_')");
            }
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
}
