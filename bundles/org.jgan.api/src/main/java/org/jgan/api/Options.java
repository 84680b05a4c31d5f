package org.jgan.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The checked, typed values of a component's options for one run: every declared option has a value (given or
 * default), and no undeclared option is present. Immutable.
 */
public final class Options {

    private final String owner;
    private final Map<String, Object> values;

    private Options(String owner, Map<String, Object> values) {
        this.owner = owner;
        this.values = Collections.unmodifiableMap(values);
    }

    /** Options of a component that declares none. */
    public static Options none(String owner) {
        return new Options(owner, new LinkedHashMap<>());
    }

    /**
     * Checks the given values against the declarations and fills in defaults.
     *
     * @param owner component description for error messages, e.g. {@code "architecture 'mlp'"}
     * @param specs the component's declared options
     * @param given option values by name (without role prefix)
     * @throws IllegalArgumentException for an unknown option or an invalid value, naming both
     */
    public static Options resolve(String owner, List<OptionSpec> specs, Map<String, String> given) {
        Map<String, OptionSpec> byName = new LinkedHashMap<>();
        specs.forEach(s -> byName.put(s.name(), s));
        for (String key : given.keySet()) {
            if (!byName.containsKey(key)) {
                throw new IllegalArgumentException(owner + ": unknown option '" + key + "'; known options: "
                        + (byName.isEmpty() ? "none" : String.join(", ", new TreeSet<>(byName.keySet()))));
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (OptionSpec spec : specs) {
            String text = given.getOrDefault(spec.name(), spec.defaultValue());
            values.put(spec.name(), spec.parse(owner, text));
        }
        return new Options(owner, values);
    }

    public int getInt(String name) {
        return (Integer) value(name);
    }

    public double getDouble(String name) {
        return ((Number) value(name)).doubleValue();
    }

    public boolean getBoolean(String name) {
        return (Boolean) value(name);
    }

    public String getString(String name) {
        return (String) value(name);
    }

    /** All values by option name, in declaration order. */
    public Map<String, Object> asMap() {
        return values;
    }

    private Object value(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException(owner + ": no option '" + name + "' is declared");
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Options other && owner.equals(other.owner) && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(owner, values);
    }

    @Override
    public String toString() {
        return owner + values;
    }
}
