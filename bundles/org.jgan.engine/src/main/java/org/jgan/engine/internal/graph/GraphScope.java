package org.jgan.engine.internal.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.Options;
import org.jgan.api.Reparametrization;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** One network's parameters inside one graph, bound to the run's {@link ParameterStore}. */
public final class GraphScope implements NetworkScope {

    /** A reparametrization with its options. */
    public record Reparam(Reparametrization component, Options options) {
    }

    /** A buffer and the graph variable whose value it takes after each training step. */
    public record BufferUpdate(String buffer, String newValue) {
    }

    /** Creates (or returns) a random graph input that the engine feeds: N(0, 1), or U[0, 1) when uniform. */
    @FunctionalInterface
    public interface RandomInputs {
        SDVariable input(String placeholder, long[] shape, boolean uniform);
    }

    private final SameDiff sd;
    private final Side side;
    private final boolean training;
    private final ParameterStore store;
    private final List<Reparam> reparams;
    private final Map<String, SDVariable> effectiveWeights = new HashMap<>();
    private final Map<String, Map.Entry<ParamKind, SDVariable>> created = new LinkedHashMap<>();
    private final Map<String, INDArray> substitutes;
    private final List<BufferUpdate> bufferUpdates = new ArrayList<>();
    private RandomInputs randoms;
    private Kinks kinks = Kinks.PLAIN;
    private final List<String> masks = new ArrayList<>();

    /**
     * How the piecewise-linear ops built through {@link #relu}, {@link #leakyRelu} and {@link #abs} are evaluated.
     * A gradient penalty's graphs come in pairs built by the same calls: a RECORD graph evaluates the plain ops and
     * also outputs each op's mask (its slope at every element), a FROZEN graph multiplies each op's input by a mask
     * fed as a placeholder, in the same order. Fed the masks a RECORD graph output at X, a FROZEN graph is the
     * network linearized in its kinks at X: equal to it wherever no pre-activation changes sign, and piecewise-linear
     * ops contribute no error to a finite difference around X.
     */
    public enum Kinks { PLAIN, RECORD, FROZEN }

    public GraphScope(SameDiff sd, Side side, boolean training, ParameterStore store, List<Reparam> reparams) {
        this(sd, side, training, store, reparams, Map.of());
    }

    /**
     * @param substitutes arrays to bind in place of the store's parameters of the same full name (the EMA weights
     *                    in the sampling graph)
     */
    public GraphScope(SameDiff sd, Side side, boolean training, ParameterStore store, List<Reparam> reparams,
            Map<String, INDArray> substitutes) {
        this.substitutes = substitutes;
        this.sd = sd;
        this.side = side;
        this.training = training;
        this.store = store;
        this.reparams = reparams;
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
        String full = ParameterStore.prefix(side) + name;
        INDArray value = store.param(full, init, shape);
        SDVariable raw = bind(full, substitutes.getOrDefault(full, value));
        created.putIfAbsent(name, Map.entry(kind, raw));
        if (kind != ParamKind.WEIGHT || reparams.isEmpty()) {
            return raw;
        }
        // Reparametrize once per graph, so a network applied twice (real and fake) shares the effective weight.
        return effectiveWeights.computeIfAbsent(full, n -> {
            SDVariable w = raw;
            for (Reparam r : reparams) {
                w = r.component().apply(this, name, w, r.options());
            }
            return w;
        });
    }

    /** Lets the network ask for random inputs ({@link #noise}, {@link #uniform}) that {@code randoms} creates. */
    public GraphScope withRandomInputs(RandomInputs randoms) {
        this.randoms = randoms;
        return this;
    }

    /** Builds the piecewise-linear ops as {@code kinks} says (PLAIN unless set). */
    public GraphScope withKinks(Kinks kinks) {
        this.kinks = kinks;
        return this;
    }

    /**
     * In a RECORD graph the mask outputs, in a FROZEN graph the mask placeholders, one per piecewise-linear op in
     * the order the network built them.
     */
    public List<String> masks() {
        return masks;
    }

