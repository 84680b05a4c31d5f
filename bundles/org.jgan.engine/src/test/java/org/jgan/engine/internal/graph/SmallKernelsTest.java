package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.scalar.Pow;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarReverseDivision;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarReverseSubtraction;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarSubtraction;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;
import org.nd4j.linalg.api.ops.impl.transforms.same.Square;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link SmallKernels} against libnd4j's own kernel for the same op on the same arguments: bit for bit for the
 * kernels that promise libnd4j's bits (elementwise ops with and without broadcasting, the legacy scalar ops with
 * float and double scalars, square and reciprocal square root over signs, zeros, tiny and huge values, copies,
 * transposes, the products and copies of the elementwise ops' backward passes, the sum's backward pass); for those
 * that sum in an order of their own, against sums and products written out in float64 here (and within float
 * rounding of libnd4j's): full sums, matrix products with every combination of transposes, their backward passes
 * with one or both gradients read, the broadcast operands' gradients. Also which ops it refuses, and a kernel fed
 * other arrays, and another layout, between calls. In a plan: spectral normalization's power iteration and its
 * gradient, SameDiff's bits with libnd4j's arithmetic, the kernels counted.
 */
class SmallKernelsTest {

    private final Random random = new Random(7);
    private boolean ownArithmetic;
    private boolean small;

    @BeforeEach
    void kernelsOn() {
        ownArithmetic = GraphPlan.ownArithmetic(false);
        small = GraphPlan.smallKernels(true);
    }

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(ownArithmetic);
        GraphPlan.smallKernels(small);
    }

    /** Values over signs and magnitudes from 1e-2 to 1e2. */
    private INDArray values(long... shape) {
        INDArray a = Nd4j.create(DataType.FLOAT, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, (float) (random.nextGaussian() * Math.pow(10, random.nextInt(5) - 2)));
        }
        return a;
    }

    /** {@link #values} with exact zeros of both signs, ones, a subnormal, a tiny and a huge value among them. */
    private INDArray extremes(long... shape) {
        INDArray a = values(shape);
        float[] special = {0f, -0f, 1f, -1f, 1e-30f, -3e-40f, 7e25f, 0.1f};
        for (int i = 0; i < Math.min(a.length(), special.length); i++) {
            a.putScalar(i, special[i]);
        }
        return a;
    }

    private INDArray positive(long... shape) {
        INDArray a = values(shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, Math.abs(a.getFloat(i)) + 1e-6f);
        }
        return a;
    }

    private static void assertBits(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        float[] e = expected.dup('c').data().asFloat();
        float[] a = actual.dup('c').data().asFloat();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Float.floatToIntBits(e[i]), Float.floatToIntBits(a[i]),
                    what + ": element " + i + ", libnd4j " + e[i] + ", kernel " + a[i]);
        }
    }

    private static Replacements.Kernel kernel(DifferentialFunction f, String op, INDArray[] in, INDArray[] out,
            boolean own) {
        boolean[] unread = new boolean[out.length];
        return SmallKernels.of(f, op, in, out, unread, own);
    }

    /** Runs the custom op through libnd4j and through the kernel (with own arithmetic as given); returns both outputs. */
    private static INDArray[][] both(String op, INDArray[] in, long[][] outShapes, long[] iArgs, boolean own) {
        INDArray[] expected = new INDArray[outShapes.length];
        INDArray[] actual = new INDArray[outShapes.length];
        for (int i = 0; i < outShapes.length; i++) {
            expected[i] = Nd4j.create(DataType.FLOAT, outShapes[i]);
            // NaN, so that an output the kernel does not write shows
            actual[i] = Nd4j.create(DataType.FLOAT, outShapes[i]).assign(Float.NaN);
        }
        DynamicCustomOp.DynamicCustomOpsBuilder b = DynamicCustomOp.builder(op).addInputs(in).addOutputs(expected);
        if (iArgs != null) {
            b.addIntegerArguments(java.util.Arrays.stream(iArgs).mapToInt(Math::toIntExact).toArray());
        }
        DynamicCustomOp f = b.build();
        Nd4j.exec(f);
        Replacements.Kernel k = kernel(f, op, in, actual, own);
        assertNotNull(k, op + " on " + shapes(in) + " has a kernel");
        k.run(in);
        return new INDArray[][] {expected, actual};
    }

    private static String shapes(INDArray[] in) {
        StringBuilder sb = new StringBuilder();
        for (INDArray a : in) {
            sb.append(java.util.Arrays.toString(a.shape()));
        }
        return sb.toString();
    }

    @Test
    void elementwiseOpsHaveLibnd4jsBitsWithAndWithoutBroadcasting() {
        long[][][] cases = {
            {{4, 6}, {4, 6}, {4, 6}},
            {{4, 6}, {}, {4, 6}},
            {{}, {4, 6}, {4, 6}},
            {{1, 5}, {5}, {1, 5}},
            {{32, 7}, {7}, {32, 7}},
            {{6, 4, 5}, {4, 5}, {6, 4, 5}},
            {{3, 5, 1, 1}, {1, 5, 1, 1}, {3, 5, 1, 1}},
            {{1, 5, 1, 1}, {3, 5, 1, 1}, {3, 5, 1, 1}},
            {{3, 1}, {1, 4}, {3, 4}},
            {{2, 3, 4}, {3, 1}, {2, 3, 4}}};
        for (String op : List.of("add", "subtract", "multiply", "divide")) {
            for (long[][] c : cases) {
                INDArray x = extremes(c[0]);
                INDArray y = "divide".equals(op) ? positive(c[1]) : extremes(c[1]);
                INDArray[][] r;
                try {
                    r = both(op, new INDArray[] {x, y}, new long[][] {c[2]}, null, false);
                } catch (RuntimeException e) {
                    throw new AssertionError(op + " of " + shapes(new INDArray[] {x, y}), e);
                }
                assertBits(r[0][0], r[1][0], op + " of " + shapes(new INDArray[] {x, y}));
            }
        }
    }

    @Test
    void scalarOpsAndTransformsHaveLibnd4jsBits() {
        INDArray x = extremes(6, 7);
        INDArray p = positive(6, 7);
        for (double s : new double[] {1e-24, 0.3, -2.5, 1e8}) {
            {
                List<BaseScalarOp> ops = List.of(new ScalarAdd(x, s), new ScalarSubtraction(x, s),
                        new ScalarReverseSubtraction(x, s), new ScalarMultiplication(x, s),
                        new org.nd4j.linalg.api.ops.impl.scalar.ScalarDivision(x, s), new ScalarReverseDivision(p, s));
                for (BaseScalarOp op : ops) {
                    INDArray in = op.x();
                    INDArray expected = Nd4j.create(DataType.FLOAT, in.shape());
                    INDArray actual = Nd4j.create(DataType.FLOAT, in.shape());
                    op.setZ(expected);
                    Nd4j.getExecutioner().exec(op);
                    Replacements.Kernel k = kernel(op, op.opName(), new INDArray[] {in}, new INDArray[] {actual}, false);
                    assertNotNull(k, op.opName());
                    k.run(new INDArray[] {in});
                    assertBits(expected, actual, op.opName() + " " + s);
                    // the scalar as the op's second input, as a plan passes a computed one: read on every call
                    INDArray fed = Nd4j.scalar(DataType.FLOAT, (float) s);
                    INDArray twice = Nd4j.create(DataType.FLOAT, in.shape());
                    Replacements.Kernel kf = kernel(op, op.opName(), new INDArray[] {in, fed},
                            new INDArray[] {twice}, false);
                    kf.run(new INDArray[] {in, fed});
                    assertBits(expected, twice, op.opName() + " with the scalar " + s + " fed");
                    fed.assign(-0.75f);
                    op.setScalar(Nd4j.scalar(DataType.FLOAT, -0.75f));
                    Nd4j.getExecutioner().exec(op);
                    kf.run(new INDArray[] {in, fed});
                    assertBits(expected, twice, op.opName() + " with the fed scalar changed to -0.75");
                    op.setScalar(Nd4j.scalar(DataType.DOUBLE, s));
                    assertNull(kernel(op, op.opName(), new INDArray[] {in}, new INDArray[] {actual}, false),
                            "a double scalar, which libnd4j refuses for float arrays");
                }
            }
        }
        for (INDArray in : List.of(x, p)) {
            INDArray e1 = Nd4j.create(DataType.FLOAT, in.shape());
            INDArray e2 = Nd4j.create(DataType.FLOAT, in.shape());
            Square square = new Square(in, e1);
            RSqrt rsqrt = new RSqrt(in, e2);
            Nd4j.getExecutioner().exec(square);
            Nd4j.getExecutioner().exec(rsqrt);
            INDArray a1 = Nd4j.create(DataType.FLOAT, in.shape());
            INDArray a2 = Nd4j.create(DataType.FLOAT, in.shape());
            kernel(square, "square", new INDArray[] {in}, new INDArray[] {a1}, false).run(new INDArray[] {in});
            kernel(rsqrt, "rsqrt", new INDArray[] {in}, new INDArray[] {a2}, false).run(new INDArray[] {in});
            assertBits(e1, a1, "square");
            assertBits(e2, a2, "rsqrt");
        }
    }

    @Test
    void copiesTransposesAndTheSumsBackwardPassHaveLibnd4jsBits() {
        INDArray x = values(5, 9);
        INDArray[][] r = both("stop_gradient", new INDArray[] {x}, new long[][] {{5, 9}}, null, false);
        assertBits(r[0][0], r[1][0], "stop_gradient");
        r = both("zeroslike", new INDArray[] {x}, new long[][] {{5, 9}}, null, false);
        assertBits(r[0][0], r[1][0], "zeroslike");
        r = both("transpose", new INDArray[] {x}, new long[][] {{9, 5}}, null, false);
        assertBits(r[0][0], r[1][0], "transpose");
        r = both("permute", new INDArray[] {x}, new long[][] {{9, 5}}, new long[] {1, 0}, false);
        assertBits(r[0][0], r[1][0], "permute (1, 0)");
        r = both("permute", new INDArray[] {x}, new long[][] {{5, 9}}, new long[] {0, 1}, false);
        assertBits(r[0][0], r[1][0], "permute (0, 1)");
        r = both("reshape", new INDArray[] {x}, new long[][] {{3, 15}}, new long[] {-'c', 3, 15}, false);
        assertBits(r[0][0], r[1][0], "reshape");
        assertNull(kernel(DynamicCustomOp.builder("reshape").addIntegerArguments(-'f', 3, 15).build(), "reshape",
                new INDArray[] {x}, new INDArray[] {Nd4j.create(DataType.FLOAT, 3, 15)}, false), "an F-order reshape");
        // the gradient of a full sum, and of a sum over axis 1 with its axis kept
        r = both("reduce_sum_bp", new INDArray[] {x, values()}, new long[][] {{5, 9}}, null, false);
        assertBits(r[0][0], r[1][0], "reduce_sum_bp of a full sum");
        r = both("reduce_sum_bp", new INDArray[] {x, values(5, 1)}, new long[][] {{5, 9}}, new long[] {1}, false);
        assertBits(r[0][0], r[1][0], "reduce_sum_bp over axis 1, kept");
        r = both("reduce_sum_bp", new INDArray[] {x, values(1, 9)}, new long[][] {{5, 9}}, new long[] {0}, false);
        assertBits(r[0][0], r[1][0], "reduce_sum_bp over axis 0, kept");
    }

    @Test
    void elementwiseBackwardPassesHaveLibnd4jsBitsForOperandsOfOneShape() {
        for (String op : List.of("multiply_bp", "add_bp", "subtract_bp")) {
            INDArray x = values(4, 8);
            INDArray y = values(4, 8);
            INDArray dz = values(4, 8);
            INDArray[][] r = both(op, new INDArray[] {x, y, dz}, new long[][] {{4, 8}, {4, 8}}, null, false);
            assertBits(r[0][0], r[1][0], op + " dx");
            assertBits(r[0][1], r[1][1], op + " dy");
            // with one gradient unread, the other alone, the unread one not written
            for (int read = 0; read < 2; read++) {
                INDArray[] out = {x.like().assign(Float.NaN), y.like().assign(Float.NaN)};
                boolean[] unread = {read == 1, read == 0};
                SmallKernels.of(dummy(op), op, new INDArray[] {x, y, dz}, out, unread, false)
                        .run(new INDArray[] {x, y, dz});
                assertBits(r[0][read], out[read], op + " gradient " + read + " alone");
                assertTrue(out[1 - read].isNaN().all(), op + ": the unread gradient is not written");
            }
        }
    }

    /**
     * The gradient of a broadcast operand is a sum over the elements it was broadcast to: against that sum in float64
     * (to 1e-6 of the terms' magnitudes) and libnd4j's within float rounding; the full operand's gradient keeps
     * libnd4j's bits. Refused without own arithmetic unless that gradient is unread.
     */
    @Test
    void broadcastOperandsGetTheirGradientsSummed() {
        long[][][] cases = {{{3, 5, 2, 2}, {1, 5, 1, 1}}, {{6, 7}, {7}}, {{6, 7}, {}}, {{1, 5, 1, 1}, {3, 5, 2, 2}},
            {{7}, {6, 7}}};
        for (String op : List.of("multiply_bp", "add_bp", "subtract_bp")) {
            for (long[][] c : cases) {
                INDArray x = values(c[0]);
                INDArray y = values(c[1]);
                long[] zs = x.length() >= y.length() ? c[0] : c[1];
                INDArray dz = values(zs);
                INDArray[] in = {x, y, dz};
                INDArray[][] r = both(op, in, new long[][] {c[0], c[1]}, null, true);
                int full = x.length() >= y.length() ? 0 : 1;
                assertBits(r[0][full], r[1][full], op + " full operand of " + shapes(in));
                int broadcast = 1 - full;
                INDArray reference = broadcastGradient(op, in, broadcast);
                assertClose(reference, r[1][broadcast], op + " broadcast operand of " + shapes(in));
                assertClose(reference, r[0][broadcast], "libnd4j's " + op + " of " + shapes(in));
                if (c[broadcast].length == 1 && c[full].length == 2) {
                    // a bias's gradient: each sum's terms in row order, in float64, rounded once
                    assertBits(rowSums(op, in, broadcast), r[1][broadcast], op + " sums in order of " + shapes(in));
                }
                // without own arithmetic only where that gradient is unread
                boolean[] unread = new boolean[2];
                INDArray[] outs = {x.like(), y.like()};
                assertNull(SmallKernels.of(dummy(op), op, in, outs, unread, false), op + " sums only with own");
                unread[broadcast] = true;
                assertNotNull(SmallKernels.of(dummy(op), op, in, outs, unread, false), op + " without the sum");
            }
        }
    }

    /**
     * d(op)/d operand {@code o} for {@code z = x op y} with that operand a row of z's last axis: per column, the rows'
     * terms added in order in double.
     */
    private static INDArray rowSums(String op, INDArray[] in, int o) {
        INDArray row = in[o];
        INDArray other = in[1 - o];
        INDArray dz = in[2];
        INDArray out = row.like();
        for (long j = 0; j < row.length(); j++) {
            double s = 0;
            for (long i = 0; i < dz.size(0); i++) {
                float g = dz.getFloat(i, j);
                s += switch (op) {
                    case "multiply_bp" -> g * other.getFloat(i, j);
                    case "subtract_bp" -> o == 1 ? -g : g;
                    default -> g;
                };
            }
            out.putScalar(j, (float) s);
        }
        return out;
    }

    private static DynamicCustomOp dummy(String op) {
        return DynamicCustomOp.builder(op).build();
    }

    /**
     * d(op)/d(operand o) summed over the axes that operand was broadcast along, in float64 by ND4J's broadcasting
     * product and sum.
     */
    private static INDArray broadcastGradient(String op, INDArray[] in, int o) {
        INDArray dz = in[2].castTo(DataType.DOUBLE);
        INDArray terms = switch (op) {
            case "multiply_bp" -> dz.mul(in[1 - o].castTo(DataType.DOUBLE));
            case "subtract_bp" -> o == 1 ? dz.neg() : dz;
            default -> dz;
        };
        long[] shape = in[o].shape();
        int rank = terms.rank();
        List<Integer> axes = new java.util.ArrayList<>();
        for (int i = 0; i < rank; i++) {
            int j = i - (rank - shape.length);
            if (j < 0 || shape[j] == 1) {
                axes.add(i);
            }
        }
        INDArray sums = terms.sum(true, axes.stream().mapToInt(Integer::intValue).toArray());
        return sums.reshape(shape).castTo(DataType.FLOAT);
    }

    /** Within 1e-6 of the largest magnitude, relative, element by element. */
    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        double scale = Math.max(1e-30, expected.amaxNumber().doubleValue());
        double[] es = expected.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        double[] as = actual.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        for (int i = 0; i < es.length; i++) {
            double e = es[i];
            double a = as[i];
            assertTrue(Math.abs(e - a) <= 1e-6 * scale + 1e-6 * Math.abs(e),
                    what + ": element " + i + " expected " + e + " but was " + a);
        }
    }

    /**
     * The slope masks' step, {@code x > cutoff ? 1 : 0}, against libnd4j's {@code Step}: ties, signed zeros, subnormals
     * of both signs, infinities and NaNs of both signs included (at 0 the kernel takes no branch).
     */
    @Test
    void stepsHaveLibnd4jsBits() {
        INDArray x = withEdges(extremes(9, 13));
        for (double cutoff : new double[] {0, 0.25, -1}) {
            INDArray expected = x.like();
            Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.scalar.Step(x, expected, cutoff));
            INDArray actual = x.like();
            SmallKernels.step(x, actual, cutoff).run(new INDArray[] {x});
            assertBits(expected, actual, "step at " + cutoff);
        }
        assertNull(SmallKernels.step(values(SmallKernels.MAX + 1), values(SmallKernels.MAX + 1), 0), "too large");
    }

    /**
     * LeakyReLU's slope mask {@code [x > 0] scale + slope} against the graph's ops it replaces, libnd4j's {@code Step},
     * {@code mul_scalar} and {@code add_scalar}, on the step's edge values, for several slopes (the kernel writes one
     * of two precomputed floats by its bits).
     */
    @Test
    void slopeMasksHaveLibnd4jsBits() {
        INDArray x = withEdges(extremes(9, 13));
        for (float slope : new float[] {0.2f, 0.01f, 0.3f, 0f}) {
            float scale = 1 - slope;
            INDArray expected = x.like();
            Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.scalar.Step(x, expected, 0));
            Nd4j.getExecutioner().exec(new ScalarMultiplication(expected, scale));
            Nd4j.getExecutioner().exec(new ScalarAdd(expected, slope));
            INDArray actual = x.like();
            SmallKernels.slopeMask(x, actual, scale, slope).run(new INDArray[] {x});
            assertBits(expected, actual, "slope mask at slope " + slope);
            assertEquals(slope, actual.getFloat(1), 0f, "at -0");
            assertEquals(1f, actual.getFloat(2), 1e-7f, "at 1");
        }
        assertNull(SmallKernels.slopeMask(values(SmallKernels.MAX + 1), values(SmallKernels.MAX + 1), 0.8f, 0.2f),
                "too large");
    }

    /**
     * One step kernel and one slope-mask kernel, then other input arrays: a view at an offset (read through its own
     * position in the buffer), an F-order array of the same shape (read through a dense copy), the first array again;
     * and an output that is a view at an offset.
     */
    @Test
    void stepsAndSlopeMasksRebindTheirInputs() {
        INDArray x = withEdges(extremes(9, 13));
        INDArray rows = withEdges(extremes(12, 13)).get(NDArrayIndex.interval(3, 12), NDArrayIndex.all());
        assertTrue(rows.offset() > 0, "a view at an offset");
        INDArray f = values(9, 13).dup('f');
        INDArray outputs = Nd4j.zeros(DataType.FLOAT, 11, 13);
        INDArray z = outputs.get(NDArrayIndex.interval(2, 11), NDArrayIndex.all());
        assertTrue(z.offset() > 0, "an output at an offset");
        Replacements.Kernel step = SmallKernels.step(x, z, 0);
        Replacements.Kernel mask = SmallKernels.slopeMask(x, z, 0.8f, 0.2f);
        for (INDArray in : new INDArray[] {x, rows, f, x}) {
            INDArray expected = in.like();
            Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.scalar.Step(in, expected, 0));
            step.run(new INDArray[] {in});
            assertBits(expected, z, "step of a " + in.ordering() + "-order array at offset " + in.offset());
            Nd4j.getExecutioner().exec(new ScalarMultiplication(expected, 0.8f));
            Nd4j.getExecutioner().exec(new ScalarAdd(expected, 0.2f));
            mask.run(new INDArray[] {in});
            assertBits(expected, z, "slope mask of a " + in.ordering() + "-order array at offset " + in.offset());
        }
        assertEquals(0, outputs.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()).amaxNumber().doubleValue(),
                "the rows before the output's view");
    }

    /**
     * The sign test on bit patterns, against {@code Float.intBitsToFloat(b) > 0}: the bounds of the positive floats
     * (the smallest subnormal, the largest float, infinity), both zeros, NaNs next to infinity on both sides and of
     * both signs, and random patterns.
     */
    @Test
    void selectTakesOnExactlyForPositiveFloats() {
        int[] edges = {0, 1, 2, 0x007fffff, 0x00800000, 0x3f800000, 0x7f7ffffe, 0x7f7fffff, 0x7f800000, 0x7f800001,
            0x7fc00000, 0x7fffffff, 0x80000000, 0x80000001, 0xbf800000, 0xff800000, 0xff800001, 0xffffffff};
        int[] bits = new int[edges.length + 10000];
        System.arraycopy(edges, 0, bits, 0, edges.length);
        for (int i = edges.length; i < bits.length; i++) {
            bits[i] = random.nextInt();
        }
        int[] selected = bits.clone();
        SmallKernels.select(selected, 7, 11);
        for (int i = 0; i < bits.length; i++) {
            assertEquals(Float.intBitsToFloat(bits[i]) > 0 ? 11 : 7, selected[i],
                    "bits " + Integer.toHexString(bits[i]));
        }
    }

    /**
     * x with a 0.25 at element 20 and, from element 30 on, NaNs of both signs (one signalling), infinities, the
     * smallest subnormals, the largest and smallest normal floats and a subnormal, written through a buffer of the
     * memory: putScalar and DataBuffer.put go through double, which quiets a signalling NaN.
     */
    private static INDArray withEdges(INDArray x) {
        x.putScalar(20, 0.25f);
        float[] edges = {Float.NaN, Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001),
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.MIN_NORMAL, 3e-40f};
        java.nio.FloatBuffer raw = x.data().asNioFloat();
        for (int i = 0; i < edges.length; i++) {
            raw.put(raw.position() + 30 + i, edges[i]);
            assertEquals(Float.floatToRawIntBits(edges[i]), Float.floatToRawIntBits(raw.get(raw.position() + 30 + i)),
                    "edge " + i);
        }
        return x;
    }

    /** Legacy sums and means over axes (batch norm's statistics on small maps), against float64 sums. */
    @Test
    void sumsAndMeansOverAxesAgainstFloat64() {
        INDArray x = values(4, 3, 2, 5);
        for (int[] axes : new int[][] {{0, 2, 3}, {1}, {-1}, {0, 1, 2, 3}}) {
            for (boolean mean : new boolean[] {false, true}) {
                org.nd4j.linalg.api.ops.BaseReduceOp op = mean
                        ? new org.nd4j.linalg.api.ops.impl.reduce.floating.Mean(x, axes)
                        : new Sum(x, axes);
                INDArray expected = x.castTo(DataType.DOUBLE);
                expected = mean ? expected.mean(axes) : expected.sum(axes);
                INDArray out = Nd4j.create(DataType.FLOAT, expected.shape());
                String name = mean ? "reduce_mean" : "reduce_sum";
                assertNull(kernel(op, name, new INDArray[] {x}, new INDArray[] {out}, false), name + ": own only");
                kernel(op, name, new INDArray[] {x}, new INDArray[] {out}, true).run(new INDArray[] {x});
                assertClose(expected.castTo(DataType.FLOAT), out, name + " over " + java.util.Arrays.toString(axes));
            }
        }
    }

    @Test
    void fullSumsAndPowersAgainstFloat64() {
        INDArray x = values(37, 11);
        double s = 0;
        for (long i = 0; i < x.length(); i++) {
            s += x.getDouble(i);
        }
        INDArray out = Nd4j.scalar(DataType.FLOAT, 0f);
        Sum legacy = new Sum(x);
        assertNull(kernel(legacy, "reduce_sum", new INDArray[] {x}, new INDArray[] {out}, false), "sums: own only");
        kernel(legacy, "reduce_sum", new INDArray[] {x}, new INDArray[] {out}, true).run(new INDArray[] {x});
        assertEquals((float) s, out.getFloat(0), 0f, "the legacy sum, in float64 rounded once");
        assertEquals(x.sumNumber().doubleValue(), out.getDouble(0), 1e-6 * x.amaxNumber().doubleValue() * x.length(),
                "within float rounding of libnd4j's sum");
        INDArray custom = Nd4j.scalar(DataType.FLOAT, 0f);
        DynamicCustomOp sum = DynamicCustomOp.builder("reduce_sum").build();
        kernel(sum, "reduce_sum", new INDArray[] {x}, new INDArray[] {custom}, true).run(new INDArray[] {x});
        assertEquals((float) s, custom.getFloat(0), 0f, "reduce_sum");
        INDArray p = positive(4, 9);
        for (double e : new double[] {2, 0.5, -1.5}) {
            Pow pow = new Pow(p, e);
            INDArray z = p.like();
            assertNull(kernel(pow, "pow", new INDArray[] {p}, new INDArray[] {z}, false), "pow: own only");
            kernel(pow, "pow", new INDArray[] {p}, new INDArray[] {z}, true).run(new INDArray[] {p});
            INDArray libnd4j = p.like();
            Nd4j.getExecutioner().exec(new Pow(p, libnd4j, e));
            for (long i = 0; i < p.length(); i++) {
                double exact = Math.pow(p.getDouble(i), e);
                assertEquals(exact, z.getDouble(i), Math.ulp((float) exact), "pow " + e + " against float64");
                assertEquals(libnd4j.getDouble(i), z.getDouble(i), 2 * Math.ulp((float) exact),
                        "pow " + e + " against libnd4j's");
            }
        }
    }

    /**
     * {@code z = op(x) op(y)}, transposed with tZ, for every combination of transposes, and {@code matmul_bp}'s two
     * gradients ({@code dL/d op(x) = dz' op(y)^T}, {@code dL/d op(y) = op(x)^T dz'} with {@code dz'} the gradient of
     * the untransposed product), each alone and both: against products written out in float64, and bit for bit
     * against the terms summed in order in float (what the kernel promises, whether it sums rows or, with at most
     * {@link SmallKernels#DOT_COLUMNS} columns, takes dot products).
     */
    @Test
    void matrixProductsAndTheirGradientsAgainstFloat64() {
        // a matrix product, and spectral normalization's row vector times a matrix
        for (int m : new int[] {3, 1}) {
            products(m, 7, 5);
        }
        // a logit and its weight gradient ([64, 128] x [128, 1], [128, 64] x [64, 1]), a 2-d output: dot products
        for (int n = 1; n <= SmallKernels.DOT_COLUMNS + 1; n++) {
            products(6, 9, n);
        }
    }

    /** {@code a b} with each element's terms added in order from 0 in float, as {@link SmallKernels} sums them. */
    private static INDArray inOrder(INDArray a, INDArray b) {
        INDArray p = Nd4j.create(DataType.FLOAT, a.size(0), b.size(1));
        for (int i = 0; i < a.size(0); i++) {
            for (int j = 0; j < b.size(1); j++) {
                float s = 0f;
                for (int q = 0; q < a.size(1); q++) {
                    s += a.getFloat(i, q) * b.getFloat(q, j);
                }
                p.putScalar(i, j, s);
            }
        }
        return p;
    }

    private void products(int m, int k, int n) {
        for (int tx = 0; tx < 2; tx++) {
            for (int ty = 0; ty < 2; ty++) {
                for (int tz = 0; tz < 2; tz++) {
                    String what = "[" + m + ", " + k + "] x [" + k + ", " + n + "], transposes " + tx + ty + tz;
                    INDArray x = values(tx == 1 ? new long[] {k, m} : new long[] {m, k});
                    INDArray y = values(ty == 1 ? new long[] {n, k} : new long[] {k, n});
                    INDArray ox = tx == 1 ? x.transpose() : x;
                    INDArray oy = ty == 1 ? y.transpose() : y;
                    INDArray product = product(ox, oy);
                    INDArray[][] r = both("matmul", new INDArray[] {x, y},
                            new long[][] {tz == 1 ? new long[] {n, m} : new long[] {m, n}}, new long[] {tx, ty, tz}, true);
                    assertClose(tz == 1 ? product.transpose() : product, r[1][0], "matmul " + what);
                    INDArray ordered = inOrder(ox, oy);
                    assertBits(tz == 1 ? ordered.transpose() : ordered, r[1][0], "matmul in order, " + what);
                    assertClose(r[0][0], r[1][0], "against libnd4j's matmul, " + what);
                    INDArray dz = values(r[0][0].shape());
                    INDArray g = tz == 1 ? dz.transpose() : dz;
                    INDArray dox = product(g, oy.transpose());
                    INDArray doy = product(ox.transpose(), g);
                    INDArray dx = tx == 1 ? dox.transpose() : dox;
                    INDArray dy = ty == 1 ? doy.transpose() : doy;
                    DynamicCustomOp bp = DynamicCustomOp.builder("matmul_bp").addIntegerArguments(tx, ty, tz).build();
                    INDArray[] in = {x, y, dz};
                    for (boolean[] unread : new boolean[][] {{false, false}, {true, false}, {false, true}}) {
                        INDArray[] out = {x.like().assign(Float.NaN), y.like().assign(Float.NaN)};
                        SmallKernels.of(bp, "matmul_bp", in, out, unread, true).run(in);
                        if (!unread[0]) {
                            assertClose(dx, out[0], "matmul_bp dx, " + what);
                            INDArray o = inOrder(g, oy.transpose());
                            assertBits(tx == 1 ? o.transpose() : o, out[0], "matmul_bp dx in order, " + what);
                        } else {
                            assertTrue(Float.isNaN(out[0].getFloat(0)), "an unread gradient is not written");
                        }
                        if (!unread[1]) {
                            assertClose(dy, out[1], "matmul_bp dy, " + what);
                            INDArray o = inOrder(ox.transpose(), g);
                            assertBits(ty == 1 ? o.transpose() : o, out[1], "matmul_bp dy in order, " + what);
                        } else {
                            assertTrue(Float.isNaN(out[1].getFloat(0)), "an unread gradient is not written");
                        }
                    }
                }
            }
        }
    }

    /**
     * A product's kernel fed a view at an offset and F-order operands after its first call (its right operand is read
     * row by row), and product kernels refused without own arithmetic or with alpha.
     */
    @Test
    void matrixProductsRebindTheirOperandsAndRefuseWhatTheyDoNotCompute() {
        DynamicCustomOp matmul = DynamicCustomOp.builder("matmul").build();
        INDArray x = values(3, 4);
        INDArray y = values(4, 2);
        INDArray z = Nd4j.create(DataType.FLOAT, 3, 2);
        Replacements.Kernel k = kernel(matmul, "matmul", new INDArray[] {x, y}, new INDArray[] {z}, true);
        k.run(new INDArray[] {x, y});
        assertClose(product(x, y), z, "first call");
        INDArray rows = values(7, 2);
        INDArray view = rows.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 7),
                org.nd4j.linalg.indexing.NDArrayIndex.all());
        k.run(new INDArray[] {x, view});
        assertClose(product(x, view), z, "a right operand viewed at an offset");
        INDArray fx = x.dup('f');
        INDArray fy = values(4, 2).dup('f');
        k.run(new INDArray[] {fx, fy});
        assertClose(product(fx, fy), z, "F-order operands");
        k.run(new INDArray[] {x, y});
        assertClose(product(x, y), z, "the first operands again");
        INDArray a = values(3, 4);
        INDArray b = values(4, 2);
        assertNull(kernel(matmul, "matmul", new INDArray[] {a, b}, new INDArray[] {Nd4j.create(DataType.FLOAT, 3, 2)},
                false), "products: own only");
        DynamicCustomOp scaled = DynamicCustomOp.builder("matmul").addFloatingPointArguments(2.0, 0.0).build();
        assertNull(kernel(scaled, "matmul", new INDArray[] {a, b}, new INDArray[] {Nd4j.create(DataType.FLOAT, 3, 2)},
                true), "a product with alpha is libnd4j's");
    }

    /** {@code a b} in float64 (C order copies, whatever the operands' layouts). */
    private static INDArray product(INDArray a, INDArray b) {
        INDArray p = Nd4j.create(DataType.DOUBLE, a.size(0), b.size(1));
        for (int i = 0; i < a.size(0); i++) {
            for (int j = 0; j < b.size(1); j++) {
                double s = 0;
                for (int q = 0; q < a.size(1); q++) {
                    s += a.getDouble(i, q) * b.getDouble(q, j);
                }
                p.putScalar(i, j, s);
            }
        }
        return p.castTo(DataType.FLOAT);
    }

    @Test
    void refusesWhatItDoesNotComputeAndRebindsArraysBetweenCalls() {
        DynamicCustomOp add = DynamicCustomOp.builder("add").build();
        INDArray big = values(SmallKernels.MAX + 1);
        assertNull(kernel(add, "add", new INDArray[] {big, big}, new INDArray[] {big.like()}, true), "too large");
        INDArray d = Nd4j.rand(DataType.DOUBLE, 3, 4);
        assertNull(kernel(add, "add", new INDArray[] {d, d}, new INDArray[] {d.like()}, true), "double arrays");
        INDArray x = values(3, 4);
        assertNull(kernel(add, "add", new INDArray[] {x, values(2, 4)}, new INDArray[] {x.like()}, true),
                "shapes that do not broadcast");
        assertNull(kernel(DynamicCustomOp.builder("maximum").build(), "maximum", new INDArray[] {x, x},
                new INDArray[] {x.like()}, true), "an op it does not know");
        // one kernel, then other arrays: a view at an offset and an F-order array of the same shape
        INDArray y = values(3, 4);
        INDArray z = x.like();
        Replacements.Kernel k = kernel(add, "add", new INDArray[] {x, y}, new INDArray[] {z}, false);
        k.run(new INDArray[] {x, y});
        assertBits(x.add(y), z, "first call");
        INDArray rows = values(5, 4);
        INDArray view = rows.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 5),
                org.nd4j.linalg.indexing.NDArrayIndex.all());
        k.run(new INDArray[] {view, y});
        assertBits(view.add(y), z, "a view at an offset");
        INDArray f = values(3, 4).dup('f');
        k.run(new INDArray[] {x, f});
        assertBits(x.add(f), z, "an F-order operand");
        k.run(new INDArray[] {x, y});
        assertBits(x.add(y), z, "the first arrays again");
    }

    /**
     * Spectral normalization's power iteration and the gradient through sigma, as {@code SpectralNormalization}
     * builds them on a 3x3 convolution's weight seen as a matrix: through a plan with libnd4j's arithmetic the same bits
     * as SameDiff's execution, with the small arrays' ops run by these kernels.
     */
    @Test
    void spectralNormalizationInAPlanHasSameDiffsBits() {
        SameDiff sd = GraphMemory.create();
        SDVariable w = sd.var("w", values(3, 3, 4, 6));
        SDVariable u = sd.var("u", values(1, 6));
        SDVariable m = w.reshape(36, 6);
        SDVariable v = normalize(sd, u.mmul(sd.transpose(m)));
        SDVariable next = normalize(sd, v.mmul(m));
        SDVariable sigma = next.mmul(sd.transpose(m)).mul(v).sum();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 36);
        SDVariable y = x.mmul(m.mul(sigma.rdiv(1.0)));
        y.mul(y).sum().rename("loss");
        sd.setLossVariables("loss");
        sd.createGradFunction();
        SameDiff grad = sd.getFunction("grad");
        List<String> names = List.of("loss", "w-grad");
        Map<String, Long> before = Replacements.calls();
        for (double offset : new double[] {0, 0.25}) {
            Map<String, INDArray> feed = Map.of("x", values(2, 36).add(offset));
            Map<String, INDArray> planned = GraphPlan.output(grad, feed, names);
            Map<String, INDArray> reference = grad.output(feed, names.toArray(new String[0]));
            for (String name : names) {
                assertBits(reference.get(name), planned.get(name), name + ", offset " + offset);
            }
        }
        Map<String, Long> after = Replacements.calls();
        for (String kind : List.of("rsqrt/small", "square/small", "multiply/small", "transpose/small")) {
            assertTrue(after.getOrDefault(kind, 0L) - before.getOrDefault(kind, 0L) >= 2, kind + " ran: " + after);
        }
        GraphMemory.release(sd);
    }

    private static SDVariable normalize(SameDiff sd, SDVariable x) {
        return x.mul(sd.math.rsqrt(sd.math.square(x).sum().add(1e-24)));
    }
}
