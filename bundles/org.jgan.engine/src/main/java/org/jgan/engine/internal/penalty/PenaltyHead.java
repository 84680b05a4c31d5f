package org.jgan.engine.internal.penalty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jgan.api.GradientPenalty;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.Backprop;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.reduce.same.ASum;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The penalty of one point group as its own small graph, from the discriminator's logits {@code psi} ({@code [n, 1]})
 * and input gradients {@code g} (the points' shape, {@code [n, ...]}):
 * <pre>
 *   P = c sum_i f(psi_i, |g_i|^2),   c = weight / n
 * </pre>
 * with {@code f} the {@link GradientPenalty#perSample} term. One backward pass gives the coefficients of both terms
 * of P's parameter gradient: {@code a = dP/dpsi = c f_psi} (the first-order term's weights) and
 * {@code u = dP/dg = 2 c f_s g} (the direction of the second-order term). The squared norms, the products
 * {@code f_s g} and the weight are ops of this graph rather than separate array operations, each of which allocated
 * its result (71 native pointers an evaluation of R1 on a small MLP, 5 with the head: {@code PenaltyHeadTest}; the
 * times are in docs/architectures.md, "The penalty's head").
 * <p>
 * The graph's inputs are variables (SameDiff differentiates only with respect to variables), whose arrays this head
 * keeps and refills, so the graph's plan binds them once, and {@code u} has the points' shape, so that it feeds the
 * tangent pass as it is (each reshape of an array allocated a shape). Results are the plan's arrays, valid until the
 * next call.
 */
final class PenaltyHead {

    static final String LOGITS = "logits";
    static final String INPUT_GRADIENT = "inputGradient";
    static final String SCALE = "scale";

    private final SameDiff sd;
    /** The unscaled sum {@code sum_i f(psi_i, |g_i|^2)}. */
    private final String total;
    /** Whether f depends on the logit (otherwise {@code a} is always null). */
    private final boolean readsLogits;
    private INDArray logits;
    private INDArray gradient;
    private final INDArray scale = Nd4j.scalar(DataType.FLOAT, 0f);
    private final INDArray absSum = Nd4j.scalar(DataType.FLOAT, 0f);
    /** {@code sum |u|} through a context kept for it (made at the first use), bound to the last u. */
    private OpContext absSumContext;
    private INDArray absSumInput;

    /** The graph's outputs of one call: the unscaled sum, {@code a} (null when f ignores psi), {@code u}. */
    record Result(double total, INDArray a, INDArray u) {
    }

    /** @param rank the points' rank (with the batch axis) */
    PenaltyHead(GradientPenalty penalty, RunSpec.RegularizerChoice choice, RunSpec.Choice loss, int group, int rank) {
        sd = GraphMemory.create();
        try {
            long[] one = new long[rank];
            Arrays.fill(one, 1);
            int[] rows = new int[rank - 1];
            Arrays.setAll(rows, k -> k + 1);
            SDVariable l = sd.var(LOGITS, Nd4j.zeros(DataType.FLOAT, 1, 1));
            SDVariable g = sd.var(INPUT_GRADIENT, Nd4j.zeros(DataType.FLOAT, one));
            // [n, 1] like the logits whatever the points' rank (kept axes would make [n, 1, 1, 1], which
            // broadcasts against [n, 1] to [n, n, 1, 1])
            SDVariable s = sd.reshape(sd.math().square(g).sum(false, rows), -1, 1);
            SDVariable out = penalty.perSample(new PerSampleContext(sd, loss), group, l, s, choice.options());
            SDVariable sum = out.sum();
            total = sum.name();
            sd.setLossVariables(sum.mul(sd.placeHolder(SCALE, DataType.FLOAT)));
            readsLogits = !GraphPath.ops(sd, LOGITS, total).isEmpty();
        } catch (RuntimeException | Error e) {
            GraphMemory.release(sd);
            throw e;
        }
    }

    SameDiff sd() {
        return sd;
    }

    /** Whether the penalty's term depends on the logit, so that it can have a first-order term. */
    boolean readsLogits() {
        return readsLogits;
    }

    /**
     * Runs the graph on the critic pass's logits {@code [n, 1]} and input gradients (the points' shape; both read
     * here, not kept) with {@code c = scale}.
     */
    Result run(INDArray psi, INDArray inputGradient, double c) {
        long n = psi.size(0);
        if (logits == null || logits.size(0) != n) {
            logits = bind(LOGITS, Nd4j.create(DataType.FLOAT, n, 1));
        }
        if (gradient == null || !Arrays.equals(gradient.shape(), inputGradient.shape())) {
            gradient = bind(INPUT_GRADIENT, Nd4j.create(DataType.FLOAT, inputGradient.shape()));
        }
        logits.assign(psi);
        gradient.assign(inputGradient);
        scale.putScalar(0, c);
        Backprop.Result r = Backprop.run(sd, Map.of(SCALE, scale), List.of(total), List.of(LOGITS, INPUT_GRADIENT));
        return new Result(r.outputs().get(total).getDouble(0), r.gradients().get(LOGITS),
                r.gradients().get(INPUT_GRADIENT));
    }

    /**
     * Gives the variable a new array and returns the array that the gradient function, which the plan runs, holds
     * for it. SameDiff 1.0.0-M2.1 copies an array of the shape the variable already has into the variable's old
     * array instead of taking it (the graph's own holder), and passes the new one on to the gradient function only
     * if that function exists: with a first group of one point the new {@code [1, 1]} logits were never read.
     */
    private INDArray bind(String name, INDArray array) {
        sd.associateArrayWithVariable(array, name);
        if (!sd.hasGradientFunction()) {
            sd.createGradFunction();
        }
        return sd.getFunction("grad").getArrForVarName(name);
    }

    /**
     * {@code sum |u|}, into an array kept for it: positive and finite exactly when u has a non-zero element and no
     * infinite or undefined one (a WGAN-GP term at a point whose gradient is exactly 0 has an undefined
     * {@code f_s g}).
     */
    double absoluteSum(INDArray u) {
        if (absSumContext == null) {
            absSumContext = Nd4j.getExecutioner().buildContext();
        }
        if (u != absSumInput) {
            absSumContext.setInputArrays(u);
            absSumContext.setOutputArrays(absSum);
            absSumInput = u;
        }
        Nd4j.getExecutioner().exec(new ASum(u, absSum), absSumContext);
        return absSum.getDouble(0);
    }

    /**
     * Whether the weights {@code a} have a non-zero element and no infinite or undefined one (like the check of
     * {@code u}: a first-order term that is not finite is left out rather than put into the parameters).
     */
    static boolean usable(INDArray a) {
        boolean nonZero = false;
        for (long i = 0; i < a.length(); i++) {
            float v = a.getFloat(i);
            if (!Float.isFinite(v)) {
                return false;
            }
            nonZero |= v != 0;
        }
        return nonZero;
    }

    /** Bytes of the graph's array caches and plans, and of the inputs the head keeps. */
    long bytes() {
        List<INDArray> kept = new ArrayList<>(List.of(scale, absSum));
        if (logits != null) {
            kept.add(logits);
            kept.add(gradient);
        }
        return GraphMemory.cachedBytes(sd) + GraphMemory.bytes(kept);
    }

    void release() {
        GraphMemory.release(sd);
        if (absSumContext != null) {
            try {
                absSumContext.purge();
                absSumContext.close();
            } catch (Exception e) {
                // a context that cannot be closed is left to the garbage collector
            }
        }
    }
}
