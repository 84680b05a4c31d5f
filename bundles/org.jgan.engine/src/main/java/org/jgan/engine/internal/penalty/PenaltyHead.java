package org.jgan.engine.internal.penalty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jgan.api.GradientPenalty;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.Backprop;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.graph.InPlace;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The penalty of one point group, from the discriminator's logits {@code psi} ({@code [n, 1]}) and input gradients
 * {@code g} (the points' shape, {@code [n, ...]}):
 * <pre>
 *   P = c sum_i f(psi_i, s_i),   s_i = |g_i|^2,   c = weight / n
 * </pre>
 * with {@code f} the {@link GradientPenalty#perSample} term. P's parameter gradient needs the coefficients of both
 * of its terms: {@code a = dP/dpsi = c f_psi} (the first-order term's weights) and
 * {@code u = dP/dg = 2 (dP/ds)_i g_i = 2 c f_s g} (the direction of the second-order term).
 * <p>
 * The per-sample term and the weight are a small graph whose inputs are {@code psi} and {@code s}, both {@code [n, 1]}:
 * one backward pass of it gives {@code a} and {@code w = dP/ds}. What runs over the whole input gradient is done
 * here, in one pass each over its floats: the squared norms {@code s_i} (summed in double, rounded once, whatever
 * {@link GraphPlan#ownArithmetic(boolean)} says: the head is the engine's own arithmetic, not a replaced op), and
 * {@code u = (2 w_i) g_i} with the sum of its magnitudes, which decides whether there is a second-order term. In the
 * graph those were five ops over {@code g}'s shape ({@code square}, {@code reduce_sum} and, backwards,
 * {@code reduce_sum_bp}, {@code _powderivative}, the product) and a sum of magnitudes: on the penalty benchmark's conv
 * discriminator ({@code [32, 1, 28, 28]}) 0.34 of the head's 0.38 ms, {@code _powderivative} alone 0.19. {@code u}
 * has the same bits as the graph's {@code (2 g) (dP/ds)_i} wherever no product leaves float's normal range (doubling
 * is exact). The graph's inputs are variables
 * (SameDiff differentiates only with respect to variables), whose arrays this head keeps and refills, so the graph's
 * plan binds them once; {@code u} is an array this head keeps too, in the points' shape, so that it feeds the tangent
 * pass as it is. Results are valid until the next call.
 */
final class PenaltyHead {

    static final String LOGITS = "logits";
    static final String SQUARED_NORM = "squaredNorm";
    static final String SCALE = "scale";

    private final SameDiff sd;
    /** The unscaled sum {@code sum_i f(psi_i, |g_i|^2)}. */
    private final String total;
    /** Whether f depends on the logit (otherwise {@code a} is always null). */
    private final boolean readsLogits;
    private INDArray logits;
    private INDArray squaredNorms;
    private final INDArray scale = Nd4j.scalar(DataType.FLOAT, 0f);
    /** {@code u}, in the input gradient's shape (made again when that changes). */
    private INDArray u;
    /** Work arrays over the input gradient's floats and per row (grown as needed). */
    private float[] values = new float[0];
    private float[] rowValues = new float[0];

    /**
     * The outputs of one call: the unscaled sum, {@code a} (null when f ignores psi), {@code u} (0 when f ignores s)
     * and {@code sum |u|} in double (positive and finite exactly when u has a non-zero element and no infinite or
     * undefined one: a WGAN-GP term at a point whose gradient is exactly 0 has an undefined {@code f_s g}).
     */
    record Result(double total, INDArray a, INDArray u, double uAbsoluteSum) {
    }

    PenaltyHead(GradientPenalty penalty, RunSpec.RegularizerChoice choice, RunSpec.Choice loss, int group) {
        sd = GraphMemory.create();
        try {
            SDVariable l = sd.var(LOGITS, Nd4j.zeros(DataType.FLOAT, 1, 1));
            SDVariable s = sd.var(SQUARED_NORM, Nd4j.zeros(DataType.FLOAT, 1, 1));
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
     * Runs the head on the critic pass's logits {@code [n, 1]} and input gradients (the points' shape, {@code n} rows;
     * both read here, not kept) with {@code c = scale}.
     */
    Result run(INDArray psi, INDArray inputGradient, double c) {
        long n = psi.size(0);
        if (n == 0 || inputGradient.rank() < 1 || inputGradient.size(0) != n) {
            throw new IllegalArgumentException("input gradients " + Arrays.toString(inputGradient.shape()) + " for "
                    + n + " logits; expected one row per logit, at least one");
        }
        if (inputGradient.length() > Integer.MAX_VALUE / 4) {
            // (a float buffer over more than 2^31 bytes)
            throw new IllegalArgumentException("input gradients of " + inputGradient.length() + " elements; the "
                    + "penalty's head takes at most " + Integer.MAX_VALUE / 4 + " per point group");
        }
        if (logits == null || logits.size(0) != n) {
            logits = bind(LOGITS, Nd4j.create(DataType.FLOAT, n, 1));
            squaredNorms = bind(SQUARED_NORM, Nd4j.create(DataType.FLOAT, n, 1));
        }
        if (u == null || !Arrays.equals(u.shape(), inputGradient.shape())) {
            // (a plan that was fed the old u binds the new one by identity before it runs: GraphPlan)
            GraphMemory.close(u == null ? List.of() : List.of(u));
            u = Nd4j.create(DataType.FLOAT, inputGradient.shape());
        }
        int length = (int) inputGradient.length();
        int rows = (int) n;
        int row = length / rows;
        if (values.length < length) {
            values = new float[length];
        }
        if (rowValues.length < rows) {
            rowValues = new float[rows];
        }
        GraphPlan.readFloats(inputGradient, values, length);
        float[] g = values;
        float[] s = rowValues;
        for (int i = 0; i < rows; i++) {
            double sum = 0;
            for (int j = i * row, end = j + row; j < end; j++) {
                sum += (double) g[j] * g[j];
            }
            s[i] = (float) sum;
        }
        GraphPlan.writeFloats(s, squaredNorms, rows);
        InPlace.copy(logits, psi);
        scale.putScalar(0, c);
        Backprop.Result r = Backprop.run(sd, Map.of(SCALE, scale), List.of(total), List.of(LOGITS, SQUARED_NORM));
        double value = r.outputs().get(total).getDouble(0);
        INDArray a = r.gradients().get(LOGITS);
        INDArray w = r.gradients().get(SQUARED_NORM);
        if (w == null) {
            // f ignores s: no second-order term
            u.assign(0);
            return new Result(value, a, u, 0);
        }
        // u = (2 w_i) g_i, w = dP/ds, in the same array of floats; with sum |u|
        GraphPlan.readFloats(w, s, rows);
        double absoluteSum = 0;
        for (int i = 0; i < rows; i++) {
            float twice = 2 * s[i];
            for (int j = i * row, end = j + row; j < end; j++) {
                float v = twice * g[j];
                g[j] = v;
                absoluteSum += Math.abs(v);
            }
        }
        GraphPlan.writeFloats(g, u, length);
        return new Result(value, a, u, absoluteSum);
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
        List<INDArray> kept = new ArrayList<>(List.of(scale));
        if (logits != null) {
            kept.add(logits);
            kept.add(squaredNorms);
        }
        if (u != null) {
            kept.add(u);
        }
        return GraphMemory.cachedBytes(sd) + GraphMemory.bytes(kept);
    }

    void release() {
        GraphMemory.release(sd);
        GraphMemory.close(u == null ? List.of() : List.of(u));
        u = null;
        values = new float[0];
        rowValues = new float[0];
    }
}
