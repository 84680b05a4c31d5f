package org.jgan.engine.internal.model;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jgan.api.Side;
import org.jgan.engine.internal.config.RunSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.jgan.engine.internal.folder.Checkpoint.BUFFER;
import static org.jgan.engine.internal.folder.Checkpoint.EMA;
import static org.jgan.engine.internal.folder.Checkpoint.OPTIMIZER;
import static org.jgan.engine.internal.folder.Checkpoint.PARAM;

/**
 * What a run trains and saves besides its graphs: the parameters and buffers ({@link ParameterStore}), each player's
 * optimizer with its state and step count, and the exponential moving average of the generator's parameters. It
 * writes and reads the checkpoint's arrays (the entries named in {@link Checkpoint}).
 */
final class TrainingState {

    private final ParameterStore store;
    private final Map<Side, Optimizer> optimizers = new EnumMap<>(Side.class);
    /** Exponential moving average of the generator's parameters (empty when off), bound in the sampling graph. */
    private final Map<String, INDArray> ema = new LinkedHashMap<>();
    /** The averages' Java steps by parameter name ({@link AverageStep}), made at the first averaged step. */
    private final Map<String, AverageStep> averageSteps = new HashMap<>();
    private final boolean averaged;
    private final long emaStart;

    TrainingState(ParameterStore store, RunSpec spec) {
        this.store = store;
        this.averaged = spec.keepsAverage();
        this.emaStart = spec.settings().emaStart();
    }

    /** Copies G's parameters as they are into the EMA, when one is kept (after the networks created them). */
    void startAverage() {
        if (averaged) {
            for (String n : store.names(Side.GENERATOR)) {
                ema.put(n, store.params().get(n).dup());
            }
        }
    }

    /** Creates each player's optimizer on its parameters (after the networks created them). */
    void createOptimizers(RunSettings s) {
        for (Side side : Side.values()) {
            double lr = side == Side.GENERATOR ? s.lrG() : s.lrD();
            optimizers.put(side, new Optimizer(s.optimizer(), lr, s.beta1(), s.beta2(), s.epsilon(), s.rmsDecay(),
                    store.params(), store.names(side)));
        }
    }

    ParameterStore store() {
        return store;
    }

    Optimizer optimizer(Side side) {
        return optimizers.get(side);
    }

    /** The generator's averaged parameters (empty when no EMA is kept). */
    Map<String, INDArray> ema() {
        return ema;
    }

    /** The player's updates so far. */
    long steps(Side side) {
        return optimizers.get(side).steps();
    }

    /** Takes parameters that appeared since (e.g. a regularizer's Q head after a swap) into the optimizers. */
    void trackParameters() {
        for (Side side : Side.values()) {
            optimizers.get(side).track(store.params(), store.names(side));
        }
    }

    /**
     * The learning rates and optimizer hyperparameters of this iteration (scheduled ones at their value here) from
     * the next step on; the state is kept.
     */
    void configure(RunSpec spec, long iteration) {
        RunSettings s = spec.settings();
        double beta1 = spec.value("beta1", iteration);
        double beta2 = spec.value("beta2", iteration);
        for (Side side : Side.values()) {
            optimizers.get(side).set(spec.value(side == Side.GENERATOR ? "lrG" : "lrD", iteration), beta1, beta2,
                    s.epsilon(), s.rmsDecay());
        }
    }

    /**
     * Applies a step's gradients to the player's parameters and takes the step's new buffer values (running
     * statistics, spectral-norm vectors).
     */
    void update(Side side, Map<String, INDArray> gradients, Map<String, INDArray> buffers) {
        optimizers.get(side).step(store.params(), gradients);
        buffers.forEach((b, v) -> store.buffers().get(b).assign(v));
    }

    /**
     * theta_ema = decay * theta_ema + (1 - decay) * theta after each generator step, a copy of theta until the
     * generator has taken {@code emaStart} steps (Yazici et al. 2019; BigGAN, Brock et al. 2018, section 4).
     * The average steps in Java ({@link AverageStep}, the same bits) where both arrays are dense floats, unless
     * {@code -Djgan.model.javaAverage=false}.
     *
     * @param emaDecay the decay at this step ({@link RunSpec#emaDecay}: constant, or scheduled through the half-life)
     */
    void updateAverage(double emaDecay) {
        boolean copy = optimizers.get(Side.GENERATOR).steps() <= emaStart;
        ema.forEach((n, avg) -> {
            INDArray p = store.params().get(n);
            if (copy) {
                avg.assign(p);
            } else if (AverageStep.accepts(avg, p)) {
                averageSteps.computeIfAbsent(n, k -> new AverageStep()).step(avg, p, emaDecay);
            } else {
                avg.muli(emaDecay).addi(p.mul(1 - emaDecay));
            }
        });
    }

    /** A checkpoint of iteration {@code iteration}: copies of every array, the step counts and the configuration. */
    Checkpoint checkpoint(long iteration, Map<String, String> config) {
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        store.params().forEach((n, a) -> arrays.put(PARAM + n, a.dup()));
        store.buffers().forEach((n, a) -> arrays.put(BUFFER + n, a.dup()));
        ema.forEach((n, a) -> arrays.put(EMA + n, a.dup()));
        for (Side side : Side.values()) {
            optimizers.get(side).states().forEach((n, a) -> arrays.put(OPTIMIZER + n, a.dup()));
        }
        return new Checkpoint(iteration, optimizers.get(Side.DISCRIMINATOR).steps(),
                optimizers.get(Side.GENERATOR).steps(), arrays, config);
    }

    /** Restores the saved state into these arrays (the checkpoint's own arrays are left as they are). */
    void restore(Checkpoint c) {
        restoreInto(store.params(), c.arrays(), PARAM);
        restoreInto(store.buffers(), c.arrays(), BUFFER);
        restoreInto(ema, c.arrays(), EMA);
        Map<String, INDArray> opt = new HashMap<>();
        c.arrays().forEach((n, a) -> {
            if (n.startsWith(OPTIMIZER)) {
                opt.put(n.substring(OPTIMIZER.length()), a);
            }
        });
        optimizers.get(Side.DISCRIMINATOR).restore(c.dSteps(), opt);
        optimizers.get(Side.GENERATOR).restore(c.gSteps(), opt);
    }

    private static void restoreInto(Map<String, INDArray> target, Map<String, INDArray> saved, String prefix) {
        for (Map.Entry<String, INDArray> e : target.entrySet()) {
            INDArray s = saved.get(prefix + e.getKey());
            if (s == null || !Arrays.equals(s.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("checkpoint does not match the run: '" + e.getKey()
                        + "' is missing or has another shape; expected " + Arrays.toString(e.getValue().shape()));
            }
            e.getValue().assign(s);
        }
    }

    /** Native bytes of the parameters, buffers, EMA copies and optimizer state. */
    long bytes() {
        long bytes = GraphMemory.bytes(store.params().values()) + GraphMemory.bytes(store.buffers().values())
                + GraphMemory.bytes(ema.values());
        for (Optimizer o : optimizers.values()) {
            bytes += o.bytes();
        }
        return bytes;
    }

    /** Frees every array: optimizer state, EMA copies, buffers and parameters. */
    void close() {
        for (Optimizer o : optimizers.values()) {
            o.close();
        }
        GraphMemory.close(ema.values());
        GraphMemory.close(store.buffers().values());
        GraphMemory.close(store.params().values());
    }
}
