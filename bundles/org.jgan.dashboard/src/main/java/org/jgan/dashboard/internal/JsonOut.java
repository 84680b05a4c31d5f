package org.jgan.dashboard.internal;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.util.Map;

/** JSON for the browser: non-finite numbers (a skipped lazy term, a diverged loss) as null, which JSON allows. */
final class JsonOut {

    private static final TypeAdapter<Double> FINITE = new TypeAdapter<>() {
        @Override
        public void write(JsonWriter out, Double v) throws IOException {
            if (v == null || !Double.isFinite(v)) {
                out.nullValue();
            } else {
                out.value(v);
            }
        }

        @Override
        public Double read(JsonReader in) throws IOException {
            return in.nextDouble();
        }
    };

    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().registerTypeAdapter(Double.class, FINITE)
            .registerTypeAdapter(double.class, FINITE).create();

    private JsonOut() {
    }

    static String write(Object o) {
        return GSON.toJson(o);
    }

    /** A request body that must be a JSON object of strings (settings), read strictly. */
    static Map<String, String> stringMap(String body, String what) {
        try {
            Map<String, String> m = GSON.fromJson(body, new TypeToken<Map<String, String>>() { }.getType());
            if (m == null) {
                throw new IllegalArgumentException(what + ": expected a JSON object of settings, got nothing");
            }
            return m;
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(what + ": expected a JSON object of strings, e.g. {\"lrD\": \"1e-4\"}");
        }
    }
}
