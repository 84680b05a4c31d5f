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
 * fight torch's).
 */
final class TorchReference {

    private TorchReference() {
    }

    /** Standard output of the script, or null (after printing why) when no python3 imports torch or it failed. */
    static String run(String script, String... args) throws InterruptedException {
        Path path = Path.of("src/test/python", script);
        // Debian's python3-torch lives under /usr/bin/python3, which a python3 earlier on the PATH may hide
        String python = null;
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            if (python == null && Files.exists(path) && command(candidate, "-c", "import torch") != null) {
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
        String out = command(command.toArray(new String[0]));
        if (out == null) {
            System.out.println("pytorch reference: " + script + " failed");
        }
        return out;
    }

    /**
     * Standard output of a command that exited 0 within 10 minutes, else null. The output goes to a file while it
     * runs, so that a command that hangs without closing its output is still ended at the deadline.
     */
    private static String command(String... command) throws InterruptedException {
        Process p;
        java.nio.file.Path out;
        try {
            out = java.nio.file.Files.createTempFile("jgan-torch-", ".out");
            ProcessBuilder b = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(out.toFile());
            // OpenBLAS's own threads inside torch's would oversubscribe the cores (../shared/NOTES.md)
            b.environment().putIfAbsent("OPENBLAS_NUM_THREADS", "1");
            p = b.start();
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
