package org.jgan.engine.internal.model;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jgan.engine.internal.graph.GraphPlan;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The arrays a graph's steps feed to the inputs the engine fills itself (the latent batch, the noise inputs, a G
 * step's labels, the terms' weights, the model's option values) and those it offers the dataset for the data batch
 * and its labels ({@code DataSource.sample(batchSize, seed, into)}), kept from step to step and written in place.
 * <p>
 * A plan binds the same arrays call after call, except where a placeholder is fed a new one ({@code GraphPlan}): a new
 * array per step brings new native shape information (JavaCPP pointers registered with deallocators, each reading
 * {@code /proc/self/statm}), views made anew of it where an op takes it in another shape ({@code Broadcasts}), and op
 * contexts bound again. In StyleGAN's iteration (its per-layer noise inputs) that was 80 of the 122 native pointers
 * an iteration registered, freed only after a collection, when their deallocation takes the cores from libnd4j's
 * threads. Written in place, the values are the same draws ({@code Seeds#gaussianInto}).
 * <p>
 * An array is kept per input while the type and shape asked for stay the same. Nothing outside a step may keep a fed
 * array: the next step writes over it. Not thread-safe: one per graph, whose steps run one at a time.
 */
final class FeedArrays {

    /** Whether arrays are kept: {@code -Djgan.model.keepFeeds=false} makes a new array at every step, as before. */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.model.keepFeeds"));

    private final Map<String, INDArray> arrays = new HashMap<>();
    private long made;

    /** Keeps arrays (true, the default) or makes new ones at each step (tests, benchmarks); the setting before. */
    static boolean enable(boolean on) {
        boolean before = enabled;
        enabled = on;
        return before;
    }

    /**
     * Whether steps write into kept arrays; when not, they draw into new arrays as before the arrays were kept (the
     * ops that make them: {@code Seeds.gaussian}, {@code Nd4j.scalar}), for comparisons.
     */
    static boolean enabled() {
        return enabled;
    }

    /**
     * The array to write {@code input}'s values into: the one kept for it when of this type and shape, else a new one
     * (kept from now on), dense in C order and outside any workspace.
     */
    INDArray of(String input, DataType type, long... shape) {
        INDArray a = arrays.get(input);
        if (a != null && a.dataType() == type && Arrays.equals(a.shape(), shape)) {
            return a;
        }
        a = Nd4j.createUninitializedDetached(type, shape);
        made++;
        arrays.put(input, a);
        return a;
    }

    /** A float scalar holding {@code value} rounded to float, as {@code Nd4j.scalar(DataType.FLOAT, value)} does. */
    INDArray scalar(String input, double value) {
        INDArray a = of(input, DataType.FLOAT);
        GraphPlan.writeFloats(new float[] {(float) value}, a, 1);
        return a;
    }

    /** Arrays made here so far: one per input and shape. */
    long made() {
        return made;
    }
}
