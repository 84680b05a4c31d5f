package org.jgan.launch;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Leaves the framework's start-up code to HotSpot's C1 compiler: a compiler directive ({@code c2: { Exclude: true }}
 * for {@code org/apache/felix/*.*} and the JDK's ASM, {@code jdk/internal/org/objectweb/asm/*.*}) added before the
 * framework installs its bundles.
 *
 * <p>At a start, HotSpot's C2 compiled the framework's manifest parser, bundle cache and resolver (code that runs while
 * bundles are installed and resolved, and hardly after) for about a second of a 2-core machine's time before the first
 * iteration ({@code -XX:+LogCompilation}: 0.70 s of C2's 1.98 s; the JDK's ASM, which spins the start's lambda and
 * method-handle classes, 0.30 s more). With the directive those methods stay at C1's code: {@code runtime/jgan run} to
 * the first iteration 2.89 against 3.17 s and the process's CPU time 4.95 against 5.67 s (10 alternating starts;
 * docs/architectures.md).
 *
 * <p>The directive is added through HotSpot's diagnostic command {@code Compiler.directives_add}, which returns its
 * report ("1 compiler directives added") instead of printing it: HotSpot 17 prints that line on standard output for
 * {@code -XX:CompilerDirectivesFile} at every start. The command is reached through the JDK's internal
 * {@code com.sun.management.internal.DiagnosticCommandImpl} (7-12 ms); the public route, the platform MBean
 * server, took 146-192 ms to come up. runtime/jgan opens that package to the class path
 * ({@code --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED}); where it is not open, or the JDK has no
 * such class, the start goes on without the directive and says nothing (one line on standard error with
 * {@code -Djgan.debug=true}).
 *
 * <p>System property {@value #PROPERTY}: unset, the directives of {@value #RESOURCE} in this jar; {@code off}, none; a
 * path, that file's (HotSpot's compiler directives format) in their place. A file that HotSpot cannot read is one line
 * on standard error, and the start goes on.
 *
 * <p>bnd's launcher starts this class as the {@code Embedded-Activator} of a jar on the run path (jgan.bndrun's
 * {@code -runpath}); {@link #IMMEDIATE} has it started right after the framework's init, before the bundles are
 * installed.
 */
public final class CompilerDirectives implements BundleActivator {

    /** bnd's launcher starts an embedded activator whose {@code IMMEDIATE} says this after the framework's init. */
    public static final String IMMEDIATE = "AFTER_FRAMEWORK_INIT";

    /** The system property naming the directives: unset (this jar's), {@code off}, or a file. */
    static final String PROPERTY = "jgan.jit.directives";

    /** This jar's directives, a resource beside this class. */
    static final String RESOURCE = "start-up.json";

    private static final String DIAGNOSTIC_COMMANDS = "com.sun.management.internal.DiagnosticCommandImpl";

    /** What {@link #add} did, in one line. */
    private record Outcome(boolean added, String message) {
    }

    @Override
    public void start(BundleContext context) {
        String setting = System.getProperty(PROPERTY);
        Outcome outcome = add(setting);
        // a failure is one line where the user named a file, or asked for JGAN_DEBUG's details; silent otherwise
        boolean named = setting != null && !"off".equals(setting);
        if (!outcome.added() && (named || Boolean.getBoolean("jgan.debug")) && !outcome.message().isEmpty()) {
            System.err.println("jgan: " + outcome.message());
        }
    }

    @Override
    public void stop(BundleContext context) {
    }

    /**
     * Adds the directives {@code setting} names (the value of {@value #PROPERTY}: {@code null} for this jar's,
     * {@code off} for none, or a file); never throws.
     */
    private static Outcome add(String setting) {
        if ("off".equals(setting)) {
            return new Outcome(false, "");
        }
        Method execute;
        Object commands;
        try {
            // the native library behind the commands is loaded by the JDK's platform MBean provider's initializer
            Class.forName("com.sun.management.internal.PlatformMBeanProviderImpl");
            Class<?> type = Class.forName(DIAGNOSTIC_COMMANDS);
            Method instance = type.getDeclaredMethod("getDiagnosticCommandMBean");
            instance.setAccessible(true);
            execute = type.getDeclaredMethod("executeDiagnosticCommand", String.class);
            execute.setAccessible(true);
            commands = instance.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return new Outcome(false, "compiler directives not added (" + DIAGNOSTIC_COMMANDS + " not reachable: " + e
                    + "; runtime/jgan passes --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED)");
        }
        if (commands == null) {
            return new Outcome(false, "compiler directives not added (this JVM takes no diagnostic commands)");
        }
        Path temporary = null;
        try {
            Path file;
            if (setting == null) {
                temporary = Files.createTempFile("jgan-directives-", ".json");
                try (InputStream in = CompilerDirectives.class.getResourceAsStream(RESOURCE)) {
                    if (in == null) {
                        return new Outcome(false, "compiler directives not added (" + RESOURCE + " missing from "
                                + CompilerDirectives.class.getProtectionDomain().getCodeSource() + ")");
                    }
                    Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
                }
                file = temporary;
            } else {
                file = Path.of(setting).toAbsolutePath();
            }
            String path = file.toString();
            if (path.indexOf('"') >= 0) {
                return new Outcome(false, setting == null
                        ? "compiler directives not added (the temporary file's path " + path + " has a double quote)"
                        : PROPERTY + "=" + setting + ": a path with a double quote; expected a file of HotSpot"
                                + " compiler directives at a path without one; starting without them");
            }
            String report;
            try {
                report = String.valueOf(execute.invoke(commands, "Compiler.directives_add \"" + path + "\"")).strip();
            } catch (InvocationTargetException e) {
                report = String.valueOf(e.getCause());
            }
            if (report.matches("(?s)[1-9][0-9]* compiler directives added.*")) {
                return new Outcome(true, report.lines().findFirst().orElse(report));
            }
            String first = report.lines().findFirst().orElse("no report");
            return new Outcome(false, setting == null
                    ? "compiler directives not added (" + first + ")"
                    : PROPERTY + "=" + setting + ": " + first + "; expected a file of HotSpot compiler directives;"
                            + " starting without them");
        } catch (IOException | ReflectiveOperationException | RuntimeException e) {
            return new Outcome(false, "compiler directives not added (" + e + ")");
        } finally {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException e) {
                    // a file of a few bytes left in the temporary folder
                }
            }
        }
    }
}
