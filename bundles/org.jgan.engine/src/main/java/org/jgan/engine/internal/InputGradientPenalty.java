package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.GradientPenalty;
import org.jgan.api.Networks;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates a {@link GradientPenalty} {@code P = sum_groups mean_i f(psi(x_i), |grad_x psi(x_i)|^2)} and its
 * gradient with respect to the discriminator's parameters using first-order gradients only (SameDiff cannot
 * differentiate through a gradient). With {@code g_i = grad_x psi(x_i)} and {@code s_i = |g_i|^2}:
 * <pre>
 *   d/dtheta f(psi_i, s_i) = f_psi * grad_theta psi(x_i) + f_s * 2 (d g_i / d theta)^T g_i
 *   (d g_i / d theta)^T g_i = |g_i| d/de grad_theta psi(x_i + e g_i/|g_i|) at e = 0
 *                          ~ |g_i| [grad_theta psi~(x_i + h u_i) - grad_theta psi~(x_i - h u_i)] / (2h)
 * </pre>
 * Summed over the batch, the second term is the directional derivative {@code 2 (dg/dtheta)^T v} with
 * {@code v_i = f_s g_i}, taken along the whole batch: one backward pass of {@code sum_j psi~(x_j)} at {@code X + e v}
 * and one at {@code X - e v}; the first term rides on the same two passes (their mean is the gradient at X). Each
 * is its own batch, so the result is also exact for discriminators with batch statistics (batch
 * normalization), where {@code g = grad_X sum_j psi(x_j)} as in autograd implementations.
 * <p>
 * {@code psi~} is the discriminator linearized in its kinks at X: its ReLU, LeakyReLU and abs ops (built through
 * {@link org.jgan.api.NetworkScope#relu} and its siblings) multiply their input by the mask (the slope at each
 * element) that a first pass recorded at X. It equals psi wherever no pre-activation changes sign, and its value,
 * input gradient and parameter gradient at X are those of psi; but where a central difference of psi itself is
 * wrong by the jump of the slope whenever a pre-activation crosses zero within the step (on the default ring MLP,
 * 15 to 31 crossings per evaluation and relative errors above 1), the difference of psi~ has no error from the
 * piecewise-linear ops at all: a network of linear layers and such ops is linear in its input once its masks are
 * fixed, and the difference is exact. Only smooth non-linear ops (batch normalization, tanh, softmax, the minibatch
 * standard deviation) leave an O(e^2) error, small at {@link #STEP} ({@code PenaltyExactnessTest} measures it on
 * every shipped discriminator against double backprop in float64).
 */
final class InputGradientPenalty {

    private static final Logger LOG = LoggerFactory.getLogger(InputGradientPenalty.class);

    /**
     * Central-difference step in input space (the longest per-sample step) for a discriminator that is not affine in
     * its input once its masks are held: O(e^2) error from its smooth ops against float32 rounding of order
     * 1e-7/e. The best step differs by network: a small tanh conv net gave 3e-5 at 3e-3 and 1e-3 at 2e-2, the DCGAN
     * discriminator (batch norm) 3e-4, 9e-5 and 5e-4 at 1e-2, 3e-2 and 1e-1 (PenaltyExactnessTest,
     * ConvGradientPenaltyAccuracyTest).
     */
    static final double STEP = 1e-2;

    /**
     * The step for a discriminator that is affine in its input once its masks are held (linear layers,
     * convolutions, pooling, ReLU/LeakyReLU/abs through the scope, sums, projections): the difference is exact for
     * any step, and a long one keeps float32 rounding small against the difference of the two gradients.
     */
    static final double AFFINE_STEP = 10.0;

    /** Ops that are affine in an input that depends on x when every other input does not. */
    private static final Set<String> AFFINE_OPS = Set.of("add", "subtract", "reversesubtract", "add_scalar",
            "sub_scalar", "rsub_scalar", "mul_scalar", "div_scalar", "neg", "identity", "reshape", "permute",
            "transpose", "expand_dims", "squeeze", "concat", "reduce_sum", "reduce_mean", "avgpool2d", "upsampling2d",
            "strided_slice", "tile", "matmul", "mmul", "conv2d", "deconv2d", "multiply", "divide", "zeroslike",
            "onesLike", "ones_as", "zeros_as", "shape_of", "size_at", "stack", "unstack", "gather", "slice");
    /** Of the above, those affine in their first input only (a divisor or a second factor must not depend on x). */
    private static final Set<String> FIRST_INPUT_ONLY = Set.of("divide", "div_scalar");

    /** Op names of piecewise-linear ops that have kinks in the input, when a network builds them directly. */
    private static final Set<String> KINKED_OPS = Set.of("relu", "relu6", "leakyrelu", "abs", "maxpool2d", "maxpool3dnew",
            "max_pairwise", "min_pairwise", "maximum", "minimum", "clipbyvalue", "hardtanh", "prelu", "thresholdedrelu");

    private static final String X = "x", W = "w", LABELS = "labels";

    private final RunSpec.RegularizerChoice choice;
    private final GradientPenalty penalty;
    private final Critic critic;
    private final Critic frozen;
    private final List<PerSample> groups = new ArrayList<>();
    /** Ops that make the frozen discriminator non-affine in its input (empty: the difference is exact). */
    private final List<String> nonAffine;
    private final double step;

    /** The per-sample penalty of one point group as its own small graph of (logits, squared norm). */
    private record PerSample(SameDiff sd, String out) {
    }

    /** One build of the discriminator: its graph, logit, parameters and masks (see {@link GraphScope.Kinks}). */
    private record Critic(SameDiff sd, String logits, List<String> params, List<String> masks) {

        static Critic build(GraphScope.Kinks kinks, Networks networks, DataShape shape, int classes,
                ParameterStore store, List<GraphScope.Reparam> reparams) {
            SameDiff sd = GraphMemory.create();
            try {
                // A variable whose array each pass replaces, not a placeholder: SameDiff 1.0.0-M2.1 returns no
                // gradient for a placeholder that reaches the loss through concat (conditional discriminators
                // concatenate label maps).
                SDVariable x = sd.var(X, Nd4j.zeros(DataType.FLOAT, shape.batched(1)));
                SDVariable w = sd.placeHolder(W, DataType.FLOAT, -1, 1);
                // Conditional discriminators see the D step's data labels with every point group (the engine
                // conditions the fake batch of D steps on them too, so each row's points share one label).
                SDVariable labels = classes > 0 ? sd.placeHolder(LABELS, DataType.FLOAT, -1, classes) : null;
                GraphScope scope = new GraphScope(sd, Side.DISCRIMINATOR, true, store, reparams).withKinks(kinks);
                Critique c = networks.discriminator(scope, x, labels);
                sd.setLossVariables(c.logits().mul(w).sum());
                // parameters of D outside its forward pass (an auxiliary head such as InfoGAN's Q) get no penalty
                // gradient
                List<String> params = store.names(Side.DISCRIMINATOR).stream().filter(sd::hasVariable).toList();
                return new Critic(sd, c.logits().name(), params, List.copyOf(scope.masks()));
            } catch (RuntimeException | Error e) {
                GraphMemory.release(sd);
                throw e;
            }
        }

        /** Names of ops with kinks that the network built directly in the graph, not through its scope. */
        List<String> kinkedOps() {
            return sd.getOps().values().stream().map(o -> o.getOp().opName())
                    .filter(KINKED_OPS::contains).distinct().sorted().toList();
        }
    }

    InputGradientPenalty(RunSpec.RegularizerChoice choice, int groupCount, Networks networks, DataShape shape,
            int classes, ParameterStore store, List<GraphScope.Reparam> reparams) {
        this.choice = choice;
        this.penalty = (GradientPenalty) choice.entry().component();
        critic = Critic.build(GraphScope.Kinks.RECORD, networks, shape, classes, store, reparams);
        try {
            frozen = Critic.build(GraphScope.Kinks.FROZEN, networks, shape, classes, store, reparams);
        } catch (RuntimeException | Error e) {
            GraphMemory.release(critic.sd());
            throw e;
        }
        if (frozen.masks().size() != critic.masks().size()) {
            release();
            throw new IllegalStateException(choice.name() + ": the discriminator built " + critic.masks().size()
                    + " piecewise-linear ops once and " + frozen.masks().size() + " the next time; an architecture must "
                    + "build the same network every time");
        }
        List<String> direct = frozen.kinkedOps();
        if (!direct.isEmpty()) {
            LOG.warn("{}: the discriminator builds {} directly in the graph rather than through NetworkScope's relu, "
                    + "leakyRelu and abs; the penalty's parameter gradient is approximate where a pre-activation "
                    + "changes sign within the finite-difference step", choice.name(), String.join(", ", direct));
        }
        nonAffine = nonAffineOps(frozen.sd(), X);
        step = nonAffine.isEmpty() ? AFFINE_STEP : STEP;
        for (int g = 0; g < groupCount; g++) {
            SameDiff sd = GraphMemory.create();
            // Variables, not placeholders: SameDiff differentiates only with respect to variables here. Their
            // arrays are replaced by each evaluation's values.
            SDVariable l = sd.var("logits", Nd4j.zeros(DataType.FLOAT, 1, 1));
            SDVariable s = sd.var("sq", Nd4j.zeros(DataType.FLOAT, 1, 1));
            SDVariable out = penalty.perSample(new SmallContext(sd), g, l, s, choice.options());
            sd.setLossVariables(out.sum());
            groups.add(new PerSample(sd, out.name()));
        }
    }

    /**
     * The ops on the way from {@code input} that are not affine in it, by name (e.g. batch normalization's rsqrt,
     * tanh, softmax): for those the central difference has an O(e^2) error. An op is affine when it is in
     * {@link #AFFINE_OPS} and, for products and quotients, only one factor (the dividend) depends on the input.
     */
    static List<String> nonAffineOps(SameDiff sd, String input) {
        Set<String> dependent = new java.util.HashSet<>(Set.of(input));
        Set<String> found = new java.util.TreeSet<>();
        for (org.nd4j.autodiff.samediff.internal.SameDiffOp op : sd.getOps().values()) {
            List<String> in = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
            long onPath = in.stream().filter(dependent::contains).count();
            if (onPath == 0) {
                continue;
            }
            String name = op.getOp().opName();
            boolean affine = AFFINE_OPS.contains(name);
            if (affine && (name.equals("multiply") || name.equals("matmul") || name.equals("mmul"))) {
                affine = onPath == 1;
            }
            if (affine && FIRST_INPUT_ONLY.contains(name)) {
                affine = onPath == 1 && dependent.contains(in.get(0));
            }
            if (!affine) {
                found.add(name);
            }
            if (op.getOutputsOfOp() != null) {
                dependent.addAll(op.getOutputsOfOp());
            }
        }
        return List.copyOf(found);
    }

    /** The central difference's step: {@link #AFFINE_STEP} when the frozen discriminator is affine in its input. */
    double step() {
        return step;
    }

    /** Ops that make the frozen discriminator non-affine in its input. */
    List<String> nonAffineOps() {
        return nonAffine;
    }

    /** Ops with kinks that the discriminator built directly, which this penalty cannot hold fixed (none expected). */
    List<String> kinkedOps() {
        return frozen.kinkedOps();
    }

    String name() {
        return choice.name();
    }

    /** Frees the array caches of this penalty's graphs (its parameters belong to the run's store). */
    void release() {
        GraphMemory.release(critic.sd());
        GraphMemory.release(frozen.sd());
        groups.forEach(g -> GraphMemory.release(g.sd()));
    }

    /** Bytes in the array caches of this penalty's graphs. */
    long cachedBytes() {
        long bytes = GraphMemory.cachedBytes(critic.sd()) + GraphMemory.cachedBytes(frozen.sd());
        for (PerSample g : groups) {
            bytes += GraphMemory.cachedBytes(g.sd());
        }
        return bytes;
    }

    /** Penalty value and parameter gradients (already multiplied by {@code weight}). */
    record Result(double value, Map<String, INDArray> gradients) {
    }

    Result evaluate(List<INDArray> points, INDArray labels, double weight) {
        Map<String, INDArray> total = new LinkedHashMap<>();
        double value = 0;
        for (int g = 0; g < points.size(); g++) {
            INDArray x = points.get(g).castTo(DataType.FLOAT);
            long n = x.size(0);
            if (labels != null && labels.size(0) != n) {
                throw new IllegalArgumentException(choice.name() + ": a point group of " + n + " rows for "
                        + labels.size(0) + " labels; a conditional run needs one point per data row");
            }
            List<String> outputs = new ArrayList<>(critic.masks());
            outputs.add(critic.logits());
            Backprop.Result first = Backprop.run(critic.sd(), feed(critic, x, Nd4j.ones(DataType.FLOAT, n, 1), labels),
                    outputs, List.of(X));
            INDArray psi = first.outputs().get(critic.logits());
            // the masks at X, for the frozen graph's placeholders (the record graph's outputs are not reused
            // before the next call on it)
            Map<String, INDArray> masks = new HashMap<>();
            for (int k = 0; k < critic.masks().size(); k++) {
                masks.put(frozen.masks().get(k), first.outputs().get(critic.masks().get(k)));
            }
            INDArray grad = first.gradients().get(X).dup().reshape(n, -1);
            INDArray sq = grad.mul(grad).sum(true, 1);
            PerSample f = groups.get(g);
            f.sd().associateArrayWithVariable(psi.dup(), "logits");
            f.sd().associateArrayWithVariable(sq.dup(), "sq");
            OutAndGrad fv = f.sd().calculateGradientsAndOutputs(Map.of(), List.of(f.out()), List.of("logits", "sq"));
            value += fv.getOutputs().get(f.out()).sumNumber().doubleValue() / n;
            // A penalty that does not depend on one of its inputs has no gradient for it.
            INDArray fPsi = orZeros(fv.getGradients().get("logits"), n);
            INDArray fS = orZeros(fv.getGradients().get("sq"), n);
            INDArray firstOrder = fPsi.mul(weight / n);
            // v_i = f_s,i g_i; the s-term is 2 (dg/dtheta)^T v, a directional derivative along the whole batch
            INDArray v = grad.mulColumnVector(fS);
            double longest = Transforms.sqrt(v.mul(v).sum(true, 1), true).maxNumber().doubleValue();
            if (longest > 0 && Double.isFinite(longest)) {
                double eps = step / longest;
                INDArray step = v.mul(eps).reshape(x.shape());
                INDArray c = Nd4j.valueArrayOf(new long[] {n, 1}, weight / (n * eps), DataType.FLOAT);
                // the first-order term rides on the same two passes: the mean of the gradients of psi~ at X + e v and
                // X - e v is the gradient at X, exactly where psi~ is affine in its input and up to O(e^2) elsewhere;
                // float32 keeps it to about 1e-7 c / |f_psi| (the long affine step keeps c small)
                INDArray half = firstOrder.mul(0.5);
                accumulate(total, pass(x.add(step), half.add(c), labels, masks));
                accumulate(total, pass(x.sub(step), half.sub(c), labels, masks));
            } else if (fPsi.amaxNumber().doubleValue() > 0) {
                accumulate(total, pass(x, firstOrder, labels, masks));
            }
        }
        return new Result(value, total);
    }

    /**
     * Gradient of {@code sum_j w_j psi~(x_j)} over one whole batch, the discriminator linearized in its kinks at the
     * unperturbed points. Every evaluation point set is its own batch, so discriminators with batch statistics see
     * the batch they are penalized on.
     */
    private Map<String, INDArray> pass(INDArray x, INDArray w, INDArray labels, Map<String, INDArray> masks) {
        Map<String, INDArray> feed = new HashMap<>(feed(frozen, x, w, labels));
        feed.putAll(masks);
        return Backprop.run(frozen.sd(), feed, List.of(), frozen.params()).gradients();
    }

    /**
     * Writes x into the input variable and returns the placeholders' values. The variable keeps its array object
     * (values are assigned in place) while the shape stays the same: SameDiff's gradient function holds on to the
     * array a variable had when it was created, so binding a new array object leaves it computing on stale input.
     */
    private static Map<String, INDArray> feed(Critic graph, INDArray x, INDArray w, INDArray labels) {
        INDArray current = graph.sd().getArrForVarName(X);
        if (current != null && java.util.Arrays.equals(current.shape(), x.shape())) {
            current.assign(x);
        } else {
            graph.sd().associateArrayWithVariable(x.dup(), X);
        }
        return labels == null ? Map.of(W, w) : Map.of(W, w, LABELS, labels);
    }

    private static void accumulate(Map<String, INDArray> total, Map<String, INDArray> grads) {
        grads.forEach((k, a) -> total.merge(k, a.dup(), INDArray::addi));
    }

    private static INDArray orZeros(INDArray a, long n) {
        return a == null ? Nd4j.zeros(DataType.FLOAT, n, 1) : a.reshape(n, 1);
    }

    /** perSample may build its expression in the small graph only. */
    private record SmallContext(SameDiff sd) implements RegularizationContext {
        @Override
        public Side side() {
            return Side.DISCRIMINATOR;
        }

        @Override
        public SDVariable real() {
            throw unsupported();
        }

        @Override
        public SDVariable fake() {
            throw unsupported();
        }

        @Override
        public SDVariable labels() {
            throw unsupported();
        }

        @Override
        public Critique realCritique() {
            throw unsupported();
        }

        @Override
        public Critique fakeCritique() {
            throw unsupported();
        }

        @Override
        public Critique discriminate(SDVariable x) {
            throw unsupported();
        }

        @Override
        public SDVariable noise(String name, long... shape) {
            throw unsupported();
        }

        @Override
        public SDVariable uniform(String name, long... shape) {
            throw unsupported();
        }

        @Override
        public org.jgan.api.NetworkScope scope() {
            throw unsupported();
        }

        @Override
        public org.jgan.api.NetworkScope scope(Side network) {
            throw unsupported();
        }

        @Override
        public SDVariable code(String name) {
            throw unsupported();
        }

        @Override
        public long[] shapeOf(SDVariable variable) {
            throw unsupported();
        }

        private static UnsupportedOperationException unsupported() {
            return new UnsupportedOperationException(
                    "GradientPenalty.perSample may only use sd(), logits and the squared norm; build points in points()");
        }
    }
}
