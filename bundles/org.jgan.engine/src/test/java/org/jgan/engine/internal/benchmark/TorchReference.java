package org.jgan.engine.internal.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a PyTorch reference script of {@code src/test/python} beside a benchmark, as a PyTorch user on Debian has it
 * ({@code python3-torch} on OpenBLAS, {@code OPENBLAS_NUM_THREADS=1} unless set, so that OpenBLAS's threads do not
 * fight torch's), and with glibc's allocator at its defaults: the benchmark JVMs run with runtime/jgan's
 * {@code MALLOC_MMAP_THRESHOLD_} and {@code MALLOC_TRIM_THRESHOLD_}, which the script does not inherit unless
 * {@code -Djgan.bench.torch.malloc=jgan} (PyTorch gains from them as well: docs/architectures.md).
 */
final class TorchReference {

    private TorchReference() {
    }

    /** Standard output of the script, or null (after printing why) when no python3 imports torch or it failed. */
    static String run(String script, String... args) throws InterruptedException {
        List<String> command = commandLine(script, args);
        if (command == null) {
            return null;
        }
        String out = command(jganMalloc(), command.toArray(new String[0]));
        if (out == null) {
            System.out.println("pytorch reference: " + script + " failed");
        }
        return out;
    }

    /**
     * Starts the script with its standard input and output piped (its errors discarded) and the environment variable
     * {@code JGAN_BENCH_BLOCK=block}, for a benchmark that paces it ({@code bench_gate.gate}); null (after printing
     * why) when no python3 imports torch or it cannot start.
     */
    static Process start(String script, int block, String... args) throws InterruptedException {
        List<String> command = commandLine(script, args);
        if (command == null) {
            return null;
        }
        ProcessBuilder b = builder(jganMalloc(), command.toArray(new String[0]))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        b.environment().put("JGAN_BENCH_BLOCK", String.valueOf(block));
        try {
            return b.start();
        } catch (IOException e) {
            System.out.println("pytorch reference: " + script + " did not start: " + e.getMessage());
            return null;
        }
    }

    private static boolean jganMalloc() {
        return "jgan".equals(System.getProperty("jgan.bench.torch.malloc"));
    }

    /** The command that runs the script (printing with which allocator settings), or null (after printing why). */
    private static List<String> commandLine(String script, String... args) throws InterruptedException {
        Path path = Path.of("src/test/python", script);
        // Debian's python3-torch lives under /usr/bin/python3, which a python3 earlier on the PATH may hide
        String python = null;
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            if (python == null && Files.exists(path) && command(false, candidate, "-c", "import torch") != null) {
                python = candidate;
            }
        }
        if (python == null) {
            System.out.println("pytorch reference: skipped (no python3 can import torch; apt-get install python3-torch "
                    + "libopenblas0-pthread)");
            return null;
        }
        List<String> command = new ArrayList<>(List.of(python, path.toString()));
        command.addAll(List.of(args));
        System.out.println("pytorch reference: " + script + " with glibc's allocator "
                + (jganMalloc() ? "as runtime/jgan sets it"
                        : "at its defaults (-Djgan.bench.torch.malloc=jgan: as runtime/jgan sets it)"));
        return command;
    }

    /**
     * A process builder for the command: {@code OPENBLAS_NUM_THREADS=1} unless set, glibc's allocator at its defaults
     * unless {@code jganMalloc}.
     */
    private static ProcessBuilder builder(boolean jganMalloc, String... command) {
        ProcessBuilder b = new ProcessBuilder(command);
        // OpenBLAS's own threads inside torch's would oversubscribe the cores (../shared/NOTES.md)
        b.environment().putIfAbsent("OPENBLAS_NUM_THREADS", "1");
        // paced only when start() says so: a script run to its end must not wait at a gate
        b.environment().remove("JGAN_BENCH_BLOCK");
        if (!jganMalloc) {
            b.environment().remove("MALLOC_MMAP_THRESHOLD_");
            b.environment().remove("MALLOC_TRIM_THRESHOLD_");
        }
        return b;
    }

    /**
     * Standard output of a command that exited 0 within 10 minutes, else null; glibc's allocator at its defaults
     * unless {@code jganMalloc}. The output goes to a file while it runs, so that a command that hangs without
     * closing its output is still ended at the deadline.
     */
    private static String command(boolean jganMalloc, String... command) throws InterruptedException {
        Process p;
        java.nio.file.Path out;
        try {
            out = java.nio.file.Files.createTempFile("jgan-torch-", ".out");
            p = builder(jganMalloc, command).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(out.toFile()).start();
        } catch (IOException e) {
            return null;
        }
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return java.nio.file.Files.readString(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        } finally {
            try {
                java.nio.file.Files.deleteIfExists(out);
            } catch (IOException ignored) {
                // a temporary file left behind
            }
        }
    }
}
