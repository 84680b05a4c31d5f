package org.jgan.engine.internal.config;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Merging a preset with the settings given at start: when the given settings replace a component the preset
 * chose (another loss, another regularizer list), the preset's options for the replaced component are dropped,
 * so {@code gan:start roth regularizers=r1} does not fail on the preset's {@code regularizer.roth.gamma}.
 */
public final class PresetMerge {

    private PresetMerge() {
    }

    public static Map<String, String> withoutReplacedOptions(Map<String, String> preset, Map<String, String> given) {
        Map<String, String> kept = new TreeMap<>();
        Set<String> regularizers = names(given.getOrDefault("regularizers", preset.getOrDefault("regularizers", "")));
        Set<String> metrics = names(given.getOrDefault("metrics", preset.getOrDefault("metrics", "")));
        for (Map.Entry<String, String> e : preset.entrySet()) {
            String key = e.getKey();
            if (replaced(key, "architecture", given, preset) || replaced(key, "loss", given, preset)
                    || replaced(key, "dataset", given, preset)
                    || key.startsWith("regularizer.") && !regularizers.contains(component(key))
                    || key.startsWith(RunSpec.SCHEDULE + "regularizer.")
                        && !regularizers.contains(component(key.substring(RunSpec.SCHEDULE.length())))
                    || key.startsWith("metric.") && !metrics.contains(component(key)) && given.containsKey("metrics")) {
                continue;
            }
            kept.put(key, e.getValue());
        }
        return kept;
    }

    /** True for {@code role.X} keys of the preset when the given settings choose another component for role. */
    private static boolean replaced(String key, String role, Map<String, String> given, Map<String, String> preset) {
        return key.startsWith(role + ".") && given.containsKey(role)
                && !given.get(role).trim().equals(preset.getOrDefault(role, "").trim());
    }

    /** {@code regularizer.NAME.option} gives NAME. */
    private static String component(String key) {
        int first = key.indexOf('.');
        int last = key.lastIndexOf('.');
        return last > first ? key.substring(first + 1, last) : "";
    }

    private static Set<String> names(String list) {
        Set<String> out = new HashSet<>();
        Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
        return out;
    }
}
