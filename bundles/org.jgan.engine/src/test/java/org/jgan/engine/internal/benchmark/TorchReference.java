package org.jgan.engine.internal.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a PyTorch reference script of {@code src/test/python} beside a benchmark, as a PyTorch user on Debian has it
 * ({@code python3-torch} on OpenBLAS, {@code OPENBLAS_NUM_THREADS=1} unless set, so that OpenBLAS's threads do not
 * fight torch's), and with glibc's allocator at its defaults: the benchmark JVMs run with runtime/jgan's
 * {@code MALLOC_MMAP_THRESHOLD_} and {@code MALLOC_TRIM_THRESHOLD_}, which the script does not inherit unless
 * {@code -Djgan.bench.torch.malloc=jgan} (PyTorch gains from them as well: docs/architectures.md). Where OpenBLAS
 * does not know the CPU and runs its Prescott (SSE3) kernels on a CPU with AVX, AVX2 or AVX-512, the script gets the
 * {@code OPENBLAS_CORETYPE} that the CPU's features warrant ({@link #coreTypeFor}), unless one is set.
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
        if (coreType == null) {
            coreType = coreTypeOf(python);
        }
        List<String> command = new ArrayList<>(List.of(python, path.toString()));
        command.addAll(List.of(args));
        System.out.println("pytorch reference: " + script + " with glibc's allocator "
                + (jganMalloc() ? "as runtime/jgan sets it"
                        : "at its defaults (-Djgan.bench.torch.malloc=jgan: as runtime/jgan sets it)"));
        return command;
    }

    /** The {@code OPENBLAS_CORETYPE} the scripts get: null until probed, empty for none. */
    private static volatile String coreType;

    /**
     * The core type the reference's OpenBLAS should run, or "" for the one it chooses: asks the python's OpenBLAS
     * which core it chose ({@code OPENBLAS_VERBOSE=2} prints "Core: X" when it loads), reads the CPU's flags from
     * {@code /proc/cpuinfo}, and prints what it decided.
     */
    private static String coreTypeOf(String python) throws InterruptedException {
        if (System.getenv("OPENBLAS_CORETYPE") != null) {
            System.out.println("pytorch reference: OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE") + " (set)");
            return "";
        }
        String detected;
        Path out = null;
        Process p = null;
        try {
            out = Files.createTempFile("jgan-torch-", ".core");
            ProcessBuilder b = builder(false, python, "-c", "import torch; torch.ones(8, 8) @ torch.ones(8, 8)")
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            b.environment().put("OPENBLAS_VERBOSE", "2");
            p = b.start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                System.out.println("pytorch reference: its OpenBLAS core not known (the probe ran past 2 minutes)");
                return "";
            }
            detected = detectedCore(Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            System.out.println("pytorch reference: its OpenBLAS core not known (" + e.getMessage() + ")");
            return "";
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            try {
                if (out != null) {
                    Files.deleteIfExists(out);
                }
            } catch (IOException ignored) {
                // a temporary file left behind
            }
        }
        Map<String, String> cpu;
        try {
            cpu = cpuInfo(Files.readAllLines(Path.of("/proc/cpuinfo")));
        } catch (IOException e) {
            System.out.println("pytorch reference: OpenBLAS core " + detected + "; the CPU's flags not known ("
                    + e.getMessage() + ")");
            return "";
        }
        Set<String> flags = new HashSet<>(Arrays.asList(cpu.getOrDefault("flags", "").split("\\s+")));
        String type = coreTypeFor(detected, flags);
        if (type != null) {
            System.out.println("pytorch reference: OpenBLAS chose its " + detected + " kernels on this CPU ("
                    + cpu.get("model name") + ", family " + cpu.get("cpu family") + " model " + cpu.get("model")
                    + "), which its table lacks: OPENBLAS_CORETYPE=" + type + ", as the CPU's features warrant");
            return type;
        }
        System.out.println("pytorch reference: " + (detected == null
                ? "no OpenBLAS core reported (torch may not use OpenBLAS)" : "OpenBLAS core " + detected));
        return "";
    }

    /** The core OpenBLAS says it chose in what it printed with {@code OPENBLAS_VERBOSE=2} ("Core: X"), or null. */
    static String detectedCore(String printed) {
        Matcher m = Pattern.compile("(?m)^Core: (\\w+)").matcher(printed);
        return m.find() ? m.group(1) : null;
    }

    /** The first processor's entries of {@code /proc/cpuinfo} ("model name", "flags", ...), by key. */
    static Map<String, String> cpuInfo(List<String> lines) {
        Map<String, String> cpu = new HashMap<>();
        for (String line : lines) {
            if (line.isBlank() && !cpu.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                cpu.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return cpu;
    }

    /**
     * The {@code OPENBLAS_CORETYPE} that a CPU with these {@code /proc/cpuinfo} flags warrants where OpenBLAS chose
     * {@code detected}, or null to keep OpenBLAS's choice. OpenBLAS's runtime dispatch (DYNAMIC_ARCH) falls back to
     * its Prescott (SSE3) kernels for a CPU model missing from its table: Debian 12's OpenBLAS 0.3.21 on Intel's
     * family 6 model 207 (Emerald Rapids, with AVX-512 and AMX) ran sgemm at 31 GFLOP/s on one thread against 149
     * with {@code OPENBLAS_CORETYPE=Cooperlake}, and PyTorch's DCGAN step took 1.5-2x as long. The choice goes by
     * the features OpenBLAS's kernels need: Cooperlake's AVX-512 with BF16, SkylakeX's AVX-512 (F, CD, BW, DQ,
     * VL), Haswell's AVX2 with FMA, Sandybridge's AVX.
     */
    static String coreTypeFor(String detected, Set<String> flags) {
        if (!"Prescott".equalsIgnoreCase(detected)) {
            return null;
        }
        boolean avx512 = flags.containsAll(Set.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"));
        if (avx512 && flags.contains("avx512_bf16")) {
            return "Cooperlake";
        }
        if (avx512) {
            return "SkylakeX";
        }
        if (flags.containsAll(Set.of("avx2", "fma"))) {
            return "Haswell";
        }
        return flags.contains("avx") ? "Sandybridge" : null;
    }

    /**
     * A process builder for the command: {@code OPENBLAS_NUM_THREADS=1} unless set, the core type probed
     * ({@link #coreTypeOf}) unless one is set, glibc's allocator at its defaults unless {@code jganMalloc}.
     */
    private static ProcessBuilder builder(boolean jganMalloc, String... command) {
        ProcessBuilder b = new ProcessBuilder(command);
        // OpenBLAS's own threads inside torch's would oversubscribe the cores (../shared/NOTES.md)
        b.environment().putIfAbsent("OPENBLAS_NUM_THREADS", "1");
        if (coreType != null && !coreType.isEmpty()) {
            b.environment().putIfAbsent("OPENBLAS_CORETYPE", coreType);
        }
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
