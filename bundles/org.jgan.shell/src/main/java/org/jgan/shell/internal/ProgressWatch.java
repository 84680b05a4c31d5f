package org.jgan.shell.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;

/**
 * The live progress view of {@code gan:watch}: prints a run's progress line (state, iteration, rate, ETA, losses,
 * metrics) every interval until the run completes, fails or is stopped, the user presses Enter, or the watching
 * thread is interrupted (what Ctrl-C does in a Gogo shell with a terminal that maps it, e.g. over SSH or JLine).
 * Watching never touches the run.
 */
final class ProgressWatch {

    /** States a run does not leave. */
    static final Set<State> FINAL = Set.of(State.COMPLETED, State.FAILED, State.STOPPED);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** Waits between two lines. */
    interface Pause {
        /** Waits {@code millis}; returns true when the user asked to stop watching (pressed Enter) meanwhile. */
        boolean await(long millis) throws InterruptedException;
    }

    /** Waits in slices of at most 100 ms; a line typed on {@code keyboard} (Enter) ends the view and is consumed. */
    static Pause keyboard(InputStream keyboard) {
        return millis -> {
            long deadline = System.nanoTime() + millis * 1_000_000;
            while (true) {
                try {
                    if (keyboard != null && keyboard.available() > 0) {
                        keyboard.skip(keyboard.available());
                        return true;
                    }
                } catch (IOException closed) {
                    // no keyboard: only the run's end or an interrupt ends the view
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // rounded up, so the pause lasts at least its time
                Thread.sleep(Math.min((left + 999_999) / 1_000_000, 100));
            }
        };
    }

    private ProgressWatch() {
    }

    /**
     * Prints {@code status}'s line now and after every {@code intervalMillis} until the run is in a final state,
     * the pause reports that the user asked to stop, or it is interrupted (the interrupt flag is set again), then one
     * closing line.
     *
     * @return the last status seen
     * @throws IllegalArgumentException from the first status call (an unknown run)
     */
    static RunStatusDTO follow(Supplier<RunStatusDTO> status, PrintStream out, long intervalMillis, Pause pause) {
        RunStatusDTO s = status.get();
        while (true) {
            out.println(line(s));
            if (FINAL.contains(s.state)) {
                out.println(s.id + " " + s.state + "; output: " + s.outputDir);
                return s;
            }
            boolean asked;
            try {
                asked = pause.await(intervalMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                asked = true;
            }
            if (asked) {
                out.println("stopped watching " + s.id + "; the run goes on (" + s.state + ")");
                return s;
            }
            try {
                s = status.get();
            } catch (IllegalArgumentException gone) {
                out.println("stopped watching " + s.id + ": " + gone.getMessage());
                return s;
            }
        }
    }

    /** One progress line: the time, the run and its summary. */
    static String line(RunStatusDTO s) {
        return LocalTime.now().format(TIME) + "  " + s.id + "  " + s.summary;
    }

    /** The run to watch when none is named: the only one not finished. */
    static String onlyActive(String command, List<RunStatusDTO> runs) {
        List<RunStatusDTO> active = runs.stream().filter(r -> !FINAL.contains(r.state)).toList();
        if (active.size() == 1) {
            return active.get(0).id;
        }
        String all = runs.isEmpty() ? "none"
                : String.join(", ", runs.stream().map(r -> r.id + " (" + r.state + ")").toList());
        throw new IllegalArgumentException(command + ": " + (active.isEmpty() ? "no run is going" : active.size()
                + " runs are going") + "; expected a run id; runs: " + all);
    }

    /** The interval option in milliseconds (seconds, 0.1 to 3600). */
    static long intervalMillis(ExploreArguments a, double defaultSeconds) {
        double seconds = a.doubleValue("interval", defaultSeconds);
        if (!(seconds >= 0.1 && seconds <= 3600)) {
            throw new IllegalArgumentException(a.command() + ": interval is '" + a.options().get("interval")
                    + "'; expected seconds in [0.1, 3600]");
        }
        return Math.round(seconds * 1000);
    }
}
