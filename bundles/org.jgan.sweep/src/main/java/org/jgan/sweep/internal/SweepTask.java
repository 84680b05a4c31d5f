package org.jgan.sweep.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;

/**
 * One task of a sweep, in the runtime that executes it (a local launcher's child JVM, a Slurm array task, a
 * Kubernetes indexed job): trains manifest line I through the engine, which resumes the run from its checkpoint when
 * its folder has one and refuses it when another trainer holds the folder, then runs the spec's evaluation on it.
 * A completed run is not trained again; its evaluation is run when missing.
 */
final class SweepTask {

    private static final long POLL_MILLIS = 1000;
    /** Run states after which a run trains no more. */
    private static final Set<State> FINAL = EnumSet.of(State.COMPLETED, State.STOPPED, State.FAILED);

    private final TrainingService training;
    private final PrintStream out;

    SweepTask(TrainingService training, PrintStream out) {
        this.training = training;
        this.out = out;
    }

    /**
     * Trains and evaluates run {@code index} of the sweep in {@code folder}.
     *
     * @return one line: what was done
     * @throws IllegalStateException when the run failed or was stopped (the task's exit status is then 1)
     */
    String execute(SweepFolder folder, int index) throws IOException, InterruptedException {
        SweepFolder.Entry entry = folder.entry(index);
        SweepSpec spec = SweepSpec.parse(Files.readString(folder.spec()), folder.spec().toString());
        Path dir = folder.run(entry.name());
        RunState before = RunState.of(dir);
        String trained;
        if (before.phase() == RunState.Phase.COMPLETED) {
            trained = "run " + entry.name() + " had completed (it " + before.iteration() + ")";
        } else if (before.phase() == RunState.Phase.RUNNING) {
            // one trainer per folder: the other process finishes it (a sweep launched twice, or a shell)
            return "run " + entry.name() + " is being trained by another process; left to it";
        } else {
            trained = train(entry, dir, spec.name(), index);
        }
        if (spec.evaluate() != null) {
            RunState now = RunState.of(dir);
            if (!RunState.evaluatedAt(dir, now.iteration())) {
                out.println(training.evaluate(dir.toString(), spec.evaluate()));
                return trained + "; evaluated";
            }
            return trained + "; evaluated before";
        }
        return trained;
    }

    /** Starts the run of {@code entry} (resuming it when its folder has a checkpoint) and waits for its end. */
    private String train(SweepFolder.Entry entry, Path dir, String sweep, int index) throws InterruptedException {
        String preset = entry.arguments().isEmpty() || entry.arguments().get(0).contains("=") ? null
                : entry.arguments().get(0);
        Map<String, String> settings = new LinkedHashMap<>();
        for (String a : entry.arguments().subList(preset == null ? 0 : 1, entry.arguments().size())) {
            int eq = a.indexOf('=');
            settings.put(a.substring(0, eq), a.substring(eq + 1));
        }
        settings.put("outputDir", dir.toString());
        RunStatusDTO s = training.start(preset, settings);
        out.println("jgan: sweep " + sweep + ": task " + index + " trains run " + s.id + " in " + s.outputDir);
        Thread stopOnSignal = stopOnShutdown(s.id);
        Runtime.getRuntime().addShutdownHook(stopOnSignal);
        while (!FINAL.contains(s.state)) {
            Thread.sleep(POLL_MILLIS);
            s = training.status(s.id);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnSignal);
        } catch (IllegalStateException shuttingDown) {
            // the hook is stopping the run already
        }
        if (s.state != State.COMPLETED) {
            throw new IllegalStateException("run " + s.id + " " + s.state + (s.error == null ? "" : ": " + s.error));
        }
        return "run " + s.id + " " + s.summary;
    }

    /**
     * A SIGTERM (the local launcher ending, Slurm's scancel or time limit) ends the JVM; this hook first stops the run
     * at its next iteration boundary, which saves its checkpoint, losses and status, and waits for that (at most a
     * minute), so that the next attempt resumes where this one stopped.
     */
    private Thread stopOnShutdown(String id) {
        return new Thread(() -> {
            try {
                RunStatusDTO now = training.stop(id);
                long deadline = System.currentTimeMillis() + 60_000;
                while (!FINAL.contains(now.state) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                    now = training.status(id);
                }
                out.println("jgan: interrupted; run " + id + " " + now.summary);
            } catch (RuntimeException | InterruptedException e) {
                // the framework is stopping too; the engine's deactivation stops the run
                out.println("jgan: interrupted; could not stop run " + id + " here: " + e);
            }
        }, "jgan-sweep-stop-on-signal");
    }

    /**
     * Cross-test {@code index} of the sweep in {@code folder}, once both its runs have completed.
     *
     * @throws IllegalStateException when one of them has not completed
     */
    String crossTest(SweepFolder folder, int index) throws IOException {
        List<String> pair = folder.crossTest(index);
        SweepSpec spec = SweepSpec.parse(Files.readString(folder.spec()), folder.spec().toString());
        for (String run : pair) {
            RunState s = RunState.of(folder.run(run));
            if (s.phase() != RunState.Phase.COMPLETED) {
                throw new IllegalStateException("cross-test " + index + " needs run " + run + " completed; it is "
                        + s.phase().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return training.crossTest(folder.run(pair.get(0)).toString(), folder.run(pair.get(1)).toString(),
                spec.crossTest().options());
    }
}
