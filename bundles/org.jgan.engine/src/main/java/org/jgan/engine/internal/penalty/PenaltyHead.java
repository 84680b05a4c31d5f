package org.jgan.engine.internal.penalty;

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
 * its result: an evaluation of R1 on a 16-unit MLP (batch 32) allocated 71 native pointers and took 1.1 to 1.2 ms,
 * with the head 5 and 0.6 to 0.7 ms (2-core AMD EPYC, {@code PenaltyHeadTest} counts the pointers).
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
    private INDArray logits;
    private INDArray gradient;
    private final INDArray scale = Nd4j.scalar(DataType.FLOAT, 0f);
    private final INDArray absSum = Nd4j.scalar(DataType.FLOAT, 0f);
    /** {@code sum |u|} through a context kept for it, bound to the last u. */
    private final OpContext absSumContext = Nd4j.getExecutioner().buildContext();
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
        } catch (RuntimeException | Error e) {
            GraphMemory.release(sd);
            throw e;
        }
    }

    SameDiff sd() {
        return sd;
    }

    /**
     * Runs the graph on the critic pass's logits {@code [n, 1]} and input gradients (the points' shape; both read
     * here, not kept) with {@code c = scale}.
     */
    Result run(INDArray psi, INDArray inputGradient, double c) {
        long n = psi.size(0);
        if (logits == null || logits.size(0) != n) {
            logits = Nd4j.create(DataType.FLOAT, n, 1);
            sd.associateArrayWithVariable(logits, LOGITS);
        }
        if (gradient == null || !Arrays.equals(gradient.shape(), inputGradient.shape())) {
            gradient = Nd4j.create(DataType.FLOAT, inputGradient.shape());
            sd.associateArrayWithVariable(gradient, INPUT_GRADIENT);
        }
        logits.assign(psi);
        gradient.assign(inputGradient);
        scale.putScalar(0, c);
        Backprop.Result r = Backprop.run(sd, Map.of(SCALE, scale), List.of(total), List.of(LOGITS, INPUT_GRADIENT));
        return new Result(r.outputs().get(total).getDouble(0), r.gradients().get(LOGITS),
                r.gradients().get(INPUT_GRADIENT));
    }

    /**
     * {@code sum |u|}, into an array kept for it: positive and finite exactly when u has a non-zero element and no
     * infinite or undefined one (a WGAN-GP term at a point whose gradient is exactly 0 has an undefined
     * {@code f_s g}).
     */
    double absoluteSum(INDArray u) {
        if (u != absSumInput) {
            absSumContext.setInputArrays(u);
            absSumContext.setOutputArrays(absSum);
            absSumInput = u;
        }
        Nd4j.getExecutioner().exec(new ASum(u, absSum), absSumContext);
        return absSum.getDouble(0);
    }

    /** Whether a weight of {@code a} is not 0 (NaN counts: it must reach the step, whose loss is then not finite). */
    static boolean anyNonZero(INDArray a) {
        for (long i = 0; i < a.length(); i++) {
            if (a.getFloat(i) != 0) {
                return true;
            }
        }
        return false;
    }

    void release() {
        GraphMemory.release(sd);
        try {
            absSumContext.purge();
            absSumContext.close();
        } catch (Exception e) {
            // a context that cannot be closed is left to the garbage collector
        }
    }
}
