package org.jgan.engine.internal.graph;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.stream.LongStream;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;

/**
 * Java kernels for ops whose arrays all have at most {@link #MAX} elements: spectral normalization's power
 * iteration and the gradient through sigma ({@code [1, rows]} vectors, a weight seen as a matrix and its transpose,
 * norms), per-sample and per-channel factors, a loss's scalars. Such an op does almost no arithmetic, and a libnd4j
 * 1.0.0-M2.1 call costs 20 to 46 microseconds on average inside a training graph (a hot loop of one op measures 2.5
 * to 16: inside the graph each call goes through libnd4j's dispatch and shape code anew, between other ops). BigGAN's
 * iteration ran 4,650 such calls, 117 ms of 635 on a 2-core AMD EPYC with AVX2; SAGAN's and StyleGAN's their share
 * too. Here a call copies its inputs from their buffers (bound once per input array), computes in Java and writes
 * the outputs that are read.
 * <p>
 * Two kinds:
 * <ul>
 * <li>The same bits as libnd4j's kernel, always used: elementwise {@code add}, {@code subtract}, {@code multiply},
 * {@code divide}, with operands that broadcast; the legacy scalar ops ({@code add_scalar}, {@code sub_scalar},
 * {@code rsub_scalar}, {@code mul_scalar}, {@code div_scalar}, {@code rdiv_scalar}) and {@code square},
 * {@code rsqrt}; {@code stop_gradient}, {@code zeroslike}, a C-order {@code reshape}, a 2-d {@code transpose}; the
 * slope masks' step ({@link #step}); the products, copies and negations of {@code multiply_bp}, {@code add_bp},
 * {@code subtract_bp} for an operand of the output's shape, and {@code reduce_sum_bp}. One IEEE operation per element
 * on the same operands, so the same rounding.</li>
 * <li>Sums in an order of their own, only with {@link GraphPlan#ownArithmetic()}: {@code reduce_sum} to one element
 * and the legacy sums and means over axes (in double, rounded once), 2-d {@code matmul} and {@code matmul_bp}
 * without alpha or beta up to {@link #MAX_PRODUCT} multiply-adds (each element's terms added in order in float: by
 * rows, or as dot products for at most {@link #DOT_COLUMNS} columns; the same bits either way), a
 * broadcast operand's gradient in {@code multiply_bp}, {@code add_bp}, {@code subtract_bp} (in double), and the
 * legacy scalar {@code pow} (in double: libnd4j's {@code powf} may round the other way).</li>
 * </ul>
 * Anything else (other types, layouts libnd4j reads differently, larger arrays) is left to libnd4j.
 */
final class SmallKernels {

    /** The most elements of any input or output array of an op computed here. */
    static final int MAX = 16384;

    /** The most multiply-adds of a matrix product computed here (a float loop in Java, not a blocked BLAS kernel). */
    static final long MAX_PRODUCT = 1L << 17;

    /** The most columns of a product computed as dot products rather than as sums of rows ({@link Product}). */
    static final int DOT_COLUMNS = 3;

    private SmallKernels() {
    }

