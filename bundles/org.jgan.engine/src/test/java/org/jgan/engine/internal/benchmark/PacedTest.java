package org.jgan.engine.internal.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Paced} with two real processes, a JVM that waits at {@link Paced#gate} (as the measuring JVM of
 * {@link ArchitectureSpeedBenchmark} does) and a Python process that waits at {@code bench_gate.gate} (as the
 * PyTorch ports do), each writing its iterations to one shared log: the order of the log is the order in which they
 * ran. Each warms up alone, then they take turns block by block, never both at once.
 */
class PacedTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void warmUpsAloneThenBlocksInTurn() {
        List<String> log = assertTimeoutPreemptively(DEADLINE, () -> run(2, 6, 6, 2));
        assertEquals(List.of("J0", "J1", "P0", "P1", "J2", "J3", "P2", "P3", "J4", "J5", "P4", "P5", "J6", "J7", "P6",
                "P7"), log);
    }

    @Test
    void theOtherRunsOnWhenOneEndsFirst() {
        // the JVM measures 2 iterations (one block), the Python process 6
        List<String> log = assertTimeoutPreemptively(DEADLINE, () -> run(2, 2, 6, 2));
        assertEquals(List.of("J0", "J1", "P0", "P1", "J2", "J3", "P2", "P3", "P4", "P5", "P6", "P7"), log);
    }

    @Test
    void withoutABlockNothingWaits() {
        // block 0: neither prints a gate, and each runs to its end with its standard input open and unread
        List<String> log = assertTimeoutPreemptively(DEADLINE, () -> {
            Path file = dir.resolve("log");
            Paced j = new Paced(jvm(file, 2, 3, 0));
            assertTrue(!j.next(), "a process that was given no block waited at a gate: " + j.lines);
            assertEquals(0, j.process.waitFor(), "child JVM: " + j.lines);
            Paced p = new Paced(python(file, 2, 3, 0));
            assertTrue(!p.next(), "a process that was given no block waited at a gate: " + p.lines);
            assertEquals(0, p.process.waitFor(), "python: " + p.lines);
            return Files.readAllLines(file);
        });
        assertEquals(List.of("J0", "J1", "J2", "J3", "J4", "P0", "P1", "P2", "P3", "P4"), log);
    }

    /** A process whose benchmark has gone (its standard input ended) stops at its gate instead of running on. */
    @Test
    void aGateWithoutItsBenchmarkEndsTheProcess() {
        List<String> log = assertTimeoutPreemptively(DEADLINE, () -> {
            Path file = dir.resolve("log");
            for (int side = 0; side < 2; side++) {
                // one after the other: the JVM, then the Python process
                Process process = side == 0 ? jvm(file, 2, 4, 2) : python(file, 2, 4, 2);
                Paced c = new Paced(process);
                assertTrue(c.next(), "no first gate: " + c.lines);
                process.getOutputStream().close();
                assertEquals(2, process.waitFor(), "exit status at a gate without a benchmark: " + c.lines);
            }
            return Files.readAllLines(file);
        });
        assertEquals(List.of("J0", "J1", "P0", "P1"), log);
    }

    /** Runs the JVM and the Python process paced as {@code ArchitectureSpeedBenchmark.paced} does; the log. */
    private List<String> run(int warmup, int jganMeasured, int torchMeasured, int block) throws Exception {
        Path file = dir.resolve("log");
        Paced j = new Paced(jvm(file, warmup, jganMeasured, block));
        Paced p = null;
        try {
            boolean jWaits = j.next();
            assertTrue(jWaits, "the child JVM ended before its first gate: " + j.lines);
            assertEquals(List.of("J0", "J1"), Files.readAllLines(file), "the JVM's warm-up, alone");
            p = new Paced(python(file, warmup, torchMeasured, block));
            boolean pWaits = p.next();
            assertTrue(pWaits, "the Python process ended before its first gate: " + p.lines);
            Paced.alternate(j, jWaits, p, pWaits);
            assertEquals(0, j.process.waitFor(), "child JVM: " + j.lines);
            assertEquals(0, p.process.waitFor(), "python: " + p.lines);
            return Files.readAllLines(file);
        } finally {
            j.process.destroyForcibly();
            if (p != null) {
                p.process.destroyForcibly();
            }
        }
    }

    private static Process jvm(Path file, int warmup, int measured, int block) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Child.class.getName(),
                file.toString(), String.valueOf(warmup), String.valueOf(measured), String.valueOf(block))
                .redirectErrorStream(true).start();
    }

    private static Process python(Path file, int warmup, int measured, int block) throws IOException {
        String python = python();
        Assumptions.assumeTrue(python != null, "no python3");
        String program = String.join("\n",
                "import sys",
                "sys.path.insert(0, 'src/test/python')",
                "from bench_gate import gate",
                "path, warmup, measured = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])",
                "for it in range(warmup + measured):",
                "    gate(it, warmup)",
                "    with open(path, 'a') as f:",
                "        f.write('P%d\\n' % it)");
        ProcessBuilder b = new ProcessBuilder(python, "-c", program, file.toString(), String.valueOf(warmup),
                String.valueOf(measured)).redirectErrorStream(true);
        b.environment().put("JGAN_BENCH_BLOCK", String.valueOf(block));
        return b.start();
    }

    /** A python3 that runs (Debian's first), or null. */
    private static String python() {
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            try {
                if (new ProcessBuilder(candidate, "-c", "pass").start().waitFor() == 0) {
                    return candidate;
                }
            } catch (IOException | InterruptedException e) {
                // not this one
            }
        }
        return null;
    }

    /** A measuring process's loop: its gate, then its "iteration" appended to the log. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            Path file = Path.of(args[0]);
            int warmup = Integer.parseInt(args[1]);
            int measured = Integer.parseInt(args[2]);
            int block = Integer.parseInt(args[3]);
            for (int it = 0; it < warmup + measured; it++) {
                Paced.gate(it, warmup, block);
                Files.writeString(file, "J" + it + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
        }
    }
}
