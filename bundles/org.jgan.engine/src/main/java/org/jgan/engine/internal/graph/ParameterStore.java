package org.jgan.engine.internal.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.Initializer;
import org.jgan.api.Side;
import org.jgan.engine.internal.memory.ByteSize;
import org.jgan.engine.internal.memory.MemoryBudget;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The single home of a run's trainable parameters and state buffers. Every graph of the run binds its variables to
 * these arrays, and updates happen in place, so the graphs share weights without copying.
 */
public final class ParameterStore {

    /**
     * The bytes a run's parameters may take with their training state, and how many 4-byte copies of each parameter
     * a training step holds (see GanModel's allowance), plus an EMA copy of generator weights.
     */
    public record Allowance(long bytes, int copies, boolean ema, String budget) {
        public static final Allowance UNLIMITED = new Allowance(Long.MAX_VALUE, 1, false, "unlimited");

        int copies(String name) {
            return copies + (ema && name.startsWith(prefix(Side.GENERATOR)) ? 1 : 0);
        }
    }

    private final long seed;
    private final Allowance allowance;
    private final Map<String, INDArray> params = new LinkedHashMap<>();
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();
    /** Bytes of the parameters and buffers created so far, with their copies. */
    private double committed;

    public ParameterStore(long seed) {
        this(seed, Allowance.UNLIMITED);
    }

    public ParameterStore(long seed, Allowance allowance) {
        this.seed = seed;
        this.allowance = allowance;
    }

    public static String prefix(Side side) {
        return side == Side.GENERATOR ? "g/" : "d/";
    }

    /** Gets or creates a parameter; the initial value depends only on the run seed and the name. */
    INDArray param(String fullName, Initializer init, long[] shape) {
        return getOrCreate(params, fullName, init, shape, allowance.copies(fullName));
    }

    INDArray buffer(String fullName, Initializer init, long[] shape) {
        return getOrCreate(buffers, fullName, init, shape, 1);
    }

    private INDArray getOrCreate(Map<String, INDArray> map, String name, Initializer init, long[] shape, int copies) {
        INDArray existing = map.get(name);
        if (existing != null) {
            if (!Arrays.equals(existing.shape(), shape)) {
                throw new IllegalArgumentException("parameter '" + name + "' was created with shape "
                        + Arrays.toString(existing.shape()) + " and is requested with shape " + Arrays.toString(shape));
            }
            return existing;
        }
        reserve(name, shape, copies);
        INDArray created = init.create(shape, new SplittableRandom(Seeds.mix(seed, Seeds.INIT, name.hashCode())));
        if (!Arrays.equals(created.shape(), shape)) {
            throw new IllegalArgumentException("initializer of '" + name + "' returned shape "
                    + Arrays.toString(created.shape()) + ", expected " + Arrays.toString(shape));
        }
        INDArray value = created.castTo(DataType.FLOAT).dup('c');
        if (created != value && created.closeable()) {
            created.close();
        }
        map.put(name, value);
        return value;
    }

    /**
     * Counts a new array against the allowance before it is allocated.
     *
     * @throws IllegalArgumentException naming the array, the estimate and the budget, when it would not fit or is
     *                                  larger than an ND4J array can be
     */
    private void reserve(String name, long[] shape, int copies) {
        double elements = 1;
        for (long d : shape) {
            elements *= d;
        }
        double need = committed + 4 * elements * copies;
        if (need > allowance.bytes()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "the run's parameters with their "
                    + "gradients, optimizer state and copies would take at least %s (reached at parameter '%s' of shape %s), "
                    + "more than the %s left of the memory budget (%s); expected a smaller network (e.g. "
                    + "architecture.hidden or architecture.channels) or a larger budget (-D%s=...)",
                    ByteSize.format((long) need), name, Arrays.toString(shape),
                    ByteSize.format(allowance.bytes()), allowance.budget(), MemoryBudget.PROPERTY));
        }
        if (elements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "parameter '%s' of shape %s has %.3g "
                    + "elements; expected at most %d (the largest ND4J array): a smaller network (e.g. "
                    + "architecture.hidden or architecture.channels)", name, Arrays.toString(shape), elements,
                    Integer.MAX_VALUE));
        }
        committed = need;
    }

    /** Trainable parameter names of one player, in creation order. */
    public List<String> names(Side side) {
        List<String> out = new ArrayList<>();
        for (String n : params.keySet()) {
            if (n.startsWith(prefix(side))) {
                out.add(n);
            }
        }
        return out;
    }

    public Map<String, INDArray> params() {
        return params;
    }

    public Map<String, INDArray> buffers() {
        return buffers;
    }

    /** The parameters of one player by name, for constraints. */
    public Map<String, INDArray> params(Side side) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String n : names(side)) {
            out.put(n, params.get(n));
        }
        return out;
    }

    public long count(Side side) {
        long n = 0;
        for (String name : names(side)) {
            n += params.get(name).length();
        }
        return n;
    }
}
