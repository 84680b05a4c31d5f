package org.jgan.engine.internal.benchmark;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jgan.api.Side;
import org.jgan.engine.internal.ProcStatus;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Time per iteration (one D step and one G step) of the DCGAN at 28x28, batch 64, base width 64, non-saturating
 * loss, with whichever ND4J native build this JVM loaded (also each measured iteration in the order they ran, and
 * the garbage collections among them), and the process's peak memory: resident (VmHWM, heap and native arrays
 * together) and the Java heap's part (peak of the heap pools). Prints
 * figures; asserts nothing about time. When {@code python3} can import {@code torch}, it then runs the same network
 * in PyTorch ({@code src/test/python/dcgan_torch.py}) and prints its figures beside these.
 * <p>
 * Run with {@code mvn -B -pl bundles/org.jgan.engine -Pbenchmark test -Dtest=DcganSpeedBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}, adding {@code -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx2}
 * or {@code -onednn-avx512} for a oneDNN build (surefire hands Maven's user properties to the test JVM).
 */
@Tag("benchmark")
class DcganSpeedBenchmark {

    /**
     * Warm-up iterations: 60, or {@code -Djgan.bench.warmup=N}. Until about the 50th iteration HotSpot's C2 compiler
     * compiles SameDiff's Java code and takes one of the cores from ND4J's OpenMP threads, which then wait for each
     * other: iterations around the 30th take 2-4 times the median (with C1 only, {@code -XX:TieredStopAtLevel=1},
     * there is no such burst, and every iteration is slower). A training run passes that point in its first seconds.
     */
    private static final int WARMUP = Integer.getInteger("jgan.bench.warmup", 60);
    /** Measured iterations: 60, or {@code -Djgan.bench.iterations=N}. */
    private static final int MEASURED = Integer.getInteger("jgan.bench.iterations", 60);
    /**
     * Rounds: 1, or {@code -Djgan.bench.rounds=R}: jgan's measured iterations and the PyTorch reference alternate R
     * times, and the ratio is the median of the rounds' ratios. On a shared machine whose speed drifts by 10-20%
     * within minutes, one jgan measurement and one PyTorch measurement a minute apart can differ by that much.
     */
    private static final int ROUNDS = Integer.getInteger("jgan.bench.rounds", 1);
    /**
     * The network: base width 64, batch 64, latent 100, no regularizer, or {@code -Djgan.bench.width=W},
     * {@code -Djgan.bench.batch=B}, {@code -Djgan.bench.latent=L} (PyTorch's reference runs the same) and
     * {@code -Djgan.bench.regularizers=r1} (the iteration with regularizers; the per-op profile then still lists the
     * loss graphs' ops only, not those of a penalty's own graphs; PyTorch's reference is left out, since
     * {@code PenaltyBenchmark} compares penalties).
     */
    private static final String WIDTH = System.getProperty("jgan.bench.width", "64");
    private static final String BATCH = System.getProperty("jgan.bench.batch", "64");
    private static final String LATENT = System.getProperty("jgan.bench.latent", "100");
    private static final String REGULARIZERS = System.getProperty("jgan.bench.regularizers", "");

    /** The benchmark's run settings (the DCGAN of PyTorch's {@code dcgan_torch.py}). */
    static Map<String, String> settings() {
        return Map.of("architecture", "dcgan", "architecture.channels", WIDTH, "dataset", "test-images",
                "dataset.size", "28", "dataset.channels", "1", "batchSize", BATCH, "latent", LATENT, "metrics", "none",
                "regularizers", REGULARIZERS, "dataset.pool", ArchitectureSpeedBenchmark.DATA_POOL);
    }

    @Test
    void millisecondsPerIterationAndPeakMemory() throws Exception {
        IsaLimits.print();
        RunSpec spec = RunSpec.parse(settings(), TestCatalog.create(), "dcgan-bench");
        GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        List<Double> times = new ArrayList<>();
        // -Djgan.bench.profile=N: the N ops (and op shapes) that take the most time, over the measured iterations
        int profileTop = Integer.getInteger("jgan.bench.profile", 0);
        OpProfile profile = new OpProfile();
        for (int it = 0; it < WARMUP; it++) {
            m.discriminatorStep(it, 0);
            m.generatorStep(it);
        }
        if (profileTop > 0) {
            m.listen(profile);
        }
        long gcCountBefore = gcCount();
        long gcMillisBefore = gcMillis();
        List<Double> ratios = new ArrayList<>();
        int it = WARMUP;
        for (int r = 0; r < ROUNDS; r++) {
            List<Double> round = new ArrayList<>();
            for (int i = 0; i < MEASURED; i++, it++) {
                long t0 = System.nanoTime();
                m.discriminatorStep(it, 0);
                m.generatorStep(it);
                round.add((System.nanoTime() - t0) / 1e6);
            }
            times.addAll(round);
            if (ROUNDS > 1) {
                Collections.sort(round);
                Double torch = pytorchReference();
                double jganMedian = round.get(round.size() / 2);
                System.out.printf(Locale.ROOT, "round %d: jgan median %.1f ms, pytorch %s%n", r + 1, jganMedian,
                        torch == null ? "-" : String.format(Locale.ROOT, "%.1f ms, jgan / pytorch %.2fx", torch,
                                jganMedian / torch));
                if (torch != null) {
                    ratios.add(jganMedian / torch);
                }
            }
        }
        long gcs = gcCount() - gcCountBefore;
        long gcMs = gcMillis() - gcMillisBefore;
        // in the order they ran: whether the slow iterations come in bursts, at intervals or at random
        StringBuilder order = new StringBuilder();
        times.forEach(t -> order.append(String.format(Locale.ROOT, " %.0f", t)));
        System.out.println("jgan iterations in order (ms):" + order);
        Collections.sort(times);
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
            }
        }
        String extension = System.getProperty("org.bytedeco.javacpp.platform.extension", "");
        Object blas = Nd4j.getExecutioner().getEnvironmentInformation().get("blas.vendor");
        double median = times.get(times.size() / 2);
        double mean = times.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        // p90: the time 90% of the measured iterations stay within (nearest rank)
        double p90 = times.get((int) Math.ceil(0.9 * times.size()) - 1);
        System.out.printf(Locale.ROOT, "jgan dcgan 28x28 batch %s channels %s latent %s%s (G %d, D %d parameters), "
                + "native build linux-x86_64%s, BLAS %s, %d threads: median %.1f ms/iteration (mean %.1f, p90 %.1f = "
                + "%.2fx the median, min %.1f, max %.1f, %d measured); peak resident %d MB, of which Java heap at most "
                + "%d MB; %d garbage collections in the measured iterations, %d ms; malloc: %s%n",
                BATCH, WIDTH, LATENT, REGULARIZERS.isEmpty() ? "" : " regularizers " + REGULARIZERS,
                m.parameterCount(Side.GENERATOR), m.parameterCount(Side.DISCRIMINATOR), extension, blas,
                Runtime.getRuntime().availableProcessors(), median, mean, p90, p90 / median, times.get(0),
                times.get(times.size() - 1), times.size(), ProcStatus.kilobytes("VmHWM") >> 10, heapPeak >> 20,
                gcs, gcMs, ProcStatus.malloc());
        double blasPeak = sgemmPeak(false);
        double opPeak = sgemmPeak(true);
        double peak = Math.max(blasPeak, opPeak);
        System.out.printf(Locale.ROOT, "sgemm peak through ND4J (n = %d, %d threads): %.1f GFLOP/s (libnd4j's matmul "
                + "op, as the graphs' products run: %.1f; ND4J's BLAS wrapper, %s: %.1f)%n", SGEMM_N,
                Runtime.getRuntime().availableProcessors(), peak, opPeak, blas, blasPeak);
        if (profileTop > 0) {
            System.out.print(profile.report(MEASURED * ROUNDS, profileTop));
            double gflop = profile.flopsPerIteration(MEASURED * ROUNDS) / 1e9;
            System.out.printf(Locale.ROOT, "dense ops at the median iteration: %.2f GFLOP in %.1f ms, %.1f GFLOP/s, "
                    + "%.0f%% of the sgemm peak%n", gflop, median, gflop / median * 1e3, 100 * gflop / median * 1e3 / peak);
        }
        if (ROUNDS > 1) {
            if (!ratios.isEmpty()) {
                Collections.sort(ratios);
                System.out.printf(Locale.ROOT, "jgan / pytorch: %.2fx the median time (median of %d alternating "
                        + "rounds' ratios, %.2f-%.2fx)%n", medianOfRounds(ratios), ratios.size(),
                        ratios.get(0), ratios.get(ratios.size() - 1));
            }
            return;
        }
        Double torch = pytorchReference();
        if (torch != null) {
            System.out.printf(Locale.ROOT, "jgan / pytorch: %.2fx the median time%n", median / torch);
        }
    }

    private static long gcCount() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
    }

    /** Side of the square matrices whose product measures the sgemm peak. */
    private static final int SGEMM_N = 4096;

    /**
     * GFLOP/s of ND4J's float matrix product on two n x n matrices: the best of 3 after one warm-up. Through libnd4j's
     * {@code matmul} op ({@code op}; oneDNN's on the oneDNN builds, where the training graphs' 2-D products run) or
     * ND4J's BLAS wrapper ({@code INDArray.mmuli}: the BLAS library's {@code cblas_sgemm}, OpenBLAS's in these builds).
     * The two differ by the library's kernels: on an Intel Xeon of family 6 model 207 (Emerald Rapids) the OpenBLAS
     * 0.3.19 of ND4J's builds does not know the model and runs its Prescott kernels, 34-59 GFLOP/s, while the op
     * reached 248-310 GFLOP/s (docs/architectures.md). The wrapper's result is in F order, which it writes without
     * a copy; earlier sessions' peak was the wrapper's alone, on a C-order result.
     */
    private static double sgemmPeak(boolean op) {
        INDArray a = Nd4j.rand(DataType.FLOAT, SGEMM_N, SGEMM_N);
        INDArray b = Nd4j.rand(DataType.FLOAT, SGEMM_N, SGEMM_N);
        INDArray c = Nd4j.create(DataType.FLOAT, new long[] {SGEMM_N, SGEMM_N}, op ? 'c' : 'f');
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            long t0 = System.nanoTime();
            if (op) {
                Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            } else {
                a.mmuli(b, c);
            }
            long t = System.nanoTime() - t0;
            if (i > 0) {
                best = Math.min(best, t);
            }
        }
        a.close();
        b.close();
        c.close();
        return 2.0 * SGEMM_N * SGEMM_N * SGEMM_N / best;
    }

    /** Runs the PyTorch reference and prints its line; returns its median ms per iteration, or null. */
    private static Double pytorchReference() throws InterruptedException {
        if (!REGULARIZERS.isEmpty()) {
            return null;
        }
        String out = TorchReference.run("dcgan_torch.py", String.valueOf(WARMUP), String.valueOf(MEASURED),
                String.valueOf(Runtime.getRuntime().availableProcessors()), "width=" + WIDTH, "batch=" + BATCH,
                "latent=" + LATENT);
        if (out == null) {
            return null;
        }
        System.out.println(out.trim());
        Matcher median = Pattern.compile("median ([0-9.]+) ms").matcher(out);
        return median.find() ? Double.valueOf(median.group(1)) : null;
    }

    /** The median of the rounds' ratios; of an even number of rounds, the mean of the middle two. */
    static double medianOfRounds(List<Double> ratios) {
        List<Double> sorted = ratios.stream().sorted().toList();
        int n = sorted.size();
        return (sorted.get(n / 2) + sorted.get((n - 1) / 2)) / 2;
    }
}
