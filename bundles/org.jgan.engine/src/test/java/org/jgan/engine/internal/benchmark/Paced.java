package org.jgan.engine.internal.benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Two measuring processes that take turns: each prints a gate line ({@value #GATE}) and waits for a line on its
 * standard input before each block of its measured iterations ({@link #gate} in a JVM, {@code bench_gate.gate} in
 * the PyTorch ports), and {@link #alternate} lets one block of one run, then one of the other. So the two never run
 * at once, and the machine's drift over minutes falls on both alike.
 */
final class Paced {

    /** The line a process prints when it waits. */
    static final String GATE = "@@gate";

    private static BufferedReader stdin;

    final Process process;
    private final BufferedReader out;
    private final OutputStream in;
    /** Its output but the gate lines. */
    final List<String> lines = new ArrayList<>();

    Paced(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = process.getOutputStream();
    }

    /**
     * In the measuring process: before iteration {@code it}, when it begins a block of {@code block} measured
     * iterations (those from {@code warmup} on), prints the gate line and waits for a line on standard input; ends
     * the process when standard input has ended (the benchmark has gone). Nothing when {@code block} is 0.
     */
    static void gate(int it, int warmup, int block) {
        if (block <= 0 || it < warmup || (it - warmup) % block != 0) {
            return;
        }
        System.out.println(GATE);
        System.out.flush();
        try {
            if (stdin == null) {
                stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            }
            if (stdin.readLine() == null) {
                // the benchmark has gone: do not run on unpaced
                System.exit(2);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Ends the processes (those in the list when it fires) after {@code minutes}, unless the returned daemon thread is
     * interrupted first: a process that hangs cannot hold a benchmark that waits on its output.
     */
    static Thread deadline(long minutes, List<Process> processes) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(minutes * 60 * 1000L);
            } catch (InterruptedException e) {
                return;
            }
            processes.forEach(Process::destroyForcibly);
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Reads its output to its next gate (true) or its end (false). */
    boolean next() throws IOException {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.equals(GATE)) {
                return true;
            }
            lines.add(line);
        }
        return false;
    }

    /** Lets it run its next block; false when it ended instead of reaching another gate. */
    boolean go() throws IOException {
        try {
            in.write('\n');
            in.flush();
        } catch (IOException e) {
            // it has ended: its output says how
        }
        return next();
    }

    /**
     * Runs the two in turns from where each waits at its first gate ({@code firstWaits}, {@code secondWaits}: as
     * {@link #next} answered; {@code second} may be null) until both have ended: a block of the first, then one of
     * the second.
     */
    static void alternate(Paced first, boolean firstWaits, Paced second, boolean secondWaits) throws IOException {
        boolean a = firstWaits;
        boolean b = second != null && secondWaits;
        while (a || b) {
            a = a && first.go();
            b = b && second.go();
        }
    }
}
