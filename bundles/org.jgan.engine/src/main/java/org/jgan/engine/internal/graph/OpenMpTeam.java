package org.jgan.engine.internal.graph;

import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The calling thread's OpenMP team, set to one thread around a call too small to share between two and set back
 * after it.
 * <p>
 * oneDNN's {@code dnnl_sgemm} runs on libgomp's team (two threads on two cores; one runtime with libnd4j's). On
 * products of about 2^20 multiply-adds the second thread costs more than it brings: the ring MLP's hidden layer at
 * batch 64, {@code [64, 128] x [128, 128]}, took 12.6-14.3 microseconds a call on one thread and 12.9-19.9 on two,
 * {@code [128, 64] x [64, 128]} (its weight gradient) 13.5-14.0 against 18.1-20.1 (loops of 10,000 calls, three
 * rounds, 2-core Zen 5); smaller products oneDNN already runs on one thread (the same times either way), and from
 * 2^21 on two threads win ({@code [128, 128] x [128, 128]} 22-24 against 25-26, {@code [32, 512] x [512, 512]} 52
 * against 86). See {@link Gemm#ALONE_MACS}.
 * <p>
 * The team's size is an internal control variable of the calling thread's data environment (OpenMP's
 * {@code nthreads-var}, set by {@code omp_set_num_threads}, which libnd4j's {@code setOmpNumThreads} calls): setting it
 * on one thread leaves every other thread's calls as they were ({@code OpenMpTeamTest} checks it).
 */
final class OpenMpTeam {

    private static final NativeOps OPS = NativeOpsHolder.getInstance().getDeviceNativeOps();

    private OpenMpTeam() {
    }

    /** The calling thread's team size for its next parallel regions. */
    static int size() {
        return OPS.ompGetMaxThreads();
    }

    /**
     * Sets the calling thread's team to one thread; the size before, for {@link #restore} (0 where it was one
     * already: nothing to restore).
     */
    static int alone() {
        int before = OPS.ompGetMaxThreads();
        if (before <= 1) {
            return 0;
        }
        OPS.setOmpNumThreads(1);
        return before;
    }

    /** Sets the calling thread's team back to what {@link #alone} returned (nothing for 0). */
    static void restore(int before) {
        if (before > 1) {
            set(before);
        }
    }

    /** Sets the calling thread's team size for its next parallel regions. */
    static void set(int threads) {
        OPS.setOmpNumThreads(threads);
    }
}
