package org.jgan.engine.internal.graph;

import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The calling thread's OpenMP team, set to one thread around a call too small to share between two and set back
 * after it.
 * <p>
 * oneDNN's {@code dnnl_sgemm} runs on libgomp's team (two threads on two cores; one runtime with libnd4j's). Where a
 * product's matrices are small and already in cache, the second thread costs more than it brings, above all between
 * Java kernels, as in the ring MLP's iteration: there its {@code [128, 128] x [128, 128]} products (Roth et al.'s
 * stacked groups) took 62-142 microseconds a call on two threads and 23-36 on one, {@code [64, 128] x [128, 128]}
 * 13.1-15.8 on one (each timed in the iteration, 2-core Zen 5). In a loop of the product alone two threads lose less or
 * win ({@code [128, 64] x [64, 128]} 18.1-20.1 against 13.5-14.0 on one; {@code [128, 128] x [128, 128]} 17.6-26.4
 * against 20.4-22.5; {@code [256, 128] x [128, 128]} 31-32 against 43). In the convolutional networks' iterations the
 * products that read megabytes (the tall {@code [8192, 32] x [32, 8]} of a modulated convolution, 47-65 against
 * 96-121; a {@code [1, 32] x [32, 32768]} row, 116 against 159) gain from the second thread's share of the memory
 * traffic. {@link Gemm#ALONE_FLOATS} draws the line by the matrices' size.
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
