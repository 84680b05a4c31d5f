package org.jgan.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A network scope as the engine's, for unit tests of architectures and layers: parameters and buffers live in a
 * {@link Store} shared by every graph built on it, named with a per-network prefix ({@code g/}, {@code d/}); buffer
 * updates are recorded for the test to apply with {@link #applyUpdates}, random inputs for it to feed with
 * {@link #feedRandoms}.
 */
public final class TestScope implements NetworkScope {

    /** Arrays shared by the graphs of one test, as the engine's ParameterStore. */
    public static final class Store {
        public final Map<String, INDArray> params = new LinkedHashMap<>();
        public final Map<String, ParamKind> kinds = new LinkedHashMap<>();
        public final Map<String, INDArray> buffers = new LinkedHashMap<>();
    }

    public final SameDiff sd;
    public final Side side;
    public final boolean training;
    public final Store store;
    public final Map<String, SDVariable> created = new LinkedHashMap<>();
    /** (buffer, new value) pairs registered by updateBuffer. */
    public final List<SDVariable[]> updates = new ArrayList<>();

    public TestScope(SameDiff sd, Side side, boolean training, Store store) {
        this.sd = sd;
        this.side = side;
        this.training = training;
        this.store = store;
    }

    public static String prefix(Side side) {
        return side == Side.GENERATOR ? "g/" : "d/";
    }

    @Override
    public SameDiff sd() {
        return sd;
    }

    @Override
    public Side network() {
        return side;
    }

    @Override
    public boolean training() {
        return training;
    }

    @Override
    public SDVariable param(String name, ParamKind kind, Initializer init, long... shape) {
        String full = prefix(side) + name;
        INDArray a = getOrCreate(store.params, full, init, shape);
        store.kinds.put(full, kind);
        SDVariable v = bind(full, a);
        created.put(full, v);
        return v;
    }

    @Override
    public Map<String, SDVariable> parameters(ParamKind kind) {
        Map<String, SDVariable> out = new LinkedHashMap<>();
        created.forEach((n, v) -> {
            if (kind == null || store.kinds.get(n) == kind) {
                out.put(n.substring(2), v);
            }
        });
        return out;
    }

    @Override
    public SDVariable buffer(String name, Initializer init, long... shape) {
        String full = prefix(side) + "buffer/" + name;
        return bind(full, getOrCreate(store.buffers, full, init, shape));
    }

    @Override
    public void updateBuffer(SDVariable buffer, SDVariable newValue) {
        if (training) {
            updates.add(new SDVariable[] {buffer, newValue});
        }
    }

    /** Random inputs asked for with noise() and uniform(): placeholder name -> shape (-1: batch), uniform or not. */
    public final Map<String, Map.Entry<long[], Boolean>> randoms = new LinkedHashMap<>();

    @Override
    public SDVariable noise(String name, long... shape) {
        return random(prefix(side) + "noise/" + name, shape, false);
    }

    @Override
    public SDVariable uniform(String name, long... shape) {
        return random(prefix(side) + "uniform/" + name, shape, true);
    }

    private SDVariable random(String placeholder, long[] shape, boolean uniform) {
        if (sd.hasVariable(placeholder)) {
            return sd.getVariable(placeholder);
        }
        randoms.put(placeholder, Map.entry(shape.clone(), uniform));
        return sd.placeHolder(placeholder, org.nd4j.linalg.api.buffer.DataType.FLOAT, shape);
    }

    /** Adds draws for every random input to a feed, as the engine does. */
    public void feedRandoms(Map<String, INDArray> feed, long batch, long seed) {
        org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(seed);
        randoms.forEach((name, e) -> {
            long[] s = e.getKey().clone();
            for (int i = 0; i < s.length; i++) {
                s[i] = s[i] < 0 ? batch : s[i];
            }
            feed.put(name, e.getValue() ? org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, s)
                    : org.nd4j.linalg.factory.Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, s));
        });
    }

    /** Evaluates the registered new values and assigns them, as the engine does after a training step. */
    public void applyUpdates(Map<String, INDArray> feed) {
        List<String> names = new ArrayList<>();
        updates.forEach(u -> names.add(u[1].name()));
        Map<String, INDArray> values = sd.output(feed, names.toArray(new String[0]));
        updates.forEach(u -> store.buffers.get(u[0].name()).assign(values.get(u[1].name())));
    }

    private static INDArray getOrCreate(Map<String, INDArray> map, String name, Initializer init, long[] shape) {
        INDArray a = map.computeIfAbsent(name, n -> init.create(shape, new SplittableRandom(n.hashCode())));
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(a.shape()) + ", requested "
                    + Arrays.toString(shape));
        }
        return a;
    }

    private SDVariable bind(String full, INDArray array) {
        if (sd.hasVariable(full)) {
            return sd.getVariable(full);
        }
        SDVariable v = sd.var(full, array);
        if (sd.getArrForVarName(full) != array) {
            sd.associateArrayWithVariable(array, v);
        }
        return v;
    }
}
