package org.jgan.shell.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Arguments of the latent-space commands: free words (an arithmetic expression) and {@code key=value} options from a
 * fixed set, with typed getters whose errors name the command, the option and what is expected.
 */
record ExploreArguments(String command, String words, Map<String, String> options) {

    static ExploreArguments parse(String command, List<String> args, Set<String> allowed) {
        List<String> words = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        for (String raw : args) {
            String a = raw.trim();
            int eq = a.indexOf('=');
            if (eq <= 0) {
                if (!a.isEmpty()) {
                    words.add(a);
                }
                continue;
            }
            String key = a.substring(0, eq).trim();
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException(command + ": unknown option '" + key + "'; expected one of "
                        + String.join(", ", allowed.stream().sorted().toList()));
            }
            options.put(key, a.substring(eq + 1).trim());
        }
        return new ExploreArguments(command, String.join(" ", words), options);
    }

    int intValue(String key, int defaultValue) {
        return parsed(key, defaultValue, Integer::valueOf, "an integer");
    }

    double doubleValue(String key, double defaultValue) {
        return parsed(key, defaultValue, Double::valueOf, "a number");
    }

    /** A seed, or null when not given (the run's own sample batch). */
    Long seed() {
        return parsed("seed", null, Long::valueOf, "an integer");
    }

    private <T> T parsed(String key, T defaultValue, java.util.function.Function<String, T> parser, String expected) {
        String v = options.get(key);
        try {
            return v == null ? defaultValue : parser.apply(v);
        } catch (NumberFormatException e) {
            throw invalid(key, v, expected);
        }
    }

    String choice(String key, String defaultValue, Set<String> values) {
        String v = options.getOrDefault(key, defaultValue);
        if (!values.contains(v)) {
            throw invalid(key, v, "one of " + String.join(", ", values.stream().sorted().toList()));
        }
        return v;
    }

    private IllegalArgumentException invalid(String key, String value, String expected) {
        return new IllegalArgumentException(command + ": " + key + " is '" + value + "'; expected " + expected);
    }
}
