package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

/**
 * Evaluates a {@link GradientPenalty} {@code P = sum_groups mean_i f(psi(x_i), |grad_x psi(x_i)|^2)} and its
 * gradient with respect to the discriminator's parameters using first-order gradients only (SameDiff cannot
 * differentiate through a gradient). With {@code g_i = grad_x psi(x_i)} and {@code s_i = |g_i|^2}:
 * <pre>
 *   d/dtheta f(psi_i, s_i) = f_psi * grad_theta psi(x_i) + f_s * 2 (d g_i / d theta)^T g_i
 *   (d g_i / d theta)^T g_i = |g_i| d/de grad_theta psi(x_i + e g_i/|g_i|) at e = 0
 *                          ~ |g_i| [grad_theta psi(x_i + h u_i) - grad_theta psi(x_i - h u_i)] / (2h)
 * </pre>
 * (a central difference, error O(h^2)). Summed over the batch, the second term is the directional derivative
 * {@code 2 (dg/dtheta)^T v} with {@code v_i = f_s g_i}, taken along the whole batch: one backward pass of
 * {@code sum_j psi(x_j)} at {@code X + e v} and one at {@code X - e v}; the first term rides on the same two passes
 * (the mean of the gradients at {@code X +- e v} is the gradient at X up to O(e^2)). Each is its own batch, so the result is also exact for discriminators with batch statistics (batch
 * normalization), where {@code g = grad_X sum_j psi(x_j)} as in autograd implementations. The step {@code e} makes
 * the longest per-sample step {@link #STEP}, small against the distance to activation kinks yet large for float32
 * rounding (see docs/regularizers.md; {@code GradientPenaltyAccuracyTest} bounds the error).
 */
final class InputGradientPenalty {

    /** Central-difference step in input space, per sample. */
    static final double STEP = 3e-3;

    private static final String X = "x", W = "w", LABELS = "labels";

    private final RunSpec.RegularizerChoice choice;
    private final GradientPenalty penalty;
    private final SameDiff critic;
    private final String logits;
    private final List<String> params;
    private final List<PerSample> groups = new ArrayList<>();

    /** The per-sample penalty of one point group as its own small graph of (logits, squared norm). */
    private record PerSample(SameDiff sd, String out) {
    }

    InputGradientPenalty(RunSpec.RegularizerChoice choice, int groupCount, Networks networks, DataShape shape,
            int classes, ParameterStore store, List<GraphScope.Reparam> reparams) {
        this.choice = choice;
        this.penalty = (GradientPenalty) choice.entry().component();
        critic = GraphMemory.create();
        // A variable whose array each pass replaces, not a placeholder: SameDiff 1.0.0-M2.1 returns no gradient for
        // a placeholder that reaches the loss through concat (conditional discriminators concatenate label maps).
        SDVariable x = critic.var(X, Nd4j.zeros(DataType.FLOAT, shape.batched(1)));
        SDVariable w = critic.placeHolder(W, DataType.FLOAT, -1, 1);
        // Conditional discriminators see the D step's data labels with every point group (the engine conditions the
        // fake batch of D steps on them too, so each row's points share one label).
        SDVariable labels = classes > 0 ? critic.placeHolder(LABELS, DataType.FLOAT, -1, classes) : null;
        Critique c = networks.discriminator(new GraphScope(critic, Side.DISCRIMINATOR, true, store, reparams), x,
                labels);
        logits = c.logits().name();
        critic.setLossVariables(c.logits().mul(w).sum());
        // parameters of D outside its forward pass (an auxiliary head such as InfoGAN's Q) get no penalty gradient
        params = store.names(Side.DISCRIMINATOR).stream().filter(critic::hasVariable).toList();
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

    String name() {
        return choice.name();
    }

    /** Frees the array caches of this penalty's graphs (its parameters belong to the run's store). */
    void release() {
        GraphMemory.release(critic);
        groups.forEach(g -> GraphMemory.release(g.sd()));
    }

    /** Bytes in the array caches of this penalty's graphs. */
    long cachedBytes() {
        long bytes = GraphMemory.cachedBytes(critic);
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
            Backprop.Result first = Backprop.run(critic, feed(x, Nd4j.ones(DataType.FLOAT, n, 1), labels),
                    List.of(logits), List.of(X));
            INDArray psi = first.outputs().get(logits);
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
                double eps = STEP / longest;
                INDArray step = v.mul(eps).reshape(x.shape());
                INDArray c = Nd4j.valueArrayOf(new long[] {n, 1}, weight / (n * eps), DataType.FLOAT);
                // the first-order term rides on the same two passes: the mean of the gradients at X + e v and
                // X - e v is the gradient at X up to O(e^2), the order of the central difference itself
                INDArray half = firstOrder.mul(0.5);
                accumulate(total, pass(x.add(step), half.add(c), labels));
                accumulate(total, pass(x.sub(step), half.sub(c), labels));
            } else {
                accumulate(total, pass(x, firstOrder, labels));
            }
        }
        return new Result(value, total);
    }

    /**
     * Gradient of {@code sum_j w_j psi(x_j)} over one whole batch. Every evaluation point set is its own batch, so
     * discriminators with batch statistics see the batch they are penalized on.
     */
    private Map<String, INDArray> pass(INDArray x, INDArray w, INDArray labels) {
        return Backprop.run(critic, feed(x, w, labels), List.of(), params).gradients();
    }

    /**
     * Writes x into the input variable and returns the placeholders' values. The variable keeps its array object
     * (values are assigned in place) while the shape stays the same: SameDiff's gradient function holds on to the
     * array a variable had when it was created, so binding a new array object leaves it computing on stale input.
     */
    private Map<String, INDArray> feed(INDArray x, INDArray w, INDArray labels) {
        INDArray current = critic.getArrForVarName(X);
        if (current != null && java.util.Arrays.equals(current.shape(), x.shape())) {
            current.assign(x);
        } else {
            critic.associateArrayWithVariable(x.dup(), X);
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
