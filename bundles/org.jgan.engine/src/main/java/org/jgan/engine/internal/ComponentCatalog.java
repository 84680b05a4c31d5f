package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jgan.api.GanComponent;

/**
 * The installed components by kind and name. Filled from the service registry by {@link ComponentTracker} (and
 * directly by unit tests); thread safe.
 */
public final class ComponentCatalog {

    /** One registered component with the bundle that provides it. */
    public record Entry(Kind kind, String name, GanComponent component, String bundle, String version) {
    }

    private final Map<Kind, Map<String, Entry>> entries = new EnumMap<>(Kind.class);

    public ComponentCatalog() {
        for (Kind k : Kind.values()) {
            entries.put(k, new ConcurrentHashMap<>());
        }
    }

    /** Adds or replaces a component. */
    public void add(Kind kind, String name, GanComponent component, String bundle, String version) {
        entries.get(kind).put(name, new Entry(kind, name, component, bundle, version));
    }

    /** Removes a component if it is the one registered under the name. */
    public void remove(Kind kind, String name, GanComponent component) {
        entries.get(kind).computeIfPresent(name, (n, e) -> e.component() == component ? null : e);
    }

    public Optional<Entry> find(Kind kind, String name) {
        return Optional.ofNullable(entries.get(kind).get(name));
    }

    /**
     * @throws IllegalArgumentException naming the kind, the name and the installed alternatives
     */
    public Entry require(Kind kind, String name) {
        return find(kind, name).orElseThrow(() -> new IllegalArgumentException(
                "unknown " + kind.label() + " '" + name + "'; installed: " + namesOrNone(kind)));
    }

    /** The regularization component (regularizer, penalty, constraint or reparametrization) with this name. */
    public Entry requireRegularization(String name) {
        for (Kind k : Kind.values()) {
            if (k.isRegularization() && entries.get(k).containsKey(name)) {
                return entries.get(k).get(name);
            }
        }
        TreeSet<String> all = new TreeSet<>();
        for (Kind k : Kind.values()) {
            if (k.isRegularization()) {
                all.addAll(entries.get(k).keySet());
            }
        }
        throw new IllegalArgumentException("unknown regularizer '" + name + "'; installed: "
                + (all.isEmpty() ? "none" : String.join(", ", all)));
    }

    public List<Entry> list(Kind kind) {
        List<Entry> list = new ArrayList<>(entries.get(kind).values());
        list.sort(Comparator.comparing(Entry::name));
        return list;
    }

    private String namesOrNone(Kind kind) {
        TreeSet<String> names = new TreeSet<>(entries.get(kind).keySet());
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
