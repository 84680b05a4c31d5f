package org.jgan.engine.internal.folder;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON documents of a run folder (config.json, status.json, metrics.json, evaluation results, the
 * checkpoint's configuration), written and read with Gson. Written: maps as objects in their order, collections as
 * arrays, numbers with every digit they have ({@code Double.toString}; a float as its shortest decimal), non-finite
 * numbers as null, anything else as its text. Read strictly: objects as maps in document order, arrays as lists,
 * numbers as doubles.
 */
public final class Json {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls()
            .create();

    private Json() {
    }

    public static String write(Object value) {
        return GSON.toJson(tree(value)) + "\n";
    }

    private static JsonElement tree(Object v) {
        if (v == null) {
            return JsonNull.INSTANCE;
        } else if (v instanceof Map<?, ?> map) {
            JsonObject o = new JsonObject();
            map.forEach((k, x) -> o.add(String.valueOf(k), tree(x)));
            return o;
        } else if (v instanceof Collection<?> list) {
            JsonArray a = new JsonArray();
            list.forEach(x -> a.add(tree(x)));
            return a;
        } else if (v instanceof Float f) {
            return Float.isFinite(f) ? new JsonPrimitive(new BigDecimal(Float.toString(f))) : JsonNull.INSTANCE;
        } else if (v instanceof Double d) {
            return Double.isFinite(d) ? new JsonPrimitive(d) : JsonNull.INSTANCE;
        } else if (v instanceof Number n) {
            return new JsonPrimitive(n);
        } else if (v instanceof Boolean b) {
            return new JsonPrimitive(b);
        }
        return new JsonPrimitive(v.toString());
    }

    /**
     * @throws IllegalArgumentException when the text is not one well-formed JSON value
     */
    public static Object read(String text) {
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            JsonElement doc = GSON.getAdapter(JsonElement.class).read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException("malformed JSON: text after the value at " + reader.getPath()
                        + "; expected one JSON value");
            }
            return plain(doc);
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
        }
    }

    private static Object plain(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        } else if (e.isJsonObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            e.getAsJsonObject().entrySet().forEach(x -> map.put(x.getKey(), plain(x.getValue())));
            return map;
        } else if (e.isJsonArray()) {
            List<Object> list = new ArrayList<>();
            e.getAsJsonArray().forEach(x -> list.add(plain(x)));
            return list;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        return p.isBoolean() ? (Object) p.getAsBoolean() : p.isNumber() ? (Object) p.getAsDouble() : p.getAsString();
    }
}
