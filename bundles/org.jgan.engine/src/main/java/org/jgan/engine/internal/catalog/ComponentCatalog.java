package org.jgan.engine.internal.catalog;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.jgan.api.GanComponent;

/**
 * The installed components by kind and name. Several registrations may share a name (two versions of a bundle,
 * a variant that overrides a shipped component); the one a name stands for is chosen as OSGi chooses among
 * services: the highest {@code service.ranking}, then the lowest {@code service.id}. When it leaves, the name
 * stands for the next one. Filled by {@link PluginReferences} from the service registry (and directly by unit
 * tests); listeners hear of every change, so runs wait for a component without polling. Thread safe.
 */
public final class ComponentCatalog {

    /** One registered component with the bundle that provides it. */
    public record Entry(Kind kind, String name, GanComponent component, String bundle, String version) {
    }

    /** One registration of a name, with its place in OSGi's order. */
    private record Registration(Entry entry, int ranking, long serviceId) {
    }

    private static final Comparator<Registration> BEST_FIRST = Comparator.comparingInt(Registration::ranking)
            .reversed().thenComparingLong(Registration::serviceId);

    /** Registrations by kind and name, best first; guarded by this. */
    private final Map<Kind, Map<String, List<Registration>>> entries = new EnumMap<>(Kind.class);
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong changes = new AtomicLong();
    /** Service ids for registrations added without one (unit tests): after any real one, in order of adding. */
    private final AtomicLong unregisteredIds = new AtomicLong(1L << 40);

    public ComponentCatalog() {
        for (Kind k : Kind.values()) {
            entries.put(k, new TreeMap<>());
        }
    }

    /** Adds a component registered later than any before it, with ranking 0. */
    public void add(Kind kind, String name, GanComponent component, String bundle, String version) {
        add(kind, name, component, bundle, version, 0, unregisteredIds.incrementAndGet());
    }

    /** Adds a service registration of a component. */
    public void add(Kind kind, String name, GanComponent component, String bundle, String version, int ranking,
            long serviceId) {
        synchronized (this) {
            List<Registration> list = entries.get(kind).computeIfAbsent(name, n -> new ArrayList<>());
            list.add(new Registration(new Entry(kind, name, component, bundle, version), ranking, serviceId));
            list.sort(BEST_FIRST);
        }
        changed();
    }

    /** Removes the registration of this component object under the name (others of the name stay). */
    public void remove(Kind kind, String name, GanComponent component) {
        boolean removed;
        synchronized (this) {
            List<Registration> list = entries.get(kind).get(name);
            removed = list != null && list.removeIf(r -> r.entry().component() == component);
            if (list != null && list.isEmpty()) {
                entries.get(kind).remove(name);
            }
        }
        if (removed) {
            changed();
        }
    }

    /** The component a name stands for now: the best of its registrations. */
    public synchronized Optional<Entry> find(Kind kind, String name) {
        List<Registration> list = entries.get(kind).get(name);
        return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.get(0).entry());
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
        TreeSet<String> all = new TreeSet<>();
        for (Kind k : Kind.values()) {
            if (k.isRegularization()) {
                Optional<Entry> e = find(k, name);
                if (e.isPresent()) {
                    return e.get();
                }
                all.addAll(names(k));
            }
        }
        throw new IllegalArgumentException("unknown regularizer '" + name + "'; installed: "
                + (all.isEmpty() ? "none" : String.join(", ", all)));
    }

    /** The component each name of the kind stands for, by name. */
    public synchronized List<Entry> list(Kind kind) {
        List<Entry> out = new ArrayList<>();
        entries.get(kind).values().forEach(l -> out.add(l.get(0).entry()));
        return out;
    }

    /** A count that grows with every change, for waiting on one without missing it. */
    public long changes() {
        return changes.get();
    }

    /** Hears of every change, on the thread that made it; must return quickly. */
    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    private void changed() {
        changes.incrementAndGet();
        listeners.forEach(Runnable::run);
    }

    private synchronized TreeSet<String> names(Kind kind) {
        return new TreeSet<>(entries.get(kind).keySet());
    }

    private String namesOrNone(Kind kind) {
        TreeSet<String> names = names(kind);
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
