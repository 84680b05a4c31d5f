package org.jgan.engine.internal.run;

import java.util.ArrayList;
import java.util.List;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;

/**
 * How a run sees the installed components change: which of its components are gone, and which names now stand for
 * another component than the run's (a new version of a bundle, or a registration of higher service ranking). The
 * catalog tells the watch when it changes; the run looks at iteration boundaries only (training thread).
 */
final class ComponentWatch {

    /**
     * The components a run rebinds to.
     *
     * @param spec    the run's configuration parsed against the components now installed
     * @param rows    the rebinds as history.csv rows
     * @param rebuild whether the model must be built again (a new architecture, dataset or metric), rather than its
     *                training graphs (a new loss or regularizer)
     */
    record Rebind(RunSpec spec, CharSequence rows, boolean rebuild) {

        /** The components rebound to, as "[name bundle version, ...]". */
        String describe() {
            return spec.components().stream().map(e -> e.name() + " " + e.bundle() + " " + e.version()).toList()
                    .toString();
        }
    }

    private final ComponentCatalog catalog;
    private final String id;
    /** The catalog's change count when the run last compared its components with it. */
    private long seen = -1;

    /** @param catalog the installed components; null when the run does not watch them */
    ComponentWatch(ComponentCatalog catalog, String id) {
        this.catalog = catalog;
        this.id = id;
    }

    /** Calls {@code wake} at every change of the installed components, until {@link #stopListening}. */
    void listen(Runnable wake) {
        if (catalog != null) {
            catalog.addListener(wake);
        }
    }

    void stopListening(Runnable wake) {
        if (catalog != null) {
            catalog.removeListener(wake);
        }
    }

    /** Whether the installed components changed since the run last looked ({@link #looked}). */
    boolean changed() {
        return catalog != null && catalog.changes() != seen;
    }

    /** The catalog's change count now. */
    long changes() {
        return catalog.changes();
    }

    /** Records that the run has seen the components as they were at change count {@code at}. */
    void looked(long at) {
        seen = at;
    }

    /** Components of {@code spec} that are no longer installed, as "kind 'name' (bundle)". */
    List<String> missing(RunSpec spec) {
        List<String> missing = new ArrayList<>();
        for (ComponentCatalog.Entry e : spec.components()) {
            if (catalog.find(e.kind(), e.name()).isEmpty()) {
                missing.add(e.kind().label() + " '" + e.name() + "' (bundle " + e.bundle() + ")");
            }
        }
        return missing;
    }

    /**
     * The rebind of {@code spec} to the components now installed, with history rows at {@code iteration}; null when
     * every name still stands for the run's component, or when a component left meanwhile (the change count has
     * moved: the next boundary pauses for it).
     */
    Rebind rebind(RunSpec spec, long iteration) {
        StringBuilder rows = new StringBuilder();
        boolean rebuild = false;
        for (ComponentCatalog.Entry e : spec.components()) {
            // a component that left since the last look is absent here and counts as unchanged
            ComponentCatalog.Entry now = catalog.find(e.kind(), e.name()).orElse(e);
            if (now.component() != e.component()) {
                rows.append(iteration).append(",component.").append(e.kind().label()).append('.')
                        .append(e.name()).append(',').append(e.bundle()).append(' ').append(e.version())
                        .append(',').append(now.bundle()).append(' ').append(now.version()).append('\n');
                rebuild |= e.kind() == Kind.ARCHITECTURE || e.kind() == Kind.DATASET || e.kind() == Kind.METRIC;
            }
        }
        if (rows.length() == 0) {
            return null;
        }
        try {
            return new Rebind(RunSpec.parse(spec.resolved(), catalog, id), rows, rebuild);
        } catch (IllegalArgumentException gone) {
            return null;
        }
    }
}