    /**
     * A kernel for the op, or null.
     *
     * @param own whether sums may run in an order of their own ({@link GraphPlan#ownArithmetic()})
     */
    static Replacements.Kernel of(DifferentialFunction f, String op, INDArray[] in, INDArray[] out, boolean[] unread,
            boolean own) {
        if (in.length == 0 || out.length == 0) {
            return null;
        }
        for (INDArray a : in) {
            if (!small(a)) {
                return null;
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (!unread[i] && !small(out[i])) {
                return null;
            }
        }
        if (f instanceof BaseScalarOp s) {
            return "pow".equals(op) ? own ? power(s, in, out) : null : scalarOp(s, op, in, out);
        }
        if (f instanceof BaseReduceOp r && ("reduce_sum".equals(op) || "reduce_mean".equals(op))) {
            // the legacy sum and mean (SDVariable.sum(), mean(dims)) with their axes in the op (an axes input is an
            // integer array, which small() refuses)
            long[] kept = own && out.length == 1 ? kept(r, in[0].shape()) : null;
            return kept == null ? null : reduction(kept, "reduce_mean".equals(op), in[0], out[0]);
        }
        if (!(f instanceof DynamicCustomOp c)) {
            return "square".equals(op) || "rsqrt".equals(op) ? transform(op, in, out) : null;
        }
        return switch (op) {
            case "add", "subtract", "multiply", "divide" -> binary(op, in, out);
            case "stop_gradient" -> in.length == 1 && same(in[0], out[0]) ? new Copy(out[0]) : null;
            case "zeroslike" -> in.length == 1 && out.length == 1 ? new Zeros(out[0]) : null;
            case "transpose", "permute" -> transpose(c, in, out);
            case "reduce_sum" -> own && out.length == 1 && out[0].length() == 1
                    ? reduction(LongStream.generate(() -> 1).limit(in[0].rank()).toArray(), false, in[0], out[0])
                    : null;
            case "reduce_sum_bp" -> sumBackward(in, out);
            // C order only: libnd4j reads a first integer argument of -'c' or -'f' as the order, others as the
            // shape (-1 to infer a side); any other negative one is left to it
            case "reshape" -> out.length == 1 && in[0].length() == out[0].length()
                    && (c.iArgs().length == 0 || c.iArgs()[0] == -'c' || c.iArgs()[0] >= -1) ? new Copy(out[0]) : null;
            case "multiply_bp", "add_bp", "subtract_bp" -> backward(op, in, out, unread, own);
            case "matmul" -> own ? matmul(c, in, out) : null;
            case "matmul_bp" -> own ? matmulBp(c, in, out, unread) : null;
            default -> null;
        };
    }

    /** 32-bit floats, dense in C order (as {@link PatchConv#dense} reads them), at most {@link #MAX} elements. */
    private static boolean small(INDArray a) {
        return a != null && a.dataType() == DataType.FLOAT && !a.isEmpty() && a.length() <= MAX
                && PatchConv.dense(a);
    }

    private static boolean same(INDArray a, INDArray b) {
        return Arrays.equals(a.shape(), b.shape());
    }

    /**
     * A kernel's access to its arrays: each input's buffer is bound again only when the op gets another array (the
     * plan's own intermediates never change; fed arrays may; {@link BoundInputs}), the outputs' once.
     */
    private abstract static class Small implements Replacements.Kernel {
        private final BoundInputs inputs;
        private final FloatBuffer[] outputs;
        /** The input arrays whose buffers {@link #inputBits} holds (bound as {@link BoundInputs} binds floats). */
        private final INDArray[] lastBits;
        /** The same memory as the inputs' and outputs' float buffers, read and written as the floats' bits. */
        private final IntBuffer[] inputBits;
        private final IntBuffer[] outputBits;
        /**
         * The dense copy of each input last read as bits from a copy (a buffer does not hold its array's memory: the
         * copy stays reachable until the next one).
         */
        private final INDArray[] copies;

        Small(int inputCount, INDArray... out) {
            inputs = new BoundInputs(inputCount);
            outputs = new FloatBuffer[out.length];
            lastBits = new INDArray[inputCount];
            inputBits = new IntBuffer[inputCount];
            outputBits = new IntBuffer[out.length];
            copies = new INDArray[inputCount];
            for (int i = 0; i < out.length; i++) {
                outputs[i] = out[i] == null ? null : out[i].data().asNioFloat();
                outputBits[i] = out[i] == null ? null : out[i].data().asNioInt();
            }
        }

        /** Input i's first {@code n} elements as their bits ({@code Float.floatToRawIntBits}) into {@code dst}. */
        final void readBits(INDArray[] in, int i, int[] dst, int n) {
            INDArray a = in[i];
            IntBuffer b;
            if (a == lastBits[i]) {
                b = inputBits[i];
            } else if (!PatchConv.dense(a)) {
                copies[i] = PatchConv.readable(a);
                b = copies[i].data().asNioInt();
            } else {
                lastBits[i] = a;
                b = inputBits[i] = a.data().asNioInt();
            }
            b.get(b.position(), dst, 0, n);
        }

        /** Floats given by their bits ({@code Float.intBitsToFloat}) into output o. */
        final void writeBits(int o, int[] src, int n) {
            outputBits[o].put(outputBits[o].position(), src, 0, n);
        }

        /** Input i's first {@code n} elements into {@code dst}. */
        final void read(INDArray[] in, int i, float[] dst, int n) {
            FloatBuffer b = inputs.get(in, i);
            b.get(b.position(), dst, 0, n);
        }

        /** Input i's first element. */
        final float first(INDArray[] in, int i, float[] scratch) {
            read(in, i, scratch, 1);
            return scratch[0];
        }

        final void write(int o, float[] src, int n) {
            outputs[o].put(outputs[o].position(), src, 0, n);
        }

        /** Input i, a C-order matrix of {@code rows.length} rows of {@code width}, into {@code rows}. */
        final void readRows(INDArray[] in, int i, float[][] rows, int width) {
            FloatBuffer b = inputs.get(in, i);
            int at = b.position();
            for (float[] row : rows) {
                b.get(at, row, 0, width);
                at += width;
            }
        }

        /** {@code rows} of {@code width} into output o, in C order. */
        final void writeRows(int o, float[][] rows, int width) {
            int at = outputs[o].position();
            for (float[] row : rows) {
                outputs[o].put(at, row, 0, width);
                at += width;
            }
        }
    }

    /**
     * {@code add}, {@code subtract}, {@code multiply}, {@code divide}: operands of the output's length, one-element
     * operands, or operands that broadcast to the output (a bias row, per-channel factors).
     */
    private static Replacements.Kernel binary(String op, INDArray[] in, INDArray[] out) {
        if (in.length != 2 || out.length != 1) {
            return null;
        }
        int[] mx = map(in[0], out[0]);
        int[] my = map(in[1], out[0]);
        if (mx == null || my == null) {
            return null;
        }
        int kind = switch (op) {
            case "add" -> 0;
            case "subtract" -> 1;
            case "multiply" -> 2;
            default -> 3;
        };
        return new Binary(kind, mx, my, (int) in[0].length(), (int) in[1].length(), out[0]);
    }

    /**
     * The shape a legacy reduction over the op's axes keeps (1 along the reduced axes; all when it has none or
     * ND4J's Integer.MAX_VALUE for all of them), or null for an axis out of range.
     */
    private static long[] kept(BaseReduceOp f, long[] shape) {
        long[] kept = shape.clone();
        INDArray d = f.dimensions();
        if (d == null || d.isEmpty() || Arrays.stream(d.toLongVector()).anyMatch(a -> a == Integer.MAX_VALUE)) {
            Arrays.fill(kept, 1);
            return kept;
        }
        for (long axis : d.toLongVector()) {
            long a = axis < 0 ? axis + shape.length : axis;
            if (a < 0 || a >= shape.length) {
                return null;
            }
            kept[(int) a] = 1;
        }
        return kept;
    }

    /**
     * A sum or mean of x over the axes where {@code kept} has 1 into z (z has kept's length): each output element's
     * terms in double, in the input's order, rounded once.
     */
    private static Replacements.Kernel reduction(long[] kept, boolean mean, INDArray x, INDArray z) {
        long[] shape = x.shape();
        long n = 1;
        for (long k : kept) {
            n *= k;
        }
        if (n != z.length()) {
            return null;
        }
        // each input element's output element: the kept shape broadcast to the input's
        int[] m = map(kept, n, shape, x.length());
        float[] in = new float[(int) x.length()];
        float[] out = new float[(int) n];
        double[] acc = new double[(int) n];
        double count = (double) x.length() / n;
        return new Small(1, z) {
            @Override
            public void run(INDArray[] a) {
                read(a, 0, in, in.length);
                Arrays.fill(acc, 0.0);
                if (m == DIRECT) {
                    for (int i = 0; i < in.length; i++) {
                        acc[i] += in[i];
                    }
                } else if (m.length == 1) {
                    double s = 0;
                    for (float v : in) {
                        s += v;
                    }
                    acc[0] = s;
                } else {
                    for (int i = 0; i < in.length; i++) {
                        acc[m[i]] += in[i];
                    }
                }
                for (int j = 0; j < out.length; j++) {
                    out[j] = (float) (mean ? acc[j] / count : acc[j]);
                }
                write(0, out, out.length);
            }
        };
    }

    /**
     * LeakyReLU's slope mask {@code [x > 0] scale + slope} into z, as the cast of the comparison, the
     * {@code mul_scalar} and the {@code add_scalar} it replaces compute it in float, or null where the arrays are not
     * small floats.
     */
    static Replacements.Kernel slopeMask(INDArray x, INDArray z, float scale, float slope) {
        if (!small(x) || !small(z) || !same(x, z)) {
            return null;
        }
        // the two values [x > 0] scale + slope takes, by the same float operations
        int off = Float.floatToRawIntBits(0f * scale + slope);
        int on = Float.floatToRawIntBits(1f * scale + slope);
        int[] v = new int[(int) x.length()];
        return new Small(1, z) {
            @Override
            public void run(INDArray[] a) {
                readBits(a, 0, v, v.length);
                select(v, off, on);
                writeBits(0, v, v.length);
            }
        };
    }

    /**
     * {@code x > cutoff ? 1 : 0} into z, as {@code Step} (and the cast of the comparison it replaces) computes it in
     * float, or null where the arrays are not small floats.
     */
    static Replacements.Kernel step(INDArray x, INDArray z, double cutoff) {
        if (!small(x) || !small(z) || !same(x, z)) {
            return null;
        }
        float c = (float) cutoff;
        if (c == 0f) {
            int[] bits = new int[(int) x.length()];
            return new Small(1, z) {
                @Override
                public void run(INDArray[] a) {
                    readBits(a, 0, bits, bits.length);
                    select(bits, 0, ONE);
                    writeBits(0, bits, bits.length);
                }
            };
        }
        float[] v = new float[(int) x.length()];
        return new Small(1, z) {
            @Override
            public void run(INDArray[] a) {
                read(a, 0, v, v.length);
                for (int i = 0; i < v.length; i++) {
                    v[i] = v[i] > c ? 1f : 0f;
                }
                write(0, v, v.length);
            }
        };
    }

    /** The bits of 1f. */
    private static final int ONE = 0x3f800000;

    /**
     * Floats given by their bits, in place: {@code on} where the float is greater than 0, else {@code off}, without a
     * branch and in integer operations only, which HotSpot's C2 vectorizes: a pre-activation's sign is a coin flip that
     * a branch mispredicts half the time (on a 2-core AMD EPYC, 40 us for 8,192 random elements as
     * {@code v > 0 ? 1 : 0}), and the same test on floats converted to and from their bits C2 does not vectorize
     * (on a 2-core Intel Xeon of family 6 model 207, 12.5 us for 8,192 elements with their reading and writing, here
     * 2.4). With {@code t} the float's bits less one, {@code v > 0} exactly when {@code 0 <= t <= 0x7f7fffff}: +0
     * gives -1, -0 gives {@code 0x7fffffff} and NaNs with a clear sign bit at least {@code 0x7f800000} (all above
     * {@code 0x7f7fffff}), negative values and NaNs with the sign bit set a negative t; that is the sign bit of
     * {@code t | (0x7f7fffff - t)} being clear, and its arithmetic shift by 31 is 0 where v > 0 and -1 elsewhere.
     */
    static void select(int[] bits, int off, int on) {
        for (int i = 0; i < bits.length; i++) {
            int t = bits[i] - 1;
            int notPositive = (t | (0x7f7fffff - t)) >> 31;
            bits[i] = (notPositive & off) | (~notPositive & on);
        }
    }

    /** No index map: the operand has the output's elements in order. */
    private static final int[] DIRECT = new int[0];

    /**
     * For an operand that broadcasts to {@code z} by numpy's rules: {@link #DIRECT} where it has z's length (its
     * elements in z's order), a one-element array for one element, else each of z's elements' index into the
     * operand (built once: shapes are fixed); null where it does not broadcast.
     */
    static int[] map(INDArray a, INDArray z) {
        return map(a.shape(), a.length(), z.shape(), z.length());
    }

    private static int[] map(long[] from, long length, long[] to, long n) {
        if (length == n) {
            return DIRECT;
        }
        if (length == 1) {
            return new int[1];
        }
        if (from.length > to.length) {
            return null;
        }
        // the operand's strides over z's axes, 0 along broadcast ones
        int r = to.length;
        long[] stride = new long[r];
        long s = 1;
        for (int i = r - 1; i >= 0; i--) {
            int j = i - (r - from.length);
            long d = j >= 0 ? from[j] : 1;
            if (d != 1 && d != to[i]) {
                return null;
            }
            stride[i] = d == 1 ? 0 : s;
            s *= d;
        }
        int[] m = new int[(int) n];
        int[] index = new int[r];
        int at = 0;
        for (int k = 0; k < n; k++) {
            m[k] = at;
            for (int i = r - 1; i >= 0; i--) {
                index[i]++;
                at += (int) stride[i];
                if (index[i] < to[i]) {
                    break;
                }
                at -= (int) (stride[i] * to[i]);
                index[i] = 0;
            }
        }
        return m;
    }

    private static final class Binary extends Small {
        private final int kind;
        private final int n;
        private final int[] mx;
        private final int[] my;
        private final float[] x;
        private final float[] y;
        private final float[] z;
        /** y repeats along z's leading axes ({@link #periodic}). */
        private final boolean byRows;

        Binary(int kind, int[] mx, int[] my, int a, int b, INDArray out) {
            super(2, out);
            this.kind = kind;
            this.n = (int) out.length();
            this.mx = mx;
            this.my = my;
            this.x = new float[a];
            this.y = new float[b];
            this.z = a == n ? x : new float[n];
            this.byRows = mx == DIRECT && periodic(my, b);
        }

        @Override
        public void run(INDArray[] in) {
            read(in, 0, x, x.length);
            read(in, 1, y, y.length);
            if (mx == DIRECT && my == DIRECT) {
                switch (kind) {
                    case 0 -> add(x, y, z);
                    case 1 -> subtract(x, y, z);
                    case 2 -> multiply(x, y, z);
                    default -> divide(x, y, z);
                }
            } else if (byRows) {
                // a trailing operand (a bias, a per-feature factor): the same operation per element, by rows
                for (int at = 0; at < n; at += y.length) {
                    switch (kind) {
                        case 0 -> addRow(x, y, z, at);
                        case 1 -> subtractRow(x, y, z, at);
                        case 2 -> multiplyRow(x, y, z, at);
                        default -> divideRow(x, y, z, at);
                    }
                }
            } else if (mx == DIRECT && my.length == 1 && kind != 3) {
                float s = y[0];
                switch (kind) {
                    case 0 -> addScalar(x, s, z);
                    case 1 -> addScalar(x, -s, z);
                    default -> multiplyScalar(x, s, z);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    float u = x[mx == DIRECT ? i : mx.length == 1 ? 0 : mx[i]];
                    float v = y[my == DIRECT ? i : my.length == 1 ? 0 : my[i]];
                    z[i] = switch (kind) {
                        case 0 -> u + v;
                        case 1 -> u - v;
                        case 2 -> u * v;
                        default -> u / v;
                    };
                }
            }
            write(0, z, n);
        }
    }

    /**
     * Whether an index map repeats its operand's elements in order ({@code m[i] = i % length}, the operand filling
     * z's trailing axes): then a loop over rows of {@code length} elements does what the map does, and HotSpot
     * vectorizes it.
     */
    static boolean periodic(int[] m, int length) {
        if (m == DIRECT || m.length <= 1 || length <= 1 || m.length % length != 0) {
            return false;
        }
        for (int i = 0; i < m.length; i++) {
            if (m[i] != i % length) {
                return false;
            }
        }
        return true;
    }

    private static void addRow(float[] x, float[] y, float[] z, int at) {
        for (int j = 0; j < y.length; j++) {
            z[at + j] = x[at + j] + y[j];
        }
    }

    private static void subtractRow(float[] x, float[] y, float[] z, int at) {
        for (int j = 0; j < y.length; j++) {
            z[at + j] = x[at + j] - y[j];
        }
    }

    private static void multiplyRow(float[] x, float[] y, float[] z, int at) {
        for (int j = 0; j < y.length; j++) {
            z[at + j] = x[at + j] * y[j];
        }
    }

    private static void divideRow(float[] x, float[] y, float[] z, int at) {
        for (int j = 0; j < y.length; j++) {
            z[at + j] = x[at + j] / y[j];
        }
    }

    // x - s equals x + (-s) bit for bit (negation is exact)
    private static void addScalar(float[] x, float s, float[] z) {
        for (int i = 0; i < z.length; i++) {
            z[i] = x[i] + s;
        }
    }

    private static void multiplyScalar(float[] x, float s, float[] z) {
        for (int i = 0; i < z.length; i++) {
            z[i] = x[i] * s;
        }
    }

    private static void add(float[] x, float[] y, float[] z) {
        for (int i = 0; i < z.length; i++) {
            z[i] = x[i] + y[i];
        }
    }

    private static void subtract(float[] x, float[] y, float[] z) {
        for (int i = 0; i < z.length; i++) {
            z[i] = x[i] - y[i];
        }
    }

    private static void multiply(float[] x, float[] y, float[] z) {
        for (int i = 0; i < z.length; i++) {
            z[i] = x[i] * y[i];
        }
    }

    private static void divide(float[] x, float[] y, float[] z) {
        for (int i = 0; i < z.length; i++) {
            z[i] = x[i] / y[i];
        }
    }

    /**
     * The legacy scalar ops, with a float scalar (libnd4j 1.0.0-M2.1 refuses a scalar of another type than the
     * array's: left to it, it fails as before).
     */
    private static Replacements.Kernel scalarOp(BaseScalarOp f, String op, INDArray[] in, INDArray[] out) {
        int kind = switch (op) {
            case "add_scalar" -> 0;
            case "sub_scalar" -> 1;
            case "rsub_scalar" -> 2;
            case "mul_scalar" -> 3;
            case "div_scalar" -> 4;
            case "rdiv_scalar" -> 5;
            default -> -1;
        };
        if (kind < 0 || out.length != 1 || !same(in[0], out[0])) {
            return null;
        }
        // a scalar the plan passes as an input is read on every call; the op's own once
        INDArray scalar = in.length == 2 ? in[1] : f.scalar();
        if (scalar == null || scalar.length() != 1 || scalar.dataType() != DataType.FLOAT) {
            return null;
        }
        return new ScalarOp(kind, out[0], in.length == 2, scalar.getFloat(0));
    }

    private static final class ScalarOp extends Small {
        private final int kind;
        private final float[] x;
        private final float[] s = new float[1];
        private final boolean fed;
        private final float value;

        ScalarOp(int kind, INDArray z, boolean fed, float value) {
            super(2, z);
            this.kind = kind;
            this.x = new float[(int) z.length()];
            this.fed = fed;
            this.value = value;
        }

        @Override
        public void run(INDArray[] in) {
            read(in, 0, x, x.length);
            float v = fed ? first(in, 1, s) : value;
            switch (kind) {
                case 0 -> addScalar(x, v, x);
                case 1 -> addScalar(x, -v, x);
                case 3 -> multiplyScalar(x, v, x);
                default -> {
                    for (int i = 0; i < x.length; i++) {
                        float a = x[i];
                        x[i] = kind == 2 ? v - a : kind == 4 ? a / v : v / a;
                    }
                }
            }
            write(0, x, x.length);
        }
    }

    /**
     * The legacy scalar {@code pow} with its exponent fixed in the op: {@code x^s} in double, rounded once (libnd4j's
     * {@code powf} may round the other way in rare cases: own arithmetic only).
     */
    private static Replacements.Kernel power(BaseScalarOp f, INDArray[] in, INDArray[] out) {
        INDArray scalar = f.scalar();
        if (in.length != 1 || out.length != 1 || !same(in[0], out[0]) || scalar == null || scalar.length() != 1) {
            return null;
        }
        double e = scalar.getDouble(0);
        float[] x = new float[(int) out[0].length()];
        return new Small(1, out[0]) {
            @Override
            public void run(INDArray[] a) {
                read(a, 0, x, x.length);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) Math.pow(x[i], e);
                }
                write(0, x, x.length);
            }
        };
    }

    /** {@code square} and {@code rsqrt} ({@code 1 / sqrt(x)}: both correctly rounded, so libnd4j's bits). */
    private static Replacements.Kernel transform(String op, INDArray[] in, INDArray[] out) {
        if (in.length != 1 || out.length != 1 || !same(in[0], out[0])) {
            return null;
        }
        boolean square = "square".equals(op);
        float[] x = new float[(int) out[0].length()];
        return new Small(1, out[0]) {
            @Override
            public void run(INDArray[] a) {
                read(a, 0, x, x.length);
                if (square) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = x[i] * x[i];
                    }
                } else {
                    for (int i = 0; i < x.length; i++) {
                        // the double square root of a float rounds to the float one (53 >= 2 * 24 + 2 bits)
                        x[i] = 1f / (float) Math.sqrt(x[i]);
                    }
                }
                write(0, x, x.length);
            }
        };
    }

    private static final class Copy extends Small {
        private final float[] x;

        Copy(INDArray z) {
            super(1, z);
            x = new float[(int) z.length()];
        }

        @Override
        public void run(INDArray[] in) {
            read(in, 0, x, x.length);
            write(0, x, x.length);
        }
    }

    private static final class Zeros extends Small {
        private final float[] x;

        Zeros(INDArray z) {
            super(1, z);
            x = new float[(int) z.length()];
        }

        @Override
        public void run(INDArray[] in) {
            write(0, x, x.length);
        }
    }

    /**
     * {@code reduce_sum_bp} whose gradient has the sum's kept axes (length 1 where summed) or one element: each
     * element of the input's gradient is the gradient's element it was summed into.
     */
    private static Replacements.Kernel sumBackward(INDArray[] in, INDArray[] out) {
        if (in.length < 2 || out.length != 1 || !same(in[0], out[0])
                || in[1].length() != 1 && in[1].rank() != out[0].rank()) {
            return null;
        }
        int[] m = map(in[1], out[0]);
        if (m == null) {
            return null;
        }
        float[] g = new float[(int) in[1].length()];
        float[] x = new float[(int) out[0].length()];
        return new Small(in.length, out[0]) {
            @Override
            public void run(INDArray[] a) {
                read(a, 1, g, g.length);
                if (m == DIRECT) {
                    System.arraycopy(g, 0, x, 0, x.length);
                } else if (m.length == 1) {
                    Arrays.fill(x, g[0]);
                } else {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = g[m[i]];
                    }
                }
                write(0, x, x.length);
            }
        };
    }

    /** A 2-d {@code transpose} or {@code permute} with permutation (1, 0) (or none, which reverses the axes). */
    private static Replacements.Kernel transpose(DynamicCustomOp c, INDArray[] in, INDArray[] out) {
        if (out.length != 1 || in[0].rank() != 2 || out[0].rank() != 2) {
            return null;
        }
        // (a permutation given as an input is an integer array, which small() refuses)
        long[] perm = c.iArgs();
        boolean reversed = perm == null || perm.length == 0 || Arrays.equals(perm, new long[] {1, 0});
        if (!reversed) {
            return Arrays.equals(perm, new long[] {0, 1}) && same(in[0], out[0]) ? new Copy(out[0]) : null;
        }
        long rows = in[0].size(0);
        long cols = in[0].size(1);
        if (out[0].size(0) != cols || out[0].size(1) != rows) {
            return null;
        }
        float[] x = new float[(int) in[0].length()];
        float[] z = new float[x.length];
        return new Small(in.length, out[0]) {
            @Override
            public void run(INDArray[] a) {
                read(a, 0, x, x.length);
                transposeInto(x, (int) rows, (int) cols, z);
                write(0, z, z.length);
            }
        };
    }

    /** {@code z [cols, rows] = x [rows, cols]^T}. */
    private static void transposeInto(float[] x, int rows, int cols, float[] z) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                z[c * rows + r] = x[r * cols + c];
            }
        }
    }

    /**
     * {@code multiply_bp}, {@code add_bp}, {@code subtract_bp} of {@code z = x op y}: an operand of the output's length
     * gets the products, copies or negation libnd4j computes (same bits); one that broadcasts gets their sums over its
     * broadcast elements (in double, in z's order), with {@code own} only.
     */
    private static Replacements.Kernel backward(String op, INDArray[] in, INDArray[] out, boolean[] unread,
            boolean own) {
        if (in.length != 3 || out.length != 2 || !same(in[0], out[0]) || !same(in[1], out[1])) {
            return null;
        }
        int[][] maps = {map(in[0], in[2]), map(in[1], in[2])};
        for (int o = 0; o < 2; o++) {
            if (maps[o] == null || maps[o] != DIRECT && !unread[o] && !own) {
                return null;
            }
        }
        int kind = "multiply_bp".equals(op) ? 0 : "add_bp".equals(op) ? 1 : 2;
        return new Backward(kind, (int) in[2].length(), maps, unread, out);
    }

    private static final class Backward extends Small {
        private final int kind;
        private final int[][] maps;
        private final boolean[] write;
        private final float[][] operands;
        private final float[] dz;
        private final float[] d;
        private final float[][] sums;
        private final double[] acc;
        /** Which operands repeat along the output's leading axes ({@link #periodic}). */
        private final boolean[] byRows;

        Backward(int kind, int n, int[][] maps, boolean[] unread, INDArray[] out) {
            super(3, out[0], out[1]);
            this.kind = kind;
            this.maps = maps;
            this.write = new boolean[] {!unread[0], !unread[1]};
            this.operands = new float[][] {new float[(int) out[0].length()], new float[(int) out[1].length()]};
            this.dz = new float[n];
            this.d = new float[n];
            this.sums = new float[][] {new float[operands[0].length], new float[operands[1].length]};
            this.acc = new double[Math.max(operands[0].length, operands[1].length)];
            this.byRows = new boolean[] {periodic(maps[0], operands[0].length), periodic(maps[1], operands[1].length)};
        }

        @Override
        public void run(INDArray[] in) {
            read(in, 2, dz, dz.length);
            if (kind == 0) {
                read(in, 0, operands[0], operands[0].length);
                read(in, 1, operands[1], operands[1].length);
            }
            for (int o = 0; o < 2; o++) {
                if (!write[o]) {
                    continue;
                }
                // the gradient of operand o at each output element: dz times the other operand for a product, dz or
                // -dz for a sum or difference
                if (kind == 0) {
                    float[] other = operands[1 - o];
                    int[] m = maps[1 - o];
                    if (m == DIRECT) {
                        multiply(dz, other, d);
                    } else if (m.length == 1) {
                        multiplyScalar(dz, other[0], d);
                    } else if (byRows[1 - o]) {
                        for (int at = 0; at < d.length; at += other.length) {
                            multiplyRow(dz, other, d, at);
                        }
                    } else {
                        for (int i = 0; i < d.length; i++) {
                            d[i] = dz[i] * other[m[i]];
                        }
                    }
                } else if (kind == 2 && o == 1) {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = -dz[i];
                    }
                } else {
                    System.arraycopy(dz, 0, d, 0, d.length);
                }
                int[] m = maps[o];
                if (m == DIRECT) {
                    write(o, d, d.length);
                    continue;
                }
                int len = sums[o].length;
                Arrays.fill(acc, 0, len, 0.0);
                if (byRows[o]) {
                    // each sum's terms in the same order, by rows
                    for (int at = 0; at < d.length; at += len) {
                        for (int j = 0; j < len; j++) {
                            acc[j] += d[at + j];
                        }
                    }
                } else {
                    for (int i = 0; i < d.length; i++) {
                        acc[m.length == 1 ? 0 : m[i]] += d[i];
                    }
                }
                for (int j = 0; j < len; j++) {
                    sums[o][j] = (float) acc[j];
                }
                write(o, sums[o], len);
            }
        }
    }

    /** libnd4j's {@code matmul} arguments: transposes of x, y, z; alpha and beta. */
    private static int[] transposes(DynamicCustomOp c) {
        long[] ia = c.iArgs();
        double[] ta = c.tArgs();
        if (ta != null && (ta.length > 0 && ta[0] != 1.0 || ta.length > 1 && ta[1] != 0.0)) {
            return null;
        }
        return new int[] {ia != null && ia.length > 0 ? (int) ia[0] : 0, ia != null && ia.length > 1 ? (int) ia[1] : 0,
            ia != null && ia.length > 2 ? (int) ia[2] : 0};
    }

    private static Replacements.Kernel matmul(DynamicCustomOp c, INDArray[] in, INDArray[] out) {
        int[] t = transposes(c);
        if (t == null || in.length != 2 || out.length != 1) {
            return null;
        }
        Product p = Product.of(in[0], t[0], in[1], t[1], t[2], out[0]);
        if (p == null) {
            return null;
        }
        return new Small(2, out[0]) {
            @Override
            public void run(INDArray[] a) {
                p.run(this, a, 0, 1, 0);
            }
        };
    }

    /**
     * {@code matmul_bp} of {@code z = op(x) op(y)} (transposes tX, tY, tZ): {@code dx = matmul(dz, y; tZ, !tY, tX)}
     * and {@code dy = matmul(x, dz; !tX, tZ, tY)}, the products libnd4j's op computes, those that are read.
     */
    private static Replacements.Kernel matmulBp(DynamicCustomOp c, INDArray[] in, INDArray[] out, boolean[] unread) {
        int[] t = transposes(c);
        if (t == null || in.length != 3 || out.length != 2) {
            return null;
        }
        Product dx = unread[0] ? null : Product.of(in[2], t[2], in[1], 1 - t[1], t[0], out[0]);
        Product dy = unread[1] ? null : Product.of(in[0], 1 - t[0], in[2], t[2], t[1], out[1]);
        if (!unread[0] && dx == null || !unread[1] && dy == null) {
            return null;
        }
        return new Small(3, out) {
            @Override
            public void run(INDArray[] a) {
                if (dx != null) {
                    dx.run(this, a, 2, 1, 0);
                }
                if (dy != null) {
                    dy.run(this, a, 0, 2, 1);
                }
            }
        };
    }

    /**
     * {@code z = op(a) op(b)}, or its transpose with {@code tz}, for 2-d operands: each row of the product a sum of
     * {@code op(b)}'s rows in order (a float multiply-add per term), on rows held as arrays of their own so that
     * HotSpot vectorizes the loop. A product with at most {@link #DOT_COLUMNS} columns (a discriminator's logit, a
     * generator's 2-d output, and their weight gradients) takes each element as one dot product instead, over
     * {@code op(b)}'s columns held contiguously: the same terms added in the same order from 0, so the same bits,
     * without a loop of one or two elements per term (on a 2-core AMD EPYC, {@code [64, 128] x [128, 1]} 34 us as
     * rows, 9 as dot products; {@code [64, 128] x [128, 2]} 34 and 13; at 4 columns the rows win again).
     */
    private static final class Product {
        private final int m;
        private final int k;
        private final int n;
        private final int ta;
        private final int tb;
        private final int tz;
        /**
         * a as read ([m, k], or [k, m] when transposed): op(a)[i][q] is {@code a[i * rowStride + q * termStride]},
         * read in place (a transposed copy of a [128, 128] a took 5% of R1's D step on the ring MLP).
         */
        private final float[] a;
        private final int rowStride;
        private final int termStride;
        /** A column of the product's sums while dot products run over a transposed a, term by term. */
        private final float[] sums;
        /** b as read when transposed ([n, k]), and op(b) by rows [k][n]. */
        private final float[] b;
        private final float[][] right;
        /** The product by rows [m][n], and z when transposed ([n, m]). */
        private final float[][] rows;
        private final float[] z;
        /** For dot products ({@link #DOT_COLUMNS}): b as read ([k, n], or [n, k] when transposed), op(b)'s columns. */
        private final float[] read;
        private final float[] columns;

        private Product(int m, int k, int n, int ta, int tb, int tz) {
            this.m = m;
            this.k = k;
            this.n = n;
            this.ta = ta;
            this.tb = tb;
            this.tz = tz;
            this.a = new float[m * k];
            this.rowStride = ta == 1 ? 1 : k;
            this.termStride = ta == 1 ? m : 1;
            this.sums = ta == 1 && n <= DOT_COLUMNS ? new float[m] : null;
            this.rows = new float[m][n];
            this.z = tz == 1 ? new float[m * n] : null;
            if (n <= DOT_COLUMNS) {
                // b as read when transposed is op(b)'s columns already
                this.b = null;
                this.right = null;
                this.columns = new float[k * n];
                this.read = tb == 1 ? columns : new float[k * n];
            } else {
                this.b = tb == 1 ? new float[k * n] : null;
                this.right = new float[k][n];
                this.columns = null;
                this.read = null;
            }
        }

        static Product of(INDArray x, int tx, INDArray y, int ty, int tz, INDArray z) {
            if (x.rank() != 2 || y.rank() != 2 || z.rank() != 2) {
                return null;
            }
            long m = x.size(tx == 1 ? 1 : 0);
            long k = x.size(tx == 1 ? 0 : 1);
            long n = y.size(ty == 1 ? 0 : 1);
            if (y.size(ty == 1 ? 1 : 0) != k || m * k * n > MAX_PRODUCT || k == 0) {
                return null;
            }
            if (z.size(0) != (tz == 1 ? n : m) || z.size(1) != (tz == 1 ? m : n)) {
                return null;
            }
            return new Product((int) m, (int) k, (int) n, tx, ty, tz);
        }

        /** The product of the kernel's inputs {@code ia} and {@code ib} into its output {@code o}. */
        void run(Small kernel, INDArray[] in, int ia, int ib, int o) {
            kernel.read(in, ia, a, a.length);
            if (columns != null) {
                dots(kernel, in, ib);
            } else {
                sumsOfRows(kernel, in, ib);
            }
            if (tz == 1) {
                for (int i = 0; i < m; i++) {
                    float[] row = rows[i];
                    for (int j = 0; j < n; j++) {
                        z[j * m + i] = row[j];
                    }
                }
                kernel.write(o, z, z.length);
            } else {
                kernel.writeRows(o, rows, n);
            }
        }

        /** Each element as one dot product of a row of op(a) and a column of op(b) (at most DOT_COLUMNS columns). */
        private void dots(Small kernel, INDArray[] in, int ib) {
            kernel.read(in, ib, read, read.length);
            if (tb == 0) {
                transposeInto(read, k, n, columns);
            }
            if (ta == 1) {
                // a as read is [k, m]: term q of every row's sum at once, in q's order from 0 as below
                for (int j = 0; j < n; j++) {
                    Arrays.fill(sums, 0f);
                    int from = j * k;
                    for (int q = 0; q < k; q++) {
                        float c = columns[from + q];
                        int at = q * m;
                        for (int i = 0; i < m; i++) {
                            sums[i] += a[at + i] * c;
                        }
                    }
                    for (int i = 0; i < m; i++) {
                        rows[i][j] = sums[i];
                    }
                }
                return;
            }
            for (int i = 0; i < m; i++) {
                float[] row = rows[i];
                int at = i * k;
                for (int j = 0; j < n; j++) {
                    int from = j * k;
                    float sum = 0f;
                    for (int q = 0; q < k; q++) {
                        sum += a[at + q] * columns[from + q];
                    }
                    row[j] = sum;
                }
            }
        }

        /** Each row of the product as a sum of op(b)'s rows, four terms per pass, in order. */
        private void sumsOfRows(Small kernel, INDArray[] in, int ib) {
            if (tb == 1) {
                kernel.read(in, ib, b, b.length);
                for (int j = 0; j < n; j++) {
                    for (int q = 0; q < k; q++) {
                        right[q][j] = b[j * k + q];
                    }
                }
            } else {
                kernel.readRows(in, ib, right, n);
            }
            for (int i = 0; i < m; i++) {
                float[] row = rows[i];
                Arrays.fill(row, 0f);
                int at = i * rowStride;
                int q = 0;
                // four terms per pass over the row, added in order: the same bits as one at a time, with a quarter
                // of the row's loads and stores ([64, 16] x [16, 128]: 15-25 us one at a time, 9-15 four)
                for (; q + 3 < k; q += 4) {
                    float s0 = a[at + q * termStride];
                    float s1 = a[at + (q + 1) * termStride];
                    float s2 = a[at + (q + 2) * termStride];
                    float s3 = a[at + (q + 3) * termStride];
                    float[] r0 = right[q];
                    float[] r1 = right[q + 1];
                    float[] r2 = right[q + 2];
                    float[] r3 = right[q + 3];
                    for (int j = 0; j < n; j++) {
                        row[j] = (((row[j] + s0 * r0[j]) + s1 * r1[j]) + s2 * r2[j]) + s3 * r3[j];
                    }
                }
                for (; q < k; q++) {
                    float s = a[at + q * termStride];
                    float[] r = right[q];
                    for (int j = 0; j < n; j++) {
                        row[j] += s * r[j];
                    }
                }
            }
        }
    }
}