    /**
     * ReLU as {@code x * m} with the slope mask {@code m = [x > 0]}, which has no gradient (a comparison): the same
     * values and the same gradient {@code g * m} as ND4J's {@code relu} op, whose backward pass
     * ({@code thresholdedrelu_bp}) took about 2.8 ms per call on DCGAN's {@code [64, 64, 14, 14]} against well under
     * a millisecond for the mask's ops and the product's backward pass.
     */
    @Override
    public SDVariable relu(SDVariable x) {
        return kink(x, () -> x.mul(reluMask(x, x.dataType())), () -> reluMask(x, DataType.FLOAT), true);
    }

    private SDVariable reluMask(SDVariable x, DataType type) {
        return sd.gt(x, 0.0).castTo(type);
    }

    /**
     * LeakyReLU as {@code x * m} with the slope mask {@code m = slope + (1 - slope) [x > 0]} (1 where x > 0, slope
     * elsewhere, as {@code lrelu_bp} takes it), which has no gradient: the same values and gradient as ND4J's
     * {@code leakyrelu} op, whose forward and backward passes took 2.6 and 3.9 ms on a {@code [64, 64, 14, 14]} array
     * that a multiply takes 0.2 ms for.
     */
    @Override
    public SDVariable leakyRelu(SDVariable x, double slope) {
        return kink(x, () -> x.mul(leakyMask(x, slope, x.dataType())),
                () -> leakyMask(x, slope, DataType.FLOAT), true);
    }

    private SDVariable leakyMask(SDVariable x, double slope, DataType type) {
        return reluMask(x, type).mul(1 - slope).add(slope);
    }

    @Override
    public SDVariable abs(SDVariable x) {
        return kink(x, () -> sd.math.abs(x), () -> sd.math.sign(x), false);
    }

    /**
     * @param product whether the plain op is {@code x} times its mask (ReLU, LeakyReLU): a RECORD graph then
     *                multiplies a float input by the mask it outputs instead of computing the mask twice
     */
    private SDVariable kink(SDVariable x, Supplier<SDVariable> plain, Supplier<SDVariable> mask, boolean product) {
        switch (kinks) {
            case RECORD -> {
                if (product && x.dataType() == DataType.FLOAT) {
                    SDVariable m = mask.get();
                    masks.add(m.name());
                    return x.mul(m);
                }
                SDVariable out = plain.get();
                masks.add(mask.get().name());
                return out;
            }
            case FROZEN -> {
                // no fixed shape: the mask has the shape of x, whatever it is
                SDVariable m = sd.placeHolder("kink/mask" + masks.size(), DataType.FLOAT, (long[]) null);
                masks.add(m.name());
                return x.mul(m);
            }
            default -> {
                return plain.get();
            }
        }
    }

    @Override
    public SDVariable noise(String name, long... shape) {
        return random(name, shape, false);
    }

    @Override
    public SDVariable uniform(String name, long... shape) {
        return random(name, shape, true);
    }

    private SDVariable random(String name, long[] shape, boolean uniform) {
        if (randoms == null) {
            return uniform ? NetworkScope.super.uniform(name, shape) : NetworkScope.super.noise(name, shape);
        }
        return randoms.input(ParameterStore.prefix(side) + "random/" + (uniform ? "uniform/" : "noise/") + name, shape, uniform);
    }

    @Override
    public Map<String, SDVariable> parameters(ParamKind kind) {
        Map<String, SDVariable> out = new LinkedHashMap<>();
        created.forEach((n, e) -> {
            if (kind == null || e.getKey() == kind) {
                out.put(n, e.getValue());
            }
        });
        return out;
    }

    @Override
    public SDVariable buffer(String name, Initializer init, long... shape) {
        String full = ParameterStore.prefix(side) + "buffer/" + name;
        return bind(full, store.buffer(full, init, shape));
    }

    @Override
    public void updateBuffer(SDVariable buffer, SDVariable newValue) {
        if (training) {
            bufferUpdates.add(new BufferUpdate(buffer.name(), newValue.name()));
        }
    }

    public List<BufferUpdate> bufferUpdates() {
        return bufferUpdates;
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
