package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;

/**
 * {@code concat}, its gradient {@code concat_bp} and {@code split} as bulk copies between the arrays' buffers: along an
 * axis {@code a} of a whole {@code W} of shape {@code [.., E, ..]} and its parts {@code P_j} of shapes
 * {@code [.., e_j, ..]} ({@code E = sum_j e_j}, the other sides equal),
 * <pre>
 *   W[o, s_j + t, r] = P_j[o, t, r]      s_j = e_0 + .. + e_{j-1},  0 &lt;= t &lt; e_j
 * </pre>
 * with {@code o} over the axes before {@code a} and {@code r} over those after it: for each {@code o}, each part's
 * {@code e_j R} floats ({@code R} the product of the sides after {@code a}) are one contiguous run in both arrays. A
 * {@code concat} writes W from its inputs, a {@code concat_bp} (inputs {@code (P_0 .. P_{n-1}, dW)}, outputs
 * {@code dP_j}) and a {@code split} (an input W into equal parts) write the parts from W; outputs nothing reads are
 * skipped.
 *
 * <p>Why: a libnd4j 1.0.0-M2.1 {@code concat} inside a training graph took 40 to 60 microseconds a call on the
 * discriminator's two batches stacked (the ring MLP's {@code [64, 2]} twice, on a 2-core AMD EPYC with AVX-512,
 * per-op profile), 7% of that model's iteration, for 256 floats moved. The copies give the same bits (no
 * arithmetic), so plans use them whatever {@link GraphPlan#ownArithmetic(boolean)} says. 32-bit floats, dense C order
 * ({@link PatchConv#dense}; an input bound in another layout is read from a dense copy), non-empty arrays of one rank,
 * the axis as the op's integer argument; anything else stays with libnd4j.
 */
final class Concats implements Replacements.Kernel {

    /** {@code -Djgan.graph.concat=false}: libnd4j's ops (for comparisons). */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.concat"));

    /** Whether W is written from the parts ({@code concat}) or the parts from W. */
    private final boolean join;
    /** Runs of floats of W before each part's run ({@code s_j R}), each part's run ({@code e_j R}), W's run ({@code E R}). */
    private final int[] starts;
    private final int[] runs;
    private final int wholeRun;
    /** The products of the sides before the axis. */
    private final int outer;
    /** The input index of W for a split or a gradient (unused for a join). */
    private final int wholeInput;
    /** The outputs' buffers (null where unread), bound once: the plan's arrays never change. */
    private final FloatBuffer[] outputs;
    /** The inputs' buffers, bound once per array. */
    private final BoundInputs inputs;

    private Concats(boolean join, long[] whole, long[][] parts, int axis, int wholeInput, INDArray[] out,
            boolean[] unread, int inputCount) {
        this.join = join;
        this.wholeInput = wholeInput;
        long inner = 1;
        for (int d = axis + 1; d < whole.length; d++) {
            inner *= whole[d];
        }
        long o = 1;
        for (int d = 0; d < axis; d++) {
            o *= whole[d];
        }
        outer = (int) o;
        starts = new int[parts.length];
        runs = new int[parts.length];
        long at = 0;
        for (int j = 0; j < parts.length; j++) {
            starts[j] = (int) (at * inner);
            runs[j] = (int) (parts[j][axis] * inner);
            at += parts[j][axis];
        }
        wholeRun = (int) (whole[axis] * inner);
        outputs = new FloatBuffer[out.length];
        for (int i = 0; i < out.length; i++) {
            outputs[i] = unread[i] ? null : out[i].data().asNioFloat();
        }
        inputs = new BoundInputs(inputCount);
    }

