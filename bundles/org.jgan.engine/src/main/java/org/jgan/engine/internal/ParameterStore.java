package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.Initializer;
import org.jgan.api.Side;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The single home of a run's trainable parameters and state buffers. Every graph of the run binds its variables to
 * these arrays, and updates happen in place, so the graphs share weights without copying.
 */
final class ParameterStore {

    private final long seed;
    private final Map<String, INDArray> params = new LinkedHashMap<>();
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();

    ParameterStore(long seed) {
        this.seed = seed;
    }

    static String prefix(Side side) {
        return side == Side.GENERATOR ? "g/" : "d/";
    }

    /** Gets or creates a parameter; the initial value depends only on the run seed and the name. */
    INDArray param(String fullName, Initializer init, long[] shape) {
        return getOrCreate(params, fullName, init, shape);
    }

    INDArray buffer(String fullName, Initializer init, long[] shape) {
        return getOrCreate(buffers, fullName, init, shape);
    }

    private INDArray getOrCreate(Map<String, INDArray> map, String name, Initializer init, long[] shape) {
        INDArray existing = map.get(name);
        if (existing != null) {
            if (!Arrays.equals(existing.shape(), shape)) {
                throw new IllegalArgumentException("parameter '" + name + "' was created with shape "
                        + Arrays.toString(existing.shape()) + " and is requested with shape " + Arrays.toString(shape));
            }
            return existing;
        }
        INDArray created = init.create(shape, new SplittableRandom(Seeds.mix(seed, Seeds.INIT, name.hashCode())));
        if (!Arrays.equals(created.shape(), shape)) {
            throw new IllegalArgumentException("initializer of '" + name + "' returned shape "
                    + Arrays.toString(created.shape()) + ", expected " + Arrays.toString(shape));
        }
        INDArray value = created.castTo(DataType.FLOAT).dup('c');
        map.put(name, value);
        return value;
    }

    /** Trainable parameter names of one player, in creation order. */
    List<String> names(Side side) {
        List<String> out = new ArrayList<>();
        for (String n : params.keySet()) {
            if (n.startsWith(prefix(side))) {
                out.add(n);
            }
        }
        return out;
    }

    Map<String, INDArray> params() {
        return params;
    }

    Map<String, INDArray> buffers() {
        return buffers;
    }

    /** The parameters of one player by name, for constraints. */
    Map<String, INDArray> params(Side side) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String n : names(side)) {
            out.put(n, params.get(n));
        }
        return out;
    }

    long count(Side side) {
        long n = 0;
        for (String name : names(side)) {
            n += params.get(name).length();
        }
        return n;
    }
}
