package org.jgan.sweep.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The local launcher: trains a sweep's runs as child processes of the runtime script ({@code runtime/jgan sweep
 * task DIR I}), {@code parallel} at a time in manifest order, each with {@code OMP_NUM_THREADS=threads} and its
 * console appended to {@code logs/task-I.log}. When this process is told to end (Ctrl-C, SIGTERM) or its command
 * is interrupted, the children are sent SIGTERM, on which each stops its run at an iteration boundary and saves it,
 * and are waited for; starting the sweep again resumes them.
 */
final class LocalLauncher {

    private static final long CHILD_GRACE_SECONDS = 90;

    private final Path script;
    private final SweepFolder folder;
    private final int parallel;
    private final int threads;
    private final PrintStream out;
    private final Set<Process> children = ConcurrentHashMap.newKeySet();

    LocalLauncher(Path script, SweepFolder folder, int parallel, int threads, PrintStream out) {
        this.script = script;
        this.folder = folder;
        this.parallel = parallel;
        this.threads = threads;
        this.out = out;
    }

    /**
     * A task for a child process: its name on the console, the arguments after the script, its log, and, read after
     * the process ended, what became of its work: null when it failed, else the word for the console.
     */
    record Job(String name, List<String> args, Path log, java.util.function.Supplier<String> done) {
    }

    /** Trains run {@code r} (and evaluates it when the spec asks). */
    static Job train(SweepFolder folder, SweepRun r) {
        Path log = folder.log(r.index());
        return new Job(r.name(), List.of("sweep", "task", folder.relativeDir(), Integer.toString(r.index())), log,
                () -> switch (RunState.of(folder.run(r.name())).phase()) {
                    case COMPLETED -> "completed";
                    // another process held the folder: the task left the run to it
                    case RUNNING -> "left to the process that trains it";
                    default -> null;
                });
    }

    /** Cross-tests a pair of completed runs. */
    static Job crossTest(SweepFolder folder, CrossPair p) {
        Path log = folder.crossTestLog(p.index());
        return new Job("cross-test " + p.a().name() + " vs " + p.b().name(), List.of("sweep", "crosstest",
                folder.relativeDir(), Integer.toString(p.index())), log,
                () -> Files.exists(p.result(folder)) ? "completed" : null);
    }

    /** Runs {@code jobs}; the number of them that failed. */
    int launch(String sweep, List<Job> runs) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> new Thread(r, "jgan-sweep-" + sweep));
        Thread stopChildren = new Thread(this::stopChildren, "jgan-sweep-stop");
        Runtime.getRuntime().addShutdownHook(stopChildren);
        AtomicInteger started = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Job r : runs) {
                done.add(pool.submit(() -> {
                    if (!train(sweep, r, started.incrementAndGet(), runs.size())) {
                        failed.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failed.incrementAndGet();
                    out.println("jgan: sweep " + sweep + ": " + e.getCause());
                }
            }
        } catch (InterruptedException e) {
            stopChildren();
            throw e;
        } finally {
            pool.shutdownNow();
            try {
                Runtime.getRuntime().removeShutdownHook(stopChildren);
            } catch (IllegalStateException shuttingDown) {
                // the hook is stopping the children already
            }
        }
        return failed.get();
    }

    private boolean train(String sweep, Job r, int k, int n) throws IOException, InterruptedException {
        Path log = r.log();
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(r.args());
        ProcessBuilder pb = new ProcessBuilder(command).directory(folder.work().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        long t0 = System.nanoTime();
        out.println("jgan: sweep " + sweep + ": [" + k + "/" + n + "] " + r.name() + " started (log "
                + folder.work().relativize(log) + ")");
        Process p = pb.start();
        children.add(p);
        int code;
        try {
            code = p.waitFor();
        } finally {
            children.remove(p);
        }
        String took = duration(System.nanoTime() - t0);
        String done = r.done().get();
        if (code == 0 && done != null) {
            out.println("jgan: sweep " + sweep + ": " + r.name() + " " + done + " in " + took);
            return true;
        }
        out.println("jgan: sweep " + sweep + ": " + r.name() + " failed after " + took + " (exit " + code + "): "
                + lastError(log, r.args().get(1).equals("task") ? RunState.of(folder.run(r.name()))
                        : new RunState(RunState.Phase.PENDING, 0, 0, null)));
        return false;
    }

    /** The run's error, else the task's last "jgan:" line. */
    static String lastError(Path log, RunState s) {
        if (s.error() != null) {
            return s.error();
        }
        try {
            List<String> lines = Files.readAllLines(log);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("jgan: ")) {
                    return lines.get(i).substring(6);
                }
            }
            return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "no log " + log;
        }
    }

    private void stopChildren() {
        children.forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_GRACE_SECONDS);
        for (Process p : children) {
            try {
                p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static String duration(long nanos) {
        Duration d = Duration.ofNanos(nanos);
        return d.toMinutes() > 0 ? d.toMinutes() + "m" + String.format("%02d", d.toSecondsPart()) + "s"
                : d.toSeconds() + "s";
    }
}
