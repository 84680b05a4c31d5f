package org.jgan.engine.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.api.NumericsBackend;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * What a run records next to its configuration in config.json: the numerics backend, the versions of the bundles
 * it uses (its components' and the core's), which bundle each component came from, Java and the framework.
 */
final class Provenance {

    private Provenance() {
    }

    static Map<String, Object> of(RunSpec spec, NumericsBackend numerics, BundleContext context) {
        Map<String, Object> bundles = new TreeMap<>();
        for (ComponentCatalog.Entry e : spec.components()) {
            bundles.put(e.bundle(), e.version());
        }
        for (Bundle b : context.getBundles()) {
            String bsn = b.getSymbolicName();
            if (bsn != null && (bsn.equals("org.jgan.api") || bsn.equals("org.jgan.engine")
                    || bsn.equals("org.jgan.nd4j"))) {
                bundles.put(bsn, b.getVersion().toString());
            }
        }
        Map<String, Object> components = new LinkedHashMap<>();
        for (ComponentCatalog.Entry e : spec.components()) {
            components.put(e.kind().label() + " " + e.name(), e.bundle() + " " + e.version());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backend", numerics.description());
        out.put("bundles", bundles);
        out.put("components", components);
        out.put("java", System.getProperty("java.version"));
        out.put("framework", context.getBundle(0).getSymbolicName() + " " + context.getBundle(0).getVersion());
        return out;
    }
}
