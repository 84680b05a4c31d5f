package org.jgan.engine.internal.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.LongPointer;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.api.ops.impl.updaters.RmsPropUpdater;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.nd4j.nativeblas.OpaqueContext;

/**
 * One player's optimizer: Adam (Kingma and Ba 2014, Algorithm 1 with the bias corrections folded into the step size,
 * {@code alpha_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)}, {@code theta -= alpha_t m_t / (sqrt(v_t) + epsilon)}) or
 * RMSProp (Tieleman and Hinton 2012, {@code theta -= lr g / (sqrt(r_t) + epsilon)}), with their state in one flat
 * array per parameter that checkpoints save (Adam: {@code [m, v]}; RMSProp: {@code r}, starting at epsilon, as
 * ND4J's updaters lay it out). As in ND4J, Adam's step size is epsilon where {@code alpha_t} is 0 or not finite.
 * <p>
 * A step runs libnd4j's {@code adam_updater} or {@code rms_prop_updater} op and a {@code subtract}, two native calls
 * per parameter through two op contexts the optimizer keeps, into one update buffer of the largest parameter's size
 * that each parameter's update reuses in turn (Adam's step for a parameter of at most {@link SmallAdam#MAX} elements
 * runs in Java with the same bits instead: {@link SmallAdam}):
 * the same ops, arguments and arithmetic as ND4J's {@link org.nd4j.linalg.learning.GradientUpdater}s, which the step
 * used until 2026-12-03 at about 40 microseconds per parameter (a copy of the gradient, reshapes, a new op and
 * context, each allocating native memory); {@code OptimizerTest} checks the bits against them.
 */
public final class Optimizer {

    private static final NativeOps NATIVE = NativeOpsHolder.getInstance().getDeviceNativeOps();

    private final IUpdater config;
    private final boolean adam;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final Map<String, INDArray> states = new LinkedHashMap<>();
    /** The update rule's context (its arrays change per parameter, its arguments per step). */
    private final OpContext rule = Nd4j.getExecutioner().buildContext();
    private final OpContext apply = Nd4j.getExecutioner().buildContext();
    private final CustomOp ruleOp;
    private final CustomOp applyOp = new SubOp();
    /**
     * Adam's step count as the rule's integer argument, written here at each step and copied by libnd4j into the
     * context ({@code CpuOpContext.setIArguments} makes a new native pointer with a deallocator for it each time).
     */
    private final LongPointer iteration = new LongPointer(1);
    private double[] ruleArguments = new double[0];
    /** Adam's step size as libnd4j rounds it, for the parameters stepped in Java (null until one is tracked). */
    private SmallAdam.StepSize stepSize;
    /** Whether any parameter is stepped in Java. */
    private boolean small;
    /** The update buffer: each parameter's update is a view of its start (null until a parameter is tracked). */
    private INDArray scratch;
    private long steps;

    /**
     * A parameter's state as views shaped like it ({@code first}: Adam's m, RMSProp's r; {@code second}: Adam's v)
     * and the view of the update buffer its update is written to.
     */
    private record Slot(INDArray first, INDArray second, INDArray update, SmallAdam small) {
    }

    Optimizer(String kind, double lr, double beta1, double beta2, double epsilon, double rmsDecay,
            Map<String, INDArray> params, List<String> names) {
        config = switch (kind) {
            case "adam" -> new Adam(lr, beta1, beta2, epsilon);
            case "rmsprop" -> new RmsProp(lr, rmsDecay, epsilon);
            default -> throw new IllegalArgumentException("unknown optimizer '" + kind + "'; expected adam or rmsprop");
        };
        adam = config instanceof Adam;
        ruleOp = adam ? new AdamUpdater() : new RmsPropUpdater();
        track(params, names);
    }

    /** Adds fresh state for parameters not seen before (a regularizer swapped in may add some). */
    void track(Map<String, INDArray> params, List<String> names) {
        for (String name : names) {
            if (states.containsKey(name)) {
                continue;
            }
            INDArray param = params.get(name);
            long n = param.length();
            long size = config.stateSize(n);
            INDArray state = Nd4j.zeros(DataType.FLOAT, 1, Math.max(size, 1));
            // ND4J's updater initializes the state as it lays it out (RMSProp's starts at epsilon)
            config.instantiate(state, true);
            states.put(name, state);
            INDArray flat = state.reshape(state.length());
            long[] shape = param.shape();
            INDArray first = adam ? flat.get(NDArrayIndex.interval(0, n)) : flat;
            slots.put(name, new Slot(first.reshape('c', shape),
                    adam ? flat.get(NDArrayIndex.interval(n, 2 * n)).reshape('c', shape) : null, null,
                    adam ? SmallAdam.of(param, state) : null));
        }
        small = slots.values().stream().anyMatch(s -> s.small() != null);
        if (small && stepSize == null) {
            stepSize = new SmallAdam.StepSize();
        }
        long largest = slots.values().stream().mapToLong(s -> s.first().length()).max().orElse(0);
        if (largest == 0) {
            return;
        }
        if (scratch == null || scratch.length() < largest) {
            if (scratch != null) {
                scratch.close();
            }
            scratch = Nd4j.createUninitialized(DataType.FLOAT, largest);
        }
        // every update a view of the buffer's start (again for all: the buffer may be new)
        slots.replaceAll((name, s) -> new Slot(s.first(), s.second(),
                scratch.get(NDArrayIndex.interval(0, s.first().length())).reshape('c', s.first().shape()), s.small()));
    }

