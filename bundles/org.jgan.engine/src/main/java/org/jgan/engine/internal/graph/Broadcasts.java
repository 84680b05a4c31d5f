package org.jgan.engine.internal.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Negative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-channel broadcasts and sums (batch norm's statistics and scale, biases, conditional and adaptive norms) at
 * the speed of an elementwise pass, for {@link Replacements}.
 * <p>
 * libnd4j 1.0.0-M2.1 runs an elementwise op whose operand broadcasts over several axes of a rank-4 tensor (a
 * {@code [1, C, 1, 1]} scale on {@code [N, C, H, W]}) through a generic index computation per element: on
 * {@code [64, 64, 14, 14]} a broadcasting multiply takes 270-300 us against 50-60 us for the same op on equal shapes
 * (2-core AMD EPYC, AVX2). The same op on the tensor viewed with adjacent axes of one kind merged ({@code [N, C, HW]}
 * by {@code [1, C, 1]}) takes 45-60 us and gives the same bits: {@link #collapse} finds those views, and
 * {@link Collapsed} runs an op on them.
 * <p>
 * Its reductions are slower still: each output element is one sequential chain of additions (latency-bound), so a
 * per-channel sum over {@code (0, 2, 3)} of that tensor takes 780 us, whatever the view. {@link MatrixSum} sums by
 * matrix products with a vector of ones instead (45-50 us): the same sum in another order, so not the same bits as
 * libnd4j's, though no less accurate ({@code BroadcastsTest} checks both against float64 sums); it is deterministic
 * for given shapes and threads, so a run still resumes bit for bit. {@link GraphPlan#ownArithmetic(boolean)} turns it
 * off where a test compares a plan with SameDiff's execution bit for bit.
 */
final class Broadcasts {

    private Broadcasts() {
    }

    /**
     * The shapes of arrays broadcast together with adjacent axes merged where every operand is of one kind on both
     * (of the full size, or of size 1 against a larger one); axes of size 1 everywhere are dropped.
     *
     * @param full     the broadcast shape
     * @param operands the operands' shapes (NumPy's alignment: leading axes of size 1 added)
     * @return the merged full shape followed by each operand's merged shape, or null when an operand does not
     *         broadcast to {@code full}
     */
    static long[][] collapse(long[] full, long[]... operands) {
        int rank = full.length;
        long[][] padded = new long[operands.length][];
        for (int i = 0; i < operands.length; i++) {
            long[] o = operands[i];
            if (o.length > rank) {
                return null;
            }
            padded[i] = padded(full, o);
            for (int d = 0; d < rank; d++) {
                if (padded[i][d] != full[d] && padded[i][d] != 1) {
                    return null;
                }
            }
        }
        List<long[]> groups = new ArrayList<>();
        boolean[] last = null;
        for (int d = 0; d < rank; d++) {
            if (full[d] == 1) {
                continue;
            }
            boolean[] kind = new boolean[operands.length];
            for (int i = 0; i < operands.length; i++) {
                kind[i] = padded[i][d] == full[d];
            }
            if (last != null && Arrays.equals(kind, last)) {
                long[] g = groups.get(groups.size() - 1);
                g[0] *= full[d];
                for (int i = 0; i < operands.length; i++) {
                    g[i + 1] *= padded[i][d];
                }
            } else {
                long[] g = new long[operands.length + 1];
                g[0] = full[d];
                for (int i = 0; i < operands.length; i++) {
                    g[i + 1] = padded[i][d];
                }
                groups.add(g);
                last = kind;
            }
        }
        if (groups.isEmpty()) {
            groups.add(new long[operands.length + 1]);
            Arrays.fill(groups.get(0), 1);
        }
        long[][] shapes = new long[operands.length + 1][groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            for (int i = 0; i <= operands.length; i++) {
                shapes[i][g] = groups.get(g)[i];
            }
        }
        return shapes;
    }

    /** An operand's shape with the full shape's rank (NumPy's alignment: leading 1s; no longer than {@code full}). */
    static long[] padded(long[] full, long[] operand) {
        long[] p = new long[full.length];
        int off = full.length - operand.length;
        for (int d = 0; d < full.length; d++) {
            p[d] = d < off ? 1 : operand[d - off];
        }
        return p;
    }

    /**
     * Whether {@code a} is a dense C-order array, so that a reshape is a view of its memory (axes of size 1 may
     * have any stride: ND4J gives {@code [1, C, 1, 1]} the strides {@code [C, 1, 1, 1]}, which its own check of
     * default strides rejects).
     */
    static boolean dense(INDArray a) {
        if (a.isEmpty() || a.ordering() != 'c' || a.elementWiseStride() < 0) {
            return false;
        }
        long expected = 1;
        long[] shape = a.shape();
        long[] stride = a.stride();
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** A view of an output array with another shape, or null where the reshape would not share its memory. */
    static INDArray outputView(INDArray out, long[] shape) {
        if (!dense(out)) {
            return null;
        }
        INDArray v = out.reshape('c', shape);
        return v.data().address() == out.data().address() && v.offset() == out.offset() ? v : null;
    }

    /** An input with another shape: a view when it is dense (the plan's arrays), else a copy. */
    private static INDArray inputView(INDArray in, long[] shape) {
        return (dense(in) ? in : in.dup('c')).reshape('c', shape);
    }

    /**
     * Inputs seen with other shapes, rebuilt only when an input array changes (a plan binds the same arrays call
     * after call, except where a placeholder is fed a new one).
     */
    static final class Views {
        private final long[][] shapes;
        private final INDArray[] last;
        private final INDArray[] views;

        Views(long[]... shapes) {
            this.shapes = shapes;
            this.last = new INDArray[shapes.length];
            this.views = new INDArray[shapes.length];
        }

        INDArray[] of(INDArray... in) {
            for (int i = 0; i < shapes.length; i++) {
                if (in[i] != last[i] || !dense(in[i])) {
                    last[i] = in[i];
                    views[i] = inputView(in[i], shapes[i]);
                }
            }
            return views;
        }
    }

    /**
     * An elementwise op with broadcasting, or a reduction's backward pass (a broadcast of the output's gradient), run
     * on views with merged axes: the same kernel on the same elements in the same order, so the same bits.
     */
    static final class Collapsed implements Replacements.Kernel {
        private final Replacements.Call call;
        private final Views views;

        private Collapsed(Replacements.Call call, Views views) {
            this.call = call;
            this.views = views;
        }

        /**
         * An elementwise op of two operands (add, subtract, multiply, divide) whose operands differ in shape and
         * whose merged views have a lower rank, or null.
         */
        static Collapsed elementwise(String op, INDArray[] in, INDArray out) {
            if (in.length != 2 || Arrays.equals(in[0].shape(), in[1].shape()) || out.rank() < 3) {
                return null;
            }
            long[][] s = collapse(out.shape(), in[0].shape(), in[1].shape());
            if (s == null || s[0].length >= out.rank()) {
                return null;
            }
            INDArray view = outputView(out, s[0]);
            if (view == null) {
                return null;
            }
            return new Collapsed(new Replacements.Call(DynamicCustomOp.builder(op).build(), view), new Views(s[1], s[2]));
        }

        /**
         * {@code reduce_mean_bp} or {@code reduce_sum_bp} (inputs x and the output's gradient, axes as integer
         * arguments) whose merged views have a lower rank, or null.
         */
        static Collapsed reductionBackward(DynamicCustomOp f, INDArray[] in, INDArray out) {
            if (in.length != 2 || in[0].rank() < 3 || !Arrays.equals(in[0].shape(), out.shape())) {
                return null;
            }
            long[] full = in[0].shape();
            long[] kept = keptShape(full, f.iArgs());
            if (kept == null || in[1].length() != Arrays.stream(kept).reduce(1, (a, b) -> a * b)) {
                return null;
            }
            long[][] s = collapse(full, kept);
            if (s == null || s[0].length >= full.length) {
                return null;
            }
            List<Integer> axes = new ArrayList<>();
            for (int d = 0; d < s[0].length; d++) {
                if (s[1][d] == 1 && s[0][d] != 1) {
                    axes.add(d);
                }
            }
            INDArray view = outputView(out, s[0]);
            if (view == null || axes.isEmpty()) {
                return null;
            }
            DynamicCustomOp op = DynamicCustomOp.builder(f.opName()).addBooleanArguments(true)
                    .addIntegerArguments(axes.stream().mapToInt(Integer::intValue).toArray()).build();
            return new Collapsed(new Replacements.Call(op, view), new Views(s[0], s[1]));
        }

        @Override
        public void run(INDArray[] in) {
            call.run(views.of(in));
        }

        @Override
        public void close() {
            call.close();
        }
    }

    /**
     * A rank's shape with the reduced axes set to 1 (integer arguments: the axes, negative from the end; none:
     * all), or null for axes out of range.
     */
    static long[] keptShape(long[] full, long[] axes) {
        long[] kept = full.clone();
        if (axes == null || axes.length == 0) {
            Arrays.fill(kept, 1);
            return kept;
        }
        for (long a : axes) {
            long d = a < 0 ? a + full.length : a;
            if (d < 0 || d >= full.length) {
                return null;
            }
            kept[(int) d] = 1;
        }
        return kept;
    }

    /**
     * A sum of a float tensor over some of its axes, times a factor (1, -1, or 1/count for a mean), by one or two
     * matrix-vector products with vectors of ones. Where the merged axes are summed, kept ({@code [R, K]},
     * {@code [K, R]}), summed, kept, summed ({@code [R, K, R]}, the per-channel sum of NCHW), or all summed.
     */
    static final class MatrixSum {
        /**
         * The smallest tensor summed by products: each product costs about 15 us whatever its size (2-core AMD EPYC,
         * oneDNN build), while libnd4j's chain of additions takes about 1 ns an element, so below about 2^15
         * elements (a per-channel sum of {@code [32, 16, 8, 8]}: 13 us against 31) its own reduction is as fast.
         */
        static final long MIN_ELEMENTS = 1 << 15;

        /** One product of a matrix with a vector of ones, {@code ones x m} or {@code m x ones}, into an output. */
        private record Product(Gemm call, INDArray ones, boolean onesFirst) {
            void run(INDArray m) {
                if (onesFirst) {
                    call.run(ones, m);
                } else {
                    call.run(m, ones);
                }
            }
        }

        private final Views views;
        private final Product first;
        /** The second product and its input, a view of the first's output (null: one product). */
        private final Product second;
        private final INDArray partial;

        /**
         * @param full   the summed tensor's shape
         * @param kept   the result's shape with the summed axes as 1 (same rank)
         * @param out    the result's array (its shape any with the kept elements' count)
         * @param factor multiplies the sum
         * @param own    takes the kernel's vectors of ones (released with the plan)
         * @return the kernel, or null where the pattern is another or the arrays are not 32-bit floats
         */
        static MatrixSum of(long[] full, long[] kept, INDArray out, double factor, Consumer<INDArray> own) {
            if (out.dataType() != DataType.FLOAT || outputView(out, new long[] {out.length()}) == null
                    || Arrays.stream(full).reduce(1, (a, b) -> a * b) < MIN_ELEMENTS) {
                return null;
            }
            long[][] s = collapse(full, kept);
            if (s == null) {
                return null;
            }
            long[] f = s[0];
            boolean[] summed = new boolean[f.length];
            for (int d = 0; d < f.length; d++) {
                summed[d] = s[1][d] != f[d];
            }
            if (f.length == 1 && summed[0]) {
                return new MatrixSum(f[0], 1, 0, factor, out, own);
            }
            if (f.length == 2 && summed[0] && !summed[1]) {
                return new MatrixSum(f[0], f[1], 0, factor, out, own);
            }
            if (f.length == 2 && !summed[0] && summed[1]) {
                return new MatrixSum(0, f[0], f[1], factor, out, own);
            }
            if (f.length == 3 && summed[0] && !summed[1] && summed[2]) {
                return new MatrixSum(f[0], f[1], f[2], factor, out, own);
            }
            return null;
        }

        /**
         * The tensor as {@code [lead, kept trail]}: summed over its leading {@code lead} rows (0: none) by
         * {@code ones[1, lead] x m}, then over its trailing {@code trail} columns (0: none) by {@code m x ones[trail, 1]}.
         */
        private MatrixSum(long lead, long kept, long trail, double factor, INDArray out, Consumer<INDArray> own) {
            // reshapes of a dense output (of() checked it): views of its memory
            INDArray view;
            if (lead > 0 && trail > 0) {
                // [1, a] x [a, b c] = [1, b c], viewed [b, c], x [c, 1] = [b, 1]
                views = new Views(new long[] {lead, kept * trail});
                INDArray row = Nd4j.createUninitializedDetached(DataType.FLOAT, 1, kept * trail);
                own.accept(row);
                first = product(ones(own, 1, lead), row, true, 1.0);
                partial = row.reshape('c', kept, trail);
                view = out.reshape('c', kept, 1);
                second = product(ones(own, trail, 1), view, false, factor);
            } else if (lead > 0) {
                views = new Views(new long[] {lead, kept});
                view = out.reshape('c', 1, kept);
                first = product(ones(own, 1, lead), view, true, factor);
                partial = null;
                second = null;
            } else {
                views = new Views(new long[] {kept, trail});
                view = out.reshape('c', kept, 1);
                first = product(ones(own, trail, 1), view, false, factor);
                partial = null;
                second = null;
            }
        }

        private static INDArray ones(Consumer<INDArray> own, long rows, long cols) {
            // detached, as the plan's other arrays, whatever workspace is open when the plan is built
            INDArray o = Nd4j.createUninitializedDetached(DataType.FLOAT, rows, cols).assign(1);
            own.accept(o);
            return o;
        }

        private static Product product(INDArray ones, INDArray out, boolean onesFirst, double factor) {
            return new Product(Gemm.of(false, false, false, factor, out), ones, onesFirst);
        }

        /** Sums {@code x} (the full tensor) into the output. */
        void run(INDArray x) {
            first.run(views.of(x)[0]);
            if (second != null) {
                second.run(partial);
            }
        }

        void close() {
            first.call().close();
            if (second != null) {
                second.call().close();
            }
        }
    }

    /**
     * A sum over broadcast axes by matrix products ({@link MatrixSum}): the reductions {@code reduce_sum}
     * and {@code reduce_mean}, and {@code add_bp} and {@code subtract_bp} with an operand of another shape than the
     * gradient (whose gradient is the gradient summed over the axes it was broadcast along). Null where the pattern
     * of axes is another.
     */
    static Replacements.Kernel matrixSum(DifferentialFunction f, String op, INDArray[] in, INDArray[] out,
            boolean[] unread, Consumer<INDArray> own) {
        if (("reduce_sum".equals(op) || "reduce_mean".equals(op)) && f instanceof BaseReduceOp r && out.length == 1
                && in.length >= 1 && in[0].dataType() == DataType.FLOAT && in[0].rank() >= 2) {
            int[] dims = r.getDimensions();
            long[] axes = dims == null || (dims.length == 1 && dims[0] == Integer.MAX_VALUE) ? new long[0]
                    : Arrays.stream(dims).asLongStream().toArray();
            long[] full = in[0].shape();
            long[] kept = keptShape(full, axes);
            if (kept == null || out[0].length() != Arrays.stream(kept).reduce(1, (a, b) -> a * b)) {
                return null;
            }
            double factor = "reduce_mean".equals(op) ? 1.0 / (in[0].length() / out[0].length()) : 1.0;
            MatrixSum sum = MatrixSum.of(full, kept, out[0], factor, own);
            return sum == null ? null : Replacements.counted(op + "/matrix", new Replacements.Kernel() {
                @Override
                public void run(INDArray[] a) {
                    sum.run(a[0]);
                }

                @Override
                public void close() {
                    sum.close();
                }
            });
        }
        if (("add_bp".equals(op) || "subtract_bp".equals(op)) && in.length == 3 && out.length == 2
                && !Arrays.equals(in[0].shape(), in[1].shape())) {
            BroadcastAddBp k = BroadcastAddBp.of("subtract_bp".equals(op), in, out, unread, own);
            return k == null ? null : Replacements.counted(op + "/matrix", k);
        }
        return null;
    }

    /**
     * The backward pass of {@code z = x + y} or {@code z = x - y} with operands of different shapes: an operand of
     * the gradient's shape gets {@code dz} (or {@code -dz}), the other {@code dz} summed over its broadcast axes
     * (negated for the subtrahend) by matrix products. What libnd4j's {@code add_bp} computes, in another order of
     * summation.
     */
    static final class BroadcastAddBp implements Replacements.Kernel {
        private final Replacements.Call[] copies = new Replacements.Call[2];
        private final MatrixSum[] sums = new MatrixSum[2];

        static BroadcastAddBp of(boolean subtract, INDArray[] in, INDArray[] out, boolean[] unread,
                Consumer<INDArray> own) {
            long[] dz = in[2].shape();
            BroadcastAddBp k = new BroadcastAddBp();
            for (int i = 0; i < 2; i++) {
                if (unread[i]) {
                    continue;
                }
                double sign = subtract && i == 1 ? -1 : 1;
                if (Arrays.equals(in[i].shape(), dz)) {
                    // dz itself, or -dz for the subtrahend, as libnd4j's kernel assigns them
                    k.copies[i] = sign > 0 ? new Replacements.Call(DynamicCustomOp.builder("identity").build(), out[i])
                            : new Replacements.Call(new Negative(in[2], out[i]), out[i]);
                    continue;
                }
                long[] operand = in[i].shape();
                k.sums[i] = operand.length > dz.length ? null
                        : MatrixSum.of(dz, padded(dz, operand), out[i], sign, own);
                if (k.sums[i] == null) {
                    k.close();
                    return null;
                }
            }
            return k;
        }

        @Override
        public void run(INDArray[] in) {
            for (int i = 0; i < 2; i++) {
                if (copies[i] != null) {
                    copies[i].run(in[2]);
                } else if (sums[i] != null) {
                    sums[i].run(in[2]);
                }
            }
        }

        @Override
        public void close() {
            for (int i = 0; i < 2; i++) {
                if (copies[i] != null) {
                    copies[i].close();
                }
                if (sums[i] != null) {
                    sums[i].close();
                }
            }
        }
    }
}