    /** Turns the kernel on or off for plans made from now on (tests, comparisons); returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * The kernel for a {@code concat} (inputs the parts, output W), a {@code concat_bp} (inputs the parts and dW,
     * outputs the parts' gradients) or a {@code split} (input W, outputs its parts), or null.
     */
    static Concats of(String op, DynamicCustomOp c, INDArray[] in, INDArray[] out, boolean[] unread) {
        if (!enabled || !("concat".equals(op) || "concat_bp".equals(op) || "split".equals(op))) {
            return null;
        }
        long[] ia = c.iArgs();
        boolean[] ba = c.bArgs();
        if (ba != null && ba.length > 0 && ba[0]) {
            // the axis as the last input (a dynamic axis)
            return null;
        }
        for (INDArray a : in) {
            if (!usable(a)) {
                return null;
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (!unread[i] && !(usable(out[i]) && PatchConv.dense(out[i]))) {
                return null;
            }
        }
        switch (op) {
            case "concat" -> {
                if (out.length != 1 || in.length < 1 || ia == null || ia.length != 1) {
                    return null;
                }
                long[][] parts = shapes(in, in.length);
                int axis = axis(ia[0], out[0].rank());
                return axis < 0 || !fits(out[0].shape(), parts, axis) ? null
                        : new Concats(true, out[0].shape(), parts, axis, 0, out, unread, in.length);
            }
            case "concat_bp" -> {
                if (in.length < 2 || out.length != in.length - 1 || ia == null || ia.length != 1) {
                    return null;
                }
                INDArray grad = in[in.length - 1];
                long[][] parts = shapes(in, out.length);
                for (int j = 0; j < out.length; j++) {
                    if (!Arrays.equals(parts[j], out[j].shape())) {
                        return null;
                    }
                }
                int axis = axis(ia[0], grad.rank());
                return axis < 0 || !fits(grad.shape(), parts, axis) ? null
                        : new Concats(false, grad.shape(), parts, axis, in.length - 1, out, unread, in.length);
            }
            default -> {
                // split: iArgs (number of parts, axis), the parts equal
                if (in.length != 1 || ia == null || ia.length != 2 || ia[0] != out.length) {
                    return null;
                }
                int axis = axis(ia[1], in[0].rank());
                long[][] parts = shapes(out, out.length);
                if (axis < 0 || !fits(in[0].shape(), parts, axis)
                        || Arrays.stream(parts).anyMatch(s -> s[axis] != parts[0][axis])) {
                    return null;
                }
                return new Concats(false, in[0].shape(), parts, axis, 0, out, unread, 1);
            }
        }
    }

    /** 32-bit floats, non-empty, of at least one dimension, indexed by int. */
    private static boolean usable(INDArray a) {
        return a != null && a.dataType() == DataType.FLOAT && !a.isEmpty() && a.rank() >= 1
                && a.length() < Integer.MAX_VALUE / 4;
    }

    private static long[][] shapes(INDArray[] arrays, int count) {
        long[][] s = new long[count][];
        for (int i = 0; i < count; i++) {
            s[i] = arrays[i].shape();
        }
        return s;
    }

    /** The axis in {@code [0, rank)} (a negative one counts from the end), or -1. */
    private static int axis(long a, int rank) {
        long axis = a < 0 ? a + rank : a;
        return axis >= 0 && axis < rank ? (int) axis : -1;
    }

    /** Whether the parts, side by side along the axis, make up the whole. */
    private static boolean fits(long[] whole, long[][] parts, int axis) {
        long sum = 0;
        for (long[] p : parts) {
            if (p.length != whole.length) {
                return false;
            }
            for (int d = 0; d < whole.length; d++) {
                if (d != axis && p[d] != whole[d]) {
                    return false;
                }
            }
            sum += p[axis];
        }
        return sum == whole[axis];
    }

    @Override
    public void run(INDArray[] in) {
        if (join) {
            FloatBuffer w = outputs[0];
            int w0 = w.position();
            for (int j = 0; j < runs.length; j++) {
                FloatBuffer p = inputs.get(in, j);
                int p0 = p.position();
                for (int o = 0; o < outer; o++) {
                    w.put(w0 + o * wholeRun + starts[j], p, p0 + o * runs[j], runs[j]);
                }
            }
        } else {
            FloatBuffer w = inputs.get(in, wholeInput);
            int w0 = w.position();
            for (int j = 0; j < runs.length; j++) {
                FloatBuffer p = outputs[j];
                if (p == null) {
                    continue;
                }
                int p0 = p.position();
                for (int o = 0; o < outer; o++) {
                    p.put(p0 + o * runs[j], w, w0 + o * wholeRun + starts[j], runs[j]);
                }
            }
        }
        Reference.reachabilityFence(in);
        Reference.reachabilityFence(inputs);
    }
}
