package org.jgan.engine.internal;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.api.NumericsBackend;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * What a run records next to its configuration in config.json: the numerics backend, the versions of the bundles
 * it uses (its components' and the core's), which bundle each component came from, Java, the framework, and the JVM's
 * own options and glibc's allocator settings (which change a run's speed, not its numbers).
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
        out.put("jvm", jvm(ManagementFactory.getRuntimeMXBean().getInputArguments()));
        out.put("malloc", malloc(System.getenv()));
        return out;
    }

    /**
     * The JVM's own options among its arguments ({@code -X...}, {@code -XX:...}: the heap's size, the JIT's thresholds
     * that runtime/jgan sets, {@code -XX:CompileCommand=CompileThresholdScaling,org.jgan.*::*,0.125},
     * {@code -XX:CompileThresholdScaling=2} and the like), as words in their order, or {@code "JVM defaults"}; system
     * properties ({@code -D}) and agents are left out.
     */
    static String jvm(List<String> arguments) {
        StringBuilder b = new StringBuilder();
        for (String a : arguments) {
            if (a.startsWith("-X")) {
                b.append(b.length() == 0 ? "" : " ").append(a);
            }
        }
        return b.length() == 0 ? "JVM defaults" : b.toString();
    }

    /**
     * glibc's allocator settings in {@code env}, as {@code NAME=value} words, or {@code "glibc defaults"}: runtime/jgan
     * sets {@code MALLOC_MMAP_THRESHOLD_} and {@code MALLOC_TRIM_THRESHOLD_} unless the caller set them (at glibc's
     * defaults libnd4j's per-call buffers are page-faulted anew on every convolution).
     */
    static String malloc(Map<String, String> env) {
        StringBuilder b = new StringBuilder();
        for (String name : new String[] {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                "MALLOC_ARENA_MAX", "GLIBC_TUNABLES"}) {
            String value = env.get(name);
            if (value != null) {
                b.append(b.length() == 0 ? "" : " ").append(name).append('=').append(value);
            }
        }
        return b.length() == 0 ? "glibc defaults" : b.toString();
    }
}