    /** Updates the parameters in place with the gradients (gradient descent on the loss). */
    void step(Map<String, INDArray> params, Map<String, INDArray> gradients) {
        int iteration = (int) Math.min(steps, Integer.MAX_VALUE);
        double[] arguments = adam
                ? new double[] {config.getLearningRate(iteration, 0), ((Adam) config).getBeta1(),
                        ((Adam) config).getBeta2(), ((Adam) config).getEpsilon()}
                : new double[] {config.getLearningRate(iteration, 0), ((RmsProp) config).getRmsDecay(),
                        ((RmsProp) config).getEpsilon()};
        if (!Arrays.equals(arguments, ruleArguments)) {
            rule.setTArguments(arguments);
            ruleArguments = arguments;
        }
        if (adam) {
            this.iteration.put(0, iteration);
            NATIVE.setGraphContextIArguments((OpaqueContext) rule.contextPointer(), this.iteration, 1);
        }
        float alpha = small ? stepSize.at(arguments[0], arguments[1], arguments[2], arguments[3], iteration) : 0;
        for (Map.Entry<String, Slot> e : slots.entrySet()) {
            INDArray grad = gradients.get(e.getKey());
            if (grad == null) {
                // The parameter does not influence this player's loss (e.g. a conditional branch unused here).
                continue;
            }
            INDArray param = params.get(e.getKey());
            Slot s = e.getValue();
            INDArray copy = readable(grad, s.update()) ? null : grad.castTo(DataType.FLOAT).dup('c');
            INDArray g = copy == null ? grad : copy.reshape('c', s.update().shape());
            if (s.small() != null && s.small().accepts(param, g)) {
                // a small parameter's Adam step in Java, with libnd4j's bits (SmallAdam)
                s.small().step(param, g, alpha, (float) arguments[1], (float) arguments[2], (float) arguments[3]);
            } else {
                if (adam) {
                    // adam_updater: inputs gradient, v, m; outputs update, v, m
                    rule.setInputArrays(g, s.second(), s.first());
                    rule.setOutputArrays(s.update(), s.second(), s.first());
                } else {
                    // rms_prop_updater: inputs gradient, r; outputs update, r
                    rule.setInputArrays(g, s.first());
                    rule.setOutputArrays(s.update(), s.first());
                }
                Nd4j.exec(ruleOp, rule);
                apply.setInputArrays(param, s.update());
                apply.setOutputArrays(param);
                Nd4j.exec(applyOp, apply);
            }
            if (copy != null) {
                // freed now, not when a garbage collection happens to run (a large network's copy is gigabytes)
                if (s.small() != null) {
                    s.small().unbindGradient();
                }
                copy.close();
            }
        }
        steps++;
    }

    /**
     * Whether the update rule can read the gradient as it is: float, shaped like the update, laid out densely in C
     * order (a view at an offset is fine; the stride of an axis of length 1 does not matter).
     */
    private static boolean readable(INDArray grad, INDArray update) {
        // not ND4J's Shape.hasDefaultStridesForShape, which wants strictly falling strides and so refuses every
        // array with an axis of length 1 ([4, 4, 1, 64]: strides [256, 64, 64, 1]): a copy of such a gradient at
        // every step, a new array with native shape information (DCGAN's and StyleGAN's 1-channel layers)
        return Arrays.equals(grad.shape(), update.shape()) && GraphPlan.denseFloats(grad);
    }

    /**
     * New hyperparameters from the next step on; the moment estimates and the step count (Adam's bias
     * correction) carry over. ND4J's updaters read their configuration at every step.
     */
    void set(double lr, double beta1, double beta2, double epsilon, double rmsDecay) {
        if (config instanceof Adam a) {
            a.setLearningRate(lr);
            a.setBeta1(beta1);
            a.setBeta2(beta2);
            a.setEpsilon(epsilon);
        } else if (config instanceof RmsProp r) {
            r.setLearningRate(lr);
            r.setRmsDecay(rmsDecay);
            r.setEpsilon(epsilon);
        }
    }

    long steps() {
        return steps;
    }

    void restore(long steps, Map<String, INDArray> saved) {
        this.steps = steps;
        for (Map.Entry<String, INDArray> e : states.entrySet()) {
            INDArray s = saved.get(e.getKey());
            if (s == null || s.length() != e.getValue().length()) {
                throw new IllegalArgumentException("checkpoint has no matching optimizer state for '" + e.getKey() + "'");
            }
            e.getValue().assign(s.reshape(e.getValue().shape()));
        }
    }

    /** Native bytes of the state and of the update arrays. */
    long bytes() {
        return GraphMemory.bytes(states.values()) + (scratch == null ? 0 : scratch.length() * Float.BYTES);
    }

    /**
     * Frees the state and the update buffer, and lets go of the arrays the op contexts hold (ND4J 1.0.0-M2.1's
     * {@code close} of a CPU context does nothing; the native context is freed when it is collected).
     */
    void close() {
        if (scratch != null) {
            scratch.close();
        }
        if (stepSize != null) {
            stepSize.close();
        }
        iteration.close();
        GraphMemory.close(states.values());
        for (OpContext c : List.of(rule, apply)) {
            try {
                c.purge();
                c.close();
            } catch (Exception e) {
                // a context that cannot be closed is left to the garbage collector
            }
        }
    }

    /** Optimizer state arrays by parameter name (live views; copy before keeping). */
    Map<String, INDArray> states() {
        return states;
    }
}
