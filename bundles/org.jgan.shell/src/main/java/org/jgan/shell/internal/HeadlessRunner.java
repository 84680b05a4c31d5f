package org.jgan.shell.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Headless mode for scripts. When the framework property {@value #RUN} is set (a preset name, possibly empty) it
 * starts one run with the settings of {@value #SET} ({@code key=value} separated by spaces or ';'), prints progress
 * until the run ends, stops the framework and exits the JVM with 0 when the run completed and 1 otherwise (2 when it
 * could not even start). When {@value #EXEC} is set instead, it runs that Gogo command line once every bundle of the
 * framework's start level has started (e.g. {@code gan:evaluate r1}), prints its result, stops (and so saves) any
 * run still going, and exits with 0, or 1 when the command failed.
 *
 * <p>The bundle that serves the dashboard's HTTP server (Felix HTTP's Jetty) has start level {@value #DEFERRED_LEVEL}
 * (runtime/jgan.bndrun), and runtime/jgan begins headless runs and commands at level 2, below it: starting Jetty took
 * about half a second of a 2-core machine's time on the way to a run's first iteration. A headless run raises the
 * framework to {@value #DEFERRED_LEVEL} once the run has done its first iteration (or after {@value #DEFERRED_MILLIS}
 * ms, for a first iteration that takes longer; never without the HTTP server); a headless command never does (it has
 * no dashboard); the interactive shell begins above it.
 */
@Component(immediate = true)
public final class HeadlessRunner {

    static final String RUN = "jgan.run";
    static final String SET = "jgan.set";
    static final String EXEC = "jgan.exec";
    /** "terminal" when runtime/jgan run's outputs are a terminal (then a progress bar; jgan.console.columns wide). */
    static final String CONSOLE = "jgan.console";
    /** The bar being drawn, which the shutdown hook ends before it prints. */
    private static final java.util.concurrent.atomic.AtomicReference<ConsoleBar> BAR =
            new java.util.concurrent.atomic.AtomicReference<>();
    private static final long READY_TIMEOUT_MILLIS = 120_000;

    private final Thread thread;

    @Activate
    public HeadlessRunner(@Reference TrainingService training, @Reference CommandProcessor processor,
            BundleContext context) {
        String command = context.getProperty(EXEC);
        if (command != null) {
            thread = new Thread(() -> {
                int code = execute(processor, command, context);
                stopUnfinished(training);
                exit(code);
            }, "jgan-headless");
            thread.start();
            return;
        }
        String preset = context.getProperty(RUN);
        if (preset == null) {
            thread = null;
            return;
        }
        thread = new Thread(() -> exit(drive(training, preset, context.getProperty(SET), context)), "jgan-headless");
        thread.start();
    }

    @Deactivate
    void deactivate() {
        if (thread != null && thread != Thread.currentThread()) {
            thread.interrupt();
        }
    }

    static List<String> split(String settings) {
        List<String> out = new ArrayList<>();
        if (settings != null) {
            for (String s : settings.split("[;\\s]+")) {
                if (!s.isBlank()) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    private static int drive(TrainingService training, String preset, String settings, BundleContext context) {
        List<String> args = new ArrayList<>();
        if (!preset.isBlank()) {
            args.add(preset);
        }
        args.addAll(split(settings));
        RunStatusDTO s;
        try {
            s = startWhenReady(training, Arguments.parse(args), new Readiness(context));
        } catch (RuntimeException e) {
            System.err.println("jgan: cannot start the run: " + e.getMessage());
            if (debug()) {
                e.printStackTrace();
            }
            return 2;
        } catch (InterruptedException e) {
            return 2;
        }
        System.out.println("jgan: started run " + s.id + " (output " + s.outputDir + ")");
        Thread stopOnSignal = stopOnShutdown(training, s.id);
        Runtime.getRuntime().addShutdownHook(stopOnSignal);
        // on a terminal (runtime/jgan says so): a bar redrawn in place, the log scrolling above it
        ConsoleBar bar = "terminal".equals(context.getProperty(CONSOLE))
                ? new ConsoleBar(System.out, ConsoleBar.columns(context.getProperty(CONSOLE + ".columns"))) : null;
        PrintStream log = System.err;
        JulConsole jul = null;
        if (bar != null) {
            BAR.set(bar);
            System.setErr(bar.above(log));
            // java.util.logging's console handler holds the old stream: its lines go above the bar too
            jul = JulConsole.to(System.err);
        }
        long started = System.currentTimeMillis();
        long firstIteration = s.iteration; // a resumed run starts at its checkpoint's
        // without the HTTP server (JGAN_HTTP_PORT=off) there is nothing to start
        boolean deferredStarted = "false".equals(context.getProperty(HTTP_ENABLE));
        try {
            while (true) {
                s = training.status(s.id);
                if (ProgressWatch.FINAL.contains(s.state)) {
                    break;
                }
                if (!deferredStarted
                        && deferredDue(s.iteration - firstIteration, System.currentTimeMillis() - started)) {
                    startDeferredBundles(context);
                    deferredStarted = true;
                }
                if (bar != null) {
                    bar.show(s);
                }
                // until the deferred bundles start: often enough to start them right after the first iteration
                Thread.sleep(!deferredStarted && s.iteration == firstIteration ? 50 : 500);
            }
        } catch (InterruptedException e) {
            return 1;
        } finally {
            if (bar != null) {
                bar.end();
                jul.close();
                System.setErr(log);
                BAR.set(null);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnSignal);
        } catch (IllegalStateException shuttingDown) {
            // the hook is stopping the run already
        }
        System.out.println("jgan: run " + s.id + " " + s.summary);
        System.out.println("jgan: outputs in " + s.outputDir + " (config.json, losses.csv, metrics.json, samples/, checkpoints/)");
        return s.state == State.COMPLETED ? 0 : 1;
    }

    /**
     * Ctrl-C or a SIGTERM ends the JVM; this hook first stops the run at its next iteration boundary, which saves
     * its checkpoint, losses and status.json, and waits for it (at most a minute), so an interrupted headless run
     * resumes exactly with the same name and outputDir.
     */
    static Thread stopOnShutdown(TrainingService training, String id) {
        return new Thread(() -> {
            ConsoleBar bar = BAR.get();
            if (bar != null) {
                bar.end();
            }
            RunStatusDTO now;
            try {
                now = stopAndWait(training, id, System.currentTimeMillis() + 60_000);
                System.out.println("jgan: interrupted; run " + id + " " + now.summary + "; resume it with the same"
                        + " name and outputDir");
            } catch (RuntimeException | InterruptedException e) {
                // the framework is stopping too: the engine's deactivation stops the run and saves it
                System.err.println("jgan: interrupted; could not stop run " + id + " here: " + e);
                return;
            }
            if (ProgressWatch.FINAL.contains(now.state)) {
                // the run is saved: end with the documented status (1 when stopped), not the signal's 128 + n
                System.out.flush();
                Runtime.getRuntime().halt(now.state == State.COMPLETED ? 0 : 1);
            }
        }, "jgan-stop-on-signal");
    }

    /**
     * After a headless command: a run it started that is still going (e.g. {@code gan:start} without
     * {@code gan:watch}) would end with the JVM, unsaved. Each is stopped at its next iteration boundary instead,
     * which saves its checkpoint, losses and status.json, and named on the console. The engine's stop waits up to
     * 30 s for each run; then this waits until a minute after it began for runs still saving.
     */
    static void stopUnfinished(TrainingService training) {
        List<RunStatusDTO> going;
        try {
            going = training.runs().stream().filter(r -> !ProgressWatch.FINAL.contains(r.state)).toList();
        } catch (RuntimeException stopping) {
            return;
        }
        long deadline = System.currentTimeMillis() + 60_000;
        for (RunStatusDTO r : going) {
            try {
                RunStatusDTO now = stopAndWait(training, r.id, deadline);
                System.out.println("jgan: run " + r.id + " was still going when the command ended; " + now.summary
                        + (now.state == State.STOPPED ? "; resume it with gan:start and the same name" : ""));
            } catch (IllegalArgumentException finishedMeanwhile) {
                // the run ended between the listing and the stop (the engine refuses to stop a finished run)
            } catch (RuntimeException e) {
                System.err.println("jgan: run " + r.id + " was still going when the command ended and could not be"
                        + " stopped: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Asks the run to stop at its next iteration boundary; its status once it has ended, or at the deadline. */
    private static RunStatusDTO stopAndWait(TrainingService training, String id, long deadline)
            throws InterruptedException {
        RunStatusDTO now = training.stop(id);
        while (!ProgressWatch.FINAL.contains(now.state) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            now = training.status(id);
        }
        return now;
    }

    /**
     * Runs a Gogo command line once the framework has started every bundle of its start level, retrying while its
     * command or a component it names is still registering (ND4J loads asynchronously).
     */
    private static int execute(CommandProcessor processor, String command, BundleContext context) {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        Readiness readiness = new Readiness(context);
        try {
            while (context.getBundle(0).getState() != org.osgi.framework.Bundle.ACTIVE) {
                Thread.sleep(100);
            }
            while (true) {
                // the console itself: Gogo redirects System.out to the current session, which would loop
                PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
                try (CommandSession session = processor.createSession(InputStream.nullInputStream(), console, console)) {
                    Object result = session.execute(command);
                    if (result != null) {
                        console.println(result instanceof CharSequence ? result
                                : session.format(result, Converter.INSPECT));
                    }
                    return 0;
                } catch (Exception e) {
                    String m = String.valueOf(e.getMessage());
                    boolean transient_ = m.contains("not available yet")
                            || (m.contains("Command not found") || m.startsWith("unknown ") && m.contains("installed:"))
                            && !readiness.settled();
                    if (!transient_ || System.currentTimeMillis() > deadline) {
                        console.println("jgan: " + command + ": " + (e.getMessage() == null ? e : m));
                        if (debug()) {
                            e.printStackTrace(console);
                        }
                        return 1;
                    }
                    Thread.sleep(250);
                }
            }
        } catch (InterruptedException e) {
            return 1;
        }
    }

    /**
     * Starts the run, waiting while ND4J loads, and while plug-ins may still be registering: a component or preset
     * that is unknown once every bundle has started (and a moment after) is an error at once.
     */
    private static RunStatusDTO startWhenReady(TrainingService training, Arguments a, Readiness readiness)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        while (true) {
            try {
                return training.start(a.preset(), a.settings());
            } catch (IllegalStateException | IllegalArgumentException e) {
                boolean transient_ = e instanceof IllegalStateException && e.getMessage().contains("not available yet")
                        || e instanceof IllegalArgumentException && e.getMessage().startsWith("unknown ")
                                && e.getMessage().contains("installed:") && !readiness.settled();
                if (!transient_ || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }

    /**
     * Whether the runtime has settled: the framework is active, no bundle is still starting, and that has held for
     * {@value #SETTLE_MILLIS} ms (Declarative Services registers a started bundle's components right after it
     * starts). Until then an unknown component may still be on its way.
     */
    static final class Readiness {
        private final BundleContext context;
        private long settledSince = -1;

        Readiness(BundleContext context) {
            this.context = context;
        }

        boolean settled() {
            boolean quiet = context.getBundle(0).getState() == org.osgi.framework.Bundle.ACTIVE
                    && java.util.Arrays.stream(context.getBundles())
                            .noneMatch(b -> b.getState() == org.osgi.framework.Bundle.STARTING);
            long now = System.currentTimeMillis();
            if (!quiet) {
                settledSince = -1;
                return false;
            }
            if (settledSince < 0) {
                settledSince = now;
            }
            return now - settledSince >= SETTLE_MILLIS;
        }
    }

    static final long SETTLE_MILLIS = 3_000;

    /** The start level of the bundles started after a headless run's first iteration (runtime/jgan.bndrun). */
    static final int DEFERRED_LEVEL = 3;
    /** How long a headless run's first iteration may take before the deferred bundles start anyway. */
    static final long DEFERRED_MILLIS = 10_000;

    /** Felix HTTP's switch, which runtime/jgan sets to false for JGAN_HTTP_PORT=off. */
    static final String HTTP_ENABLE = "org.apache.felix.http.enable";

    /**
     * Whether the deferred bundles are due in a headless run that has done {@code done} iterations in this JVM,
     * {@code elapsedMillis} ms after it started.
     */
    static boolean deferredDue(long done, long elapsedMillis) {
        return done >= 1 || elapsedMillis >= DEFERRED_MILLIS;
    }

    /** Raises the framework to {@value #DEFERRED_LEVEL} (never lowers it), which starts the deferred bundles. */
    static void startDeferredBundles(BundleContext context) {
        FrameworkStartLevel levels = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION)
                .adapt(FrameworkStartLevel.class);
        if (levels != null && levels.getStartLevel() < DEFERRED_LEVEL) {
            levels.setStartLevel(DEFERRED_LEVEL);
        }
    }

    /**
     * Exits the JVM with the run's status. The launcher answers a framework stop with its own exit code, so the
     * JVM is ended directly; its shutdown stops the framework, and the run has finished and saved by then.
     */
    private static void exit(int code) {
        Thread t = new Thread(() -> System.exit(code), "jgan-exit");
        t.start();
    }

    /**
     * {@code JGAN_DEBUG=1} (runtime/jgan passes it as {@code -Djgan.debug=true}): one-line errors come with their stack
     * trace.
     */
    static boolean debug() {
        return Boolean.getBoolean("jgan.debug");
    }
}
