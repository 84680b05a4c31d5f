package org.jgan.shell.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;
import org.osgi.resource.Requirement;

/**
 * Bundles that are not active, each with why: requirements no installed bundle provides (for a bundle that does
 * not resolve), or the last start error the framework reported. A bundle in the watched folder that fails to
 * resolve or start is listed here; runs are not affected by it. A bundle that is set to start but has a start level
 * above the framework's (the dashboard's Jetty in a headless runtime, runtime/jgan.bndrun) is not a problem: it is
 * named on the summary line instead.
 */
final class BundleReport implements FrameworkListener {

    private final java.util.Map<Long, String> startErrors = new java.util.concurrent.ConcurrentHashMap<>();

    /** Remembers start failures the framework reports (e.g. of bundles started by a start level change). */
    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.ERROR && event.getBundle() != null && event.getThrowable() != null) {
            startErrors.put(event.getBundle().getBundleId(), event.getThrowable().getMessage());
        }
    }

    /** One paragraph per bundle that is not active, or one line saying that all are. */
    String report(Bundle[] bundles, FrameworkWiring wiring) {
        StringBuilder sb = new StringBuilder();
        List<String> waiting = new ArrayList<>();
        int frameworkLevel = frameworkLevel(bundles);
        int count = 0;
        for (Bundle b : bundles) {
            BundleRevision r = b.adapt(BundleRevision.class);
            boolean fragment = r != null && (r.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            if (b.getState() == Bundle.ACTIVE || fragment || b.getBundleId() == 0) {
                continue;
            }
            BundleStartLevel level = b.adapt(BundleStartLevel.class);
            if (b.getState() == Bundle.RESOLVED && level != null && level.isPersistentlyStarted()
                    && level.getStartLevel() > frameworkLevel && !startErrors.containsKey(b.getBundleId())) {
                waiting.add(b.getSymbolicName() + " (level " + level.getStartLevel() + ")");
                continue;
            }
            count++;
            sb.append(String.format(Locale.ROOT, "%-4d %-9s %s %s%n", b.getBundleId(), state(b), b.getSymbolicName(),
                    b.getVersion()));
            sb.append("     location: ").append(b.getLocation()).append('\n');
            for (String reason : reasons(b, r, wiring)) {
                sb.append("     ").append(reason).append('\n');
            }
        }
        String wait = waiting.isEmpty() ? "" : "; " + waiting.size() + " set to start at a start level above the "
                + "framework's (" + frameworkLevel + "): " + String.join(", ", waiting);
        if (count == 0) {
            return "all " + (bundles.length - waiting.size()) + " bundles are active" + wait + "\n";
        }
        return count + " of " + bundles.length + " bundles are not active" + wait + ":\n" + sb;
    }

    /** The framework's start level, from the system bundle among {@code bundles} (0 when it is not among them). */
    private static int frameworkLevel(Bundle[] bundles) {
        for (Bundle b : bundles) {
            if (b.getBundleId() == 0) {
                FrameworkStartLevel level = b.adapt(FrameworkStartLevel.class);
                return level == null ? 0 : level.getStartLevel();
            }
        }
        return 0;
    }

    private List<String> reasons(Bundle b, BundleRevision r, FrameworkWiring wiring) {
        List<String> reasons = new ArrayList<>();
        if (b.getState() == Bundle.INSTALLED && r != null) {
            for (Requirement req : r.getRequirements(null)) {
                boolean optional = Namespace.RESOLUTION_OPTIONAL.equals(
                        req.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE));
                if (!optional && wiring.findProviders(req).isEmpty()) {
                    reasons.add("does not resolve: nothing provides " + describe(req));
                }
            }
            if (reasons.isEmpty()) {
                reasons.add("does not resolve although every requirement has a provider (a uses-constraint "
                        + "conflict?); 'start " + b.getBundleId() + "' prints the framework's reason");
            }
        }
        String error = startErrors.get(b.getBundleId());
        if (error != null) {
            reasons.add("start failed: " + error);
        } else if (b.getState() == Bundle.RESOLVED) {
            reasons.add(b.getHeaders().get(Constants.BUNDLE_ACTIVATIONPOLICY) != null
                    ? "resolved, waits for lazy activation"
                    : "resolved but not started (stopped, or its start failed: 'start " + b.getBundleId()
                            + "' prints the error)");
        }
        return reasons;
    }

    /** "package com.example.x (&(osgi.wiring.package=com.example.x)(version>=1.0.0))" and the like. */
    private static String describe(Requirement req) {
        String ns = req.getNamespace();
        String kind = switch (ns) {
            case "osgi.wiring.package" -> "package";
            case "osgi.wiring.bundle" -> "bundle";
            case "osgi.wiring.host" -> "fragment host";
            case "osgi.ee" -> "execution environment";
            case "osgi.service" -> "service";
            default -> "capability " + ns;
        };
        String filter = req.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE);
        Object name = null;
        if (filter != null) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(" + java.util.regex.Pattern.quote(ns)
                    + "=([^)]*)\\)").matcher(filter);
            name = m.find() ? m.group(1) : null;
        }
        return kind + (name != null ? " " + name : "") + (filter != null ? " " + filter : "");
    }

    private static String state(Bundle b) {
        return switch (b.getState()) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "ACTIVE";
        };
    }
}
