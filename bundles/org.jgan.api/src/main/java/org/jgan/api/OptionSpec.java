package org.jgan.api;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Declaration of one option of a component: its name, type, default, allowed range and a description.
 *
 * @param name        the key, without the role prefix (for example {@code hidden})
 * @param type        how the value is parsed
 * @param defaultValue the default, as text; parses with {@link #parse(String, String)}
 * @param min         smallest allowed value for numeric options (inclusive), or {@code -Infinity}
 * @param max         largest allowed value for numeric options (inclusive), or {@code +Infinity}
 * @param choices     allowed values for {@link Type#CHOICE} options, empty otherwise
 * @param description what the option does, for the shell's listing
 */
public record OptionSpec(String name, Type type, String defaultValue, double min, double max, List<String> choices,
        String description) {

    /** Value types of options. */
    public enum Type { INT, DOUBLE, BOOLEAN, STRING, CHOICE }

    public OptionSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(defaultValue, "defaultValue");
        choices = List.copyOf(choices);
        Objects.requireNonNull(description, "description");
    }

    public static OptionSpec ofInt(String name, int defaultValue, int min, int max, String description) {
        return new OptionSpec(name, Type.INT, Integer.toString(defaultValue), min, max, List.of(), description);
    }

    public static OptionSpec ofDouble(String name, double defaultValue, double min, double max, String description) {
        return new OptionSpec(name, Type.DOUBLE, Double.toString(defaultValue), min, max, List.of(), description);
    }

    public static OptionSpec ofBoolean(String name, boolean defaultValue, String description) {
        return new OptionSpec(name, Type.BOOLEAN, Boolean.toString(defaultValue), 0, 1, List.of(), description);
    }

    public static OptionSpec ofString(String name, String defaultValue, String description) {
        return new OptionSpec(name, Type.STRING, defaultValue, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                List.of(), description);
    }

    public static OptionSpec ofChoice(String name, String defaultValue, List<String> choices, String description) {
        return new OptionSpec(name, Type.CHOICE, defaultValue, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                choices, description);
    }

    /**
     * Parses and checks a value of this option.
     *
     * @param owner the component or setting the option belongs to, used in the error message
     * @param text  the value as given
     * @return the value as Integer, Double, Boolean or String
     * @throws IllegalArgumentException naming the owner, the option, the value and what is expected
     */
    public Object parse(String owner, String text) {
        String v = text == null ? "" : text.trim();
        try {
            return switch (type) {
                case INT -> checkRange(owner, v, Integer.parseInt(v));
                case DOUBLE -> checkRange(owner, v, Double.parseDouble(v));
                case BOOLEAN -> parseBoolean(owner, v);
                case STRING -> v;
                case CHOICE -> parseChoice(owner, v);
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: option '%s' has value '%s'; expected %s",
                    owner, name, v, expected()), e);
        }
    }

    /** Human-readable description of the accepted values, e.g. "a number in [0, 1]". */
    public String expected() {
        return switch (type) {
            case INT -> "an integer" + range();
            case DOUBLE -> "a number" + range();
            case BOOLEAN -> "true or false";
            case STRING -> "text";
            case CHOICE -> "one of " + String.join(", ", choices);
        };
    }

    private String range() {
        boolean lo = min != Double.NEGATIVE_INFINITY;
        boolean hi = max != Double.POSITIVE_INFINITY;
        if (!lo && !hi) {
            return "";
        }
        return " in [" + (lo ? fmt(min) : "-inf") + ", " + (hi ? fmt(max) : "inf") + "]";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private <N extends Number> N checkRange(String owner, String text, N value) {
        double d = value.doubleValue();
        if (Double.isNaN(d) || d < min || d > max) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s: option '%s' has value '%s'; expected %s", owner, name, text, expected()));
        }
        return value;
    }

    private Boolean parseBoolean(String owner, String v) {
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.valueOf(v.toLowerCase(Locale.ROOT));
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: option '%s' has value '%s'; expected %s",
                owner, name, v, expected()));
    }

    private String parseChoice(String owner, String v) {
        if (choices.contains(v)) {
            return v;
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: option '%s' has value '%s'; expected %s",
                owner, name, v, expected()));
    }
}
