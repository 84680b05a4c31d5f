package org.jgan.sweep.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reading a sweep specification's JSON values, each refusal one line naming the file and the key. */
final class SpecJson {

    private SpecJson() {
    }

    /**
     * The list at {@code path}'s last part in {@code o}, each element read by {@code item}; empty when absent.
     *
     * @param expected what the list must be, for the refusal ("a list of ...")
     */
    static <T> List<T> list(JsonObject o, String path, String source, String expected,
            java.util.function.Function<JsonElement, T> item) {
        String key = path.substring(path.lastIndexOf('.') + 1);
        if (!o.has(key)) {
            return List.of();
        }
        if (!o.get(key).isJsonArray()) {
            throw fail(source, "'" + path + "' must be " + expected);
        }
        return o.getAsJsonArray(key).asList().stream().map(item).toList();
    }

    /** An object of settings: keys to strings, numbers (as written) or booleans. */
    static Map<String, String> settings(JsonElement e, String source, String where) {
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

    static String scalar(JsonElement e, String source, String where) {
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
    static String string(JsonObject o, String path, String source, String absent) {
        String key = path.substring(path.lastIndexOf('.') + 1);
        if (!o.has(key) || o.get(key).isJsonNull()) {
            return absent;
        }
        if (!o.get(key).isJsonPrimitive() || !o.get(key).getAsJsonPrimitive().isString()) {
            throw fail(source, "'" + path + "' must be a string");
        }
        return o.get(key).getAsString();
    }

    static long integer(JsonElement e, String source, String expected) {
        try {
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
                return new java.math.BigDecimal(e.getAsString()).longValueExact();
            }
        } catch (ArithmeticException | NumberFormatException notInteger) {
            // falls through
        }
        throw fail(source, expected + "; found " + e);
    }

    static void reserved(String key, String source, String where) {
        if (SweepSpec.RESERVED.contains(key)) {
            throw fail(source, "'" + where + "' sets '" + key + "'; the sweep sets name, seed and outputDir of its runs "
                    + "itself (use \"seeds\" for seeds)");
        }
    }

    static List<String> sorted(Set<String> keys) {
        return keys.stream().sorted().toList();
    }

    static IllegalArgumentException fail(String source, String message) {
        return new IllegalArgumentException("sweep spec " + source + ": " + message);
    }
}
