package org.jgan.engine.internal.benchmark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Pointer;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.run.TrainingRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Memory of one long-lived runtime over many runs (prints figures; not a CI gate): 12 small mixture runs one after
 * another, then 6 at once, as in a shell session ({@code gan:start name=mN iterations=1500
 * architecture.hidden=64}). After each run completes it prints the resident size, the committed Java heap and what
 * lies outside it (ND4J's native arrays, the native libraries, the JVM's own memory). Target: resident size after
 * the last run at most 1.3x that after the first, and the memory outside the heap back within 10% of its figure
 * after the first run.
 *
 * <pre>
 * mvn -B -pl bundles/org.jgan.engine -Pbenchmark test -Dtest=RunMemoryBenchmark -Djgan.bench.iterations=1500
 * </pre>
 */
@Tag("benchmark")
class RunMemoryBenchmark {

    private static final long DEADLINE_MILLIS = 30 * 60_000;

    private static String figures() {
        Runtime rt = Runtime.getRuntime();
        long resident = Pointer.physicalBytes();
        return String.format(Locale.ROOT, "resident %6.0f MB  heap committed %5.0f MB  outside the heap %6.0f MB",
                resident / 1e6, rt.totalMemory() / 1e6, (resident - rt.totalMemory()) / 1e6);
    }

    private static TrainingRun run(Path dir, String name, int iterations) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "iterations",
                Integer.toString(iterations), "architecture.hidden", "64", "outputDir", dir.resolve(name).toString()));
        return new TrainingRun(RunSpec.parse(raw, TestCatalog.create(), name), Map.of());
    }

    private static void train(List<TrainingRun> runs) throws InterruptedException {
        for (TrainingRun r : runs) {
            new Thread(r, "jgan-run-" + r.id()).start();
        }
        for (TrainingRun r : runs) {
            if (!r.awaitFinished(DEADLINE_MILLIS)) {
                throw new AssertionError("run " + r.id() + " did not finish: " + r.status().summary);
            }
            System.out.printf(Locale.ROOT, "%-4s %-9s %s%n", r.id(), r.status().state, figures());
        }
    }

    @Test
    void manyRunsInOneRuntime() throws Exception {
        int iterations = Integer.getInteger("jgan.bench.iterations", 1500);
        Path dir = Files.createTempDirectory("jgan-memory-bench");
        System.out.println("RunMemoryBenchmark: " + iterations + " iterations per run, " + Runtime.getRuntime()
                .availableProcessors() + " cores");
        org.nd4j.linalg.factory.Nd4j.create(1);
        // before any run most of the committed heap is untouched, so only the resident size means something here
        System.out.printf(Locale.ROOT, "%-14s resident %6.0f MB%n", "start", Pointer.physicalBytes() / 1e6);
        for (int i = 1; i <= 12; i++) {
            train(List.of(run(dir, "m" + i, iterations)));
        }
        List<TrainingRun> together = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            together.add(run(dir, "p" + i, iterations));
        }
        train(together);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
