package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every random draw of a run comes from a stream keyed by (run seed, purpose, iteration, step), so a run is
 * reproducible and a resumed run draws exactly what the uninterrupted one would have.
 */
public final class Seeds {

    public static final long DATA = 1, LATENT = 2, FAKE_LABELS = 3, NOISE = 4, INIT = 5, EVAL = 6, FIXED_LATENT = 7;

    private Seeds() {
    }

    /** SplitMix64 finaliser: decorrelates neighbouring keys. */
    public static long mix(long... keys) {
        long h = 0x9E3779B97F4A7C15L;
        for (long k : keys) {
            h ^= k + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2);
            h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
            h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
            h ^= h >>> 31;
        }
        return h;
    }

    /** An array of the given shape of independent N(0, 1) draws. */
    public static INDArray gaussian(long seed, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        return fill(rng::nextGaussian, shape);
    }

    /** An array of the given shape of independent U[0, 1) draws. */
    public static INDArray uniform(long seed, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        return fill(rng::nextDouble, shape);
    }

    /**
     * Writes into {@code into} what {@link #gaussian} gives for its shape: the same draws in the same order, without a
     * new array (a step's inputs kept from step to step). {@code into}: a dense float array in C order.
     */
    public static INDArray gaussianInto(long seed, INDArray into) {
        SplittableRandom rng = new SplittableRandom(seed);
        return fillInto(rng::nextGaussian, into);
    }

    /** Writes into {@code into} what {@link #uniform} gives for its shape, as {@link #gaussianInto} does. */
    public static INDArray uniformInto(long seed, INDArray into) {
        SplittableRandom rng = new SplittableRandom(seed);
        return fillInto(rng::nextDouble, into);
    }

    private static INDArray fill(DoubleSupplier next, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) next.getAsDouble();
        }
        return Nd4j.create(v, shape, 'c');
    }

    private static INDArray fillInto(DoubleSupplier next, INDArray into) {
        if (!GraphPlan.denseFloats(into)) {
            throw new IllegalArgumentException("draws go into a dense float array in C order; got " + into.dataType()
                    + " " + Arrays.toString(into.shape()) + " with strides " + Arrays.toString(into.stride()));
        }
        FloatBuffer b = into.data().asNioFloat();
        int at = b.position();
        int n = (int) into.length();
        for (int i = 0; i < n; i++) {
            b.put(at + i, (float) next.getAsDouble());
        }
        Reference.reachabilityFence(into);
        return into;
    }

    /** {@code [rows, classes]} one-hot labels drawn uniformly. */
    public static INDArray oneHot(long seed, int rows, int classes) {
        return Nd4j.create(oneHotValues(seed, rows, classes), new long[] {rows, classes}, 'c');
    }

    /**
     * Writes into {@code into} ({@code [rows, classes]}, a dense float array in C order) what {@link #oneHot} gives
     * for its shape.
     */
    public static INDArray oneHotInto(long seed, INDArray into) {
        if (into.rank() != 2 || !GraphPlan.denseFloats(into)) {
            throw new IllegalArgumentException("one-hot labels go into a dense [rows, classes] float array; got "
                    + into.dataType() + " " + Arrays.toString(into.shape()));
        }
        int rows = Math.toIntExact(into.size(0));
        int classes = Math.toIntExact(into.size(1));
        GraphPlan.writeFloats(oneHotValues(seed, rows, classes), into, rows * classes);
        return into;
    }

    private static float[] oneHotValues(long seed, int rows, int classes) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[rows * classes];
        for (int r = 0; r < rows; r++) {
            v[r * classes + rng.nextInt(classes)] = 1f;
        }
        return v;
    }
}
