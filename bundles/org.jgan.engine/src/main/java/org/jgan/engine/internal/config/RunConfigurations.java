package org.jgan.engine.internal.config;

import java.lang.reflect.Array;
import java.util.Map;
import java.util.TreeMap;

/** Turns configuration properties into run settings, dropping the framework's own keys. */
public final class RunConfigurations {

    /**
     * A private configuration property (not a setting) listing the settings given to {@code TrainingService.start};
     * configurations without it (a .cfg file) count all their settings as given.
     */
    public static final String GIVEN = ".given";

    private RunConfigurations() {
    }

    /** The given settings of a run configuration: those {@link #GIVEN} lists, or all of them when it is absent. */
    public static Map<String, String> given(Map<String, String> config, Object givenKeys) {
        if (!(givenKeys instanceof String list)) {
            return config;
        }
        Map<String, String> given = new TreeMap<>();
        for (String k : list.split(",")) {
            if (config.containsKey(k.trim())) {
                given.put(k.trim(), config.get(k.trim()));
            }
        }
        return given;
    }

    public static Map<String, String> settings(Map<String, Object> properties) {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, Object> e : properties.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("service.") || k.startsWith("component.") || k.startsWith("felix.")
                    || k.startsWith(".") || k.startsWith("osgi.") || k.startsWith("$")) {
                continue;
            }
            out.put(k, text(e.getValue()));
        }
        return out;
    }

    private static String text(Object v) {
        if (v != null && v.getClass().isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Array.getLength(v); i++) {
                sb.append(i == 0 ? "" : ",").append(Array.get(v, i));
            }
            return sb.toString();
        }
        return String.valueOf(v);
    }

    /**
     * The run id: the {@code name} property; else the part after the first '-' of a FileInstall file name
     * ({@code org.jgan.run-ring.cfg} gives {@code ring}); else the part after '~' of the PID.
     */
    public static String runId(String pid, Map<String, Object> properties) {
        Object name = properties.get("name");
        if (name instanceof String s && !s.isBlank()) {
            return s.trim();
        }
        Object file = properties.get("felix.fileinstall.filename");
        if (file != null) {
            String f = file.toString();
            f = f.substring(f.lastIndexOf('/') + 1);
            int dash = f.indexOf('-');
            int dot = f.lastIndexOf('.');
            if (dash > 0 && dot > dash + 1) {
                return f.substring(dash + 1, dot);
            }
        }
        int tilde = pid.indexOf('~');
        return tilde >= 0 ? pid.substring(tilde + 1) : pid;
    }
}
