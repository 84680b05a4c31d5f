package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A small array added into or copied into another in place, in Java: {@code into += from} and {@code into = from}
 * with the bits of libnd4j's {@code addi} and {@code assign} (a float sum rounded once; a copy).
 * <p>
 * Each of ND4J's {@code addi} and {@code assign} builds an op, validates its shapes and runs it through an op context:
 * on a 2-core Zen 5, 17 microseconds for a {@code [128]} add and 13 for a {@code [128, 128]} one, where a loop over
 * the buffers takes 0.05 and 3.4 (past about 2^16 elements libnd4j's threads win: {@code [1024, 1024]} 96 against 275
 * microseconds). On the ring MLP the penalty's gradients added into the D step's took 9% of R1's D step (JFR). Arrays
 * of up to {@link #SMALL} floats, dense in C order (a view at an offset is fine), of one shape and not overlapping
 * unless they are the same memory, take the loop; any other goes to ND4J as before.
 */
public final class InPlace {

    /** Elements up to which the loop runs; above, libnd4j's op (its threads). */
    static final long SMALL = 1 << 16;

    /** Elements per chunk: two arrays of 16 KB. */
    private static final int CHUNK = 4096;

    /** Whether small arrays take the loop; {@code -Djgan.graph.javaInPlace=false}: ND4J's ops always. */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.javaInPlace"));

    /** Calls that took the loop, process-wide (tests check that it ran). */
    private static final LongAdder LOOPS = new LongAdder();

    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[2][CHUNK]);

    private InPlace() {
    }

    /** {@code into += from}; {@code into}. */
    public static INDArray add(INDArray into, INDArray from) {
        if (!small(into, from)) {
            return into.addi(from);
        }
        FloatBuffer a = into.data().asNioFloat();
        FloatBuffer b = from.data().asNioFloat();
        float[][] w = WORK.get();
        float[] x = w[0];
        float[] y = w[1];
        int n = (int) into.length();
        int at = a.position();
        int bt = b.position();
        for (int start = 0; start < n; start += CHUNK) {
            int k = Math.min(CHUNK, n - start);
            a.get(at + start, x, 0, k);
            b.get(bt + start, y, 0, k);
            for (int i = 0; i < k; i++) {
                x[i] += y[i];
            }
            a.put(at + start, x, 0, k);
        }
        Reference.reachabilityFence(from);
        Reference.reachabilityFence(into);
        LOOPS.increment();
        return into;
    }

    /** {@code into = from}; {@code into}. */
    public static INDArray copy(INDArray into, INDArray from) {
        if (!small(into, from)) {
            return into.assign(from);
        }
        FloatBuffer a = into.data().asNioFloat();
        FloatBuffer b = from.data().asNioFloat();
        float[] x = WORK.get()[0];
        int n = (int) into.length();
        int at = a.position();
        int bt = b.position();
        for (int start = 0; start < n; start += CHUNK) {
            int k = Math.min(CHUNK, n - start);
            b.get(bt + start, x, 0, k);
            a.put(at + start, x, 0, k);
        }
        Reference.reachabilityFence(from);
        Reference.reachabilityFence(into);
        LOOPS.increment();
        return into;
    }

    /** Calls that took the loop so far, process-wide. */
    public static long loops() {
        return LOOPS.sum();
    }

    /** Sets whether small arrays take the loop from now on; the setting before (tests and benchmarks). */
    public static boolean enable(boolean on) {
        boolean before = enabled;
        enabled = on;
        return before;
    }

    /**
     * Whether the loop can take the pair: both dense floats in C order, of one shape, at most {@link #SMALL}
     * elements, and either the same memory or apart.
     */
    private static boolean small(INDArray into, INDArray from) {
        if (!enabled || into.length() > SMALL || !Arrays.equals(into.shape(), from.shape())
                || !GraphPlan.denseFloats(into) || !GraphPlan.denseFloats(from)) {
            return false;
        }
        long a = into.data().addressPointer().address();
        long b = from.data().addressPointer().address();
        long bytes = 4 * into.length();
        return a == b || a + bytes <= b || b + bytes <= a;
    }
}
