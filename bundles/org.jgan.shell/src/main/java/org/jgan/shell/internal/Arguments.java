package org.jgan.shell.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Splits {@code [preset] key=value...} command arguments. */
record Arguments(String preset, Map<String, String> settings) {

    static Arguments parse(List<String> args) {
        String preset = null;
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i).trim();
            if (a.isEmpty()) {
                continue;
            }
            int eq = a.indexOf('=');
            if (eq < 0) {
                if (i == 0) {
                    preset = a;
                    continue;
                }
                throw new IllegalArgumentException("argument '" + a
                        + "' is not key=value; expected [preset] key=value ... (only the first argument may be a preset)");
            }
            if (eq == 0) {
                throw new IllegalArgumentException("argument '" + a + "' has no key; expected key=value");
            }
            String key = a.substring(0, eq).trim();
            String value = a.substring(eq + 1).trim();
            String earlier = settings.put(key, value);
            if (earlier != null) {
                throw new IllegalArgumentException("setting '" + key + "' is given twice ('" + earlier + "' and '"
                        + value + "'); expected each key once");
            }
        }
        return new Arguments(preset, settings);
    }
}
