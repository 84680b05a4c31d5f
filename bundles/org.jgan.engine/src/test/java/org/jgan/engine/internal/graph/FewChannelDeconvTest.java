package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.DeConv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link FewChannelDeconv} against the transposed convolution written out as sums in float64 (each input pixel's
 * contribution added to the output pixels it reaches) and against libnd4j's {@code deconv2d}: DCGAN's output layer
 * (4x4, stride 2, padding 1, to one channel), three channels at stride 1, an asymmetric kernel with stride, padding
 * and dilation differing by axis, with and without a bias, inputs as views at an offset and in F order; in a plan,
 * a generator's output layer runs through it; what it does not take stays with libnd4j. And the input gradient of a
 * convolution from at most four channels ({@link FewChannelDeconv#inputGradient}) against that gradient written out
 * in float64 and libnd4j's {@code conv2d_bp}, in a plan too.
 */
class FewChannelDeconvTest {

    private record Geometry(long n, long ci, long ih, long iw, long co, int kh, int kw, int sh, int sw, int ph, int pw,
            int dh, int dw, boolean bias) {
        long oh() {
            return (long) sh * (ih - 1) + (long) (kh - 1) * dh + 1 - 2L * ph;
        }

        long ow() {
            return (long) sw * (iw - 1) + (long) (kw - 1) * dw + 1 - 2L * pw;
        }
    }

    private static final List<Geometry> GEOMETRIES = List.of(
            new Geometry(8, 16, 14, 14, 1, 4, 4, 2, 2, 1, 1, 1, 1, true),
            new Geometry(4, 8, 7, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, false),
            new Geometry(3, 5, 6, 5, 2, 5, 3, 2, 3, 2, 1, 1, 2, true),
            new Geometry(1, 2, 4, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, true));

    /** The graph {@code z = deconv2d(x, W[, b])} with placeholders x, W and b, and its op. */
    private static SameDiff graph(Geometry g, boolean same) {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, g.ci(), g.ih(), g.iw());
        SDVariable w = sd.placeHolder("w", DataType.FLOAT, g.kh(), g.kw(), g.co(), g.ci());
        DeConv2DConfig config = DeConv2DConfig.builder().kH(g.kh()).kW(g.kw()).sH(g.sh()).sW(g.sw()).pH(g.ph())
                .pW(g.pw()).dH(g.dh()).dW(g.dw()).isSameMode(same).dataFormat("NCHW").build();
        SDVariable z = g.bias() ? sd.cnn.deconv2d(x, w, sd.placeHolder("b", DataType.FLOAT, g.co()), config)
                : sd.cnn.deconv2d(x, w, config);
        z.rename("z");
        return sd;
    }

    private static DynamicCustomOp op(SameDiff sd) {
        for (SameDiffOp o : sd.getOps().values()) {
            if (o.getOp().opName().equals("deconv2d")) {
                return (DynamicCustomOp) o.getOp();
            }
        }
        throw new AssertionError("no deconv2d");
    }

    /** The transposed convolution's definition, in float64. */
    private static double[] reference(Geometry g, INDArray x, INDArray w, INDArray b) {
        long oh = g.oh();
        long ow = g.ow();
        double[] z = new double[(int) (g.n() * g.co() * oh * ow)];
        for (int i = 0; i < g.n(); i++) {
            for (int o = 0; o < g.co(); o++) {
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        z[(int) (((i * g.co() + o) * oh + y) * ow + xx)] = b == null ? 0 : b.getDouble(o);
                    }
                }
            }
            for (int c = 0; c < g.ci(); c++) {
                for (int yi = 0; yi < g.ih(); yi++) {
                    for (int xi = 0; xi < g.iw(); xi++) {
                        double v = x.getDouble(i, c, yi, xi);
                        for (int ky = 0; ky < g.kh(); ky++) {
                            for (int kx = 0; kx < g.kw(); kx++) {
                                long y = (long) yi * g.sh() - g.ph() + (long) ky * g.dh();
                                long xx = (long) xi * g.sw() - g.pw() + (long) kx * g.dw();
                                if (y < 0 || y >= oh || xx < 0 || xx >= ow) {
                                    continue;
                                }
                                for (int o = 0; o < g.co(); o++) {
                                    z[(int) (((i * g.co() + o) * oh + y) * ow + xx)] += v * w.getDouble(ky, kx, o, c);
                                }
                            }
                        }
                    }
                }
            }
        }
        return z;
    }

    /** Every element of {@code actual} within {@code tolerance} times the largest of {@code expected} of it. */
    static void assertClose(double[] expected, INDArray actual, double tolerance, String what) {
        double[] a = actual.dup('c').data().asDouble();
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertTrue(scale > 0, what + ": a zero output tests nothing");
        for (int k = 0; k < expected.length; k++) {
            // written so that a NaN (an element a kernel left unwritten in an array filled with NaN) fails
            if (!(Math.abs(expected[k] - a[k]) <= tolerance * scale)) {
                throw new AssertionError(what + ": element " + k + " is " + a[k] + ", expected " + expected[k]);
            }
        }
    }

    @Test
    void matchesTheDefinitionAndLibnd4j() {
        Nd4j.getRandom().setSeed(17);
        for (Geometry g : GEOMETRIES) {
            SameDiff sd = graph(g, false);
            INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.ci(), g.ih(), g.iw());
            INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.co(), g.ci());
            INDArray b = g.bias() ? Nd4j.randn(DataType.FLOAT, g.co()) : null;
            INDArray z = Nd4j.create(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
            List<INDArray> owned = new ArrayList<>();
            INDArray[] in = b == null ? new INDArray[] {x, w} : new INDArray[] {x, w, b};
            FewChannelDeconv k = FewChannelDeconv.of(op(sd), in, new INDArray[] {z}, owned::add);
            assertNotNull(k, g.toString());
            assertTrue(owned.size() == 2, g + ": its work arrays handed to the plan");
            k.run(in);
            double[] exact = reference(g, x, w, b);
            assertClose(exact, z, 1e-5, g + ", against float64");
            Map<String, INDArray> feed = b == null ? Map.of("x", x, "w", w) : Map.of("x", x, "w", w, "b", b);
            INDArray libnd4j = sd.output(feed, "z").get("z");
            assertArrayEquals(libnd4j.shape(), z.shape(), g + ": shape");
            assertClose(libnd4j.dup('c').data().asDouble(), z, 1e-5, g + ", against libnd4j");
            // the input as a view at an offset, then in F order, the weights changed in place (a parameter's update)
            INDArray big = Nd4j.randn(DataType.FLOAT, g.n() + 1, g.ci(), g.ih(), g.iw());
            INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, g.n() + 1));
            w.muli(-0.5);
            if (b != null) {
                b.muli(-2);
            }
            INDArray[] viewIn = b == null ? new INDArray[] {view, w} : new INDArray[] {view, w, b};
            k.run(viewIn);
            assertClose(reference(g, view, w, b), z, 1e-5, g + ", input at an offset, weights and bias updated");
            INDArray f = x.dup('f');
            // (another bias array of the same shape, as a graph may bind)
            INDArray b2 = b == null ? null : Nd4j.randn(DataType.FLOAT, g.co());
            k.run(b == null ? new INDArray[] {f, w} : new INDArray[] {f, w, b2});
            assertClose(reference(g, x, w, b2), z, 1e-5, g + ", input in F order, another bias");
            // the same arrays again: no native array made per call (until 2026-12-07 the bias's [1, oC, 1] view was)
            INDArray[] again = b == null ? new INDArray[] {x, w} : new INDArray[] {x, w, b2};
            k.run(again);
            long before = Pointer.totalCount();
            for (int call = 0; call < 5; call++) {
                k.run(again);
            }
            assertTrue(Pointer.totalCount() <= before, g + ": native pointers made in 5 calls: "
                    + (Pointer.totalCount() - before));
            assertClose(reference(g, x, w, b2), z, 1e-5, g + ", the same arrays again");
            k.close();
            owned.forEach(INDArray::close);
            GraphMemory.release(sd);
        }
    }

    @Test
    void whatItDoesNotTakeStaysWithLibnd4j() {
        Geometry five = new Geometry(2, 3, 4, 4, 5, 3, 3, 1, 1, 1, 1, 1, 1, true);
        Geometry one = GEOMETRIES.get(0);
        for (Object[] c : new Object[][] {{five, false, "five output channels"}, {one, true, "SAME mode"}}) {
            Geometry g = (Geometry) c[0];
            SameDiff sd = graph(g, (Boolean) c[1]);
            INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.ci(), g.ih(), g.iw());
            INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.co(), g.ci());
            INDArray b = Nd4j.randn(DataType.FLOAT, g.co());
            INDArray z = sd.output(Map.of("x", x, "w", w, "b", b), "z").get("z");
            assertNull(FewChannelDeconv.of(op(sd), new INDArray[] {x, w, b}, new INDArray[] {z.dup()}, a -> { }),
                    (String) c[2]);
            GraphMemory.release(sd);
        }
    }

    /** A plan runs a generator-like output layer through it (own arithmetic on), to the definition. */
    @Test
    void aPlanRunsTheOutputLayerThroughIt() {
        boolean before = GraphPlan.ownArithmetic(true);
        try {
            Geometry g = GEOMETRIES.get(0);
            SameDiff sd = graph(g, false);
            INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.ci(), g.ih(), g.iw());
            INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.co(), g.ci());
            INDArray b = Nd4j.randn(DataType.FLOAT, g.co());
            long calls = GraphPlan.kernelCalls().getOrDefault("deconv2d/few-channels", 0L);
            for (int call = 0; call < 2; call++) {
                INDArray z = GraphPlan.output(sd, Map.of("x", x, "w", w, "b", b), List.of("z")).get("z");
                assertClose(reference(g, x, w, b), z, 1e-5, "planned, call " + call);
            }
            assertTrue(GraphPlan.kernelCalls().getOrDefault("deconv2d/few-channels", 0L) >= calls + 2,
                    "the plan ran the kernel: " + GraphPlan.kernelCalls());
            GraphMemory.release(sd);
        } finally {
            GraphPlan.ownArithmetic(before);
        }
    }

    /**
     * A convolution's geometry ({@link PatchConvTest.Geometry}): x {@code [n, c, h, w]} by W {@code [kH, kW, c, oC]}.
     */
    private static PatchConvTest.Geometry conv(int n, int c, int h, int w, int co, int kh, int kw, int sh, int sw,
            int ph, int pw, int dh, int dw) {
        return new PatchConvTest.Geometry(n, c, h, w, co, kh, kw, sh, sw, ph, pw, dh, dw);
    }

    /** Its {@code conv2d_bp}, in SAME mode or with its explicit padding. */
    private static DynamicCustomOp convBp(PatchConvTest.Geometry g, boolean same) {
        int[] a = g.args();
        a[8] = same ? 1 : 0;
        return DynamicCustomOp.builder("conv2d_bp").addIntegerArguments(a).build();
    }

    /**
     * The convolution's input gradient written out in float64: {@code z[i, o, y, x] = sum W[ky, kx, c, o]
     * x[i, c, y sH - pH + ky dH, x sW - pW + kx dW]}, so each {@code dz[i, o, y, x]} adds {@code W[ky, kx, c, o]} times
     * itself to the input pixel that term read.
     */
    private static double[] convInputGradient(PatchConvTest.Geometry g, INDArray w, INDArray dz) {
        double[] dx = new double[g.n() * g.c() * g.h() * g.w()];
        for (int i = 0; i < g.n(); i++) {
            for (int o = 0; o < g.co(); o++) {
                for (int y = 0; y < g.oh(); y++) {
                    for (int x = 0; x < g.ow(); x++) {
                        double d = dz.getDouble(i, o, y, x);
                        for (int ky = 0; ky < g.kh(); ky++) {
                            for (int kx = 0; kx < g.kw(); kx++) {
                                int iy = y * g.sh() - g.ph() + ky * g.dh();
                                int ix = x * g.sw() - g.pw() + kx * g.dw();
                                if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) {
                                    continue;
                                }
                                for (int c = 0; c < g.c(); c++) {
                                    dx[((i * g.c() + c) * g.h() + iy) * g.w() + ix] += d * w.getDouble(ky, kx, c, o);
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    private static final List<PatchConvTest.Geometry> CONVS = List.of(
            conv(6, 1, 28, 28, 16, 4, 4, 2, 2, 1, 1, 1, 1),
            conv(3, 3, 9, 9, 5, 3, 3, 2, 2, 1, 1, 1, 1),
            conv(2, 2, 13, 9, 4, 5, 3, 2, 3, 2, 1, 1, 2),
            conv(2, 4, 6, 6, 3, 2, 2, 2, 2, 0, 0, 1, 1));

    /**
     * The input gradient of a {@code conv2d_bp} whose weight and bias gradients nothing reads, from one to four
     * channels (DCGAN's first layer, 3x3 stride 2 on three channels, unequal kernel, strides, padding and dilation by
     * axis on a non-square image, four channels), with and without a bias input: the definition in float64 and
     * (undilated) libnd4j's {@code conv2d_bp}; then {@code dz} at an offset, the weights changed in place, and
     * {@code dz} in F order.
     */
    @Test
    void convolutionInputGradientMatchesTheDefinitionAndLibnd4j() {
        Nd4j.getRandom().setSeed(29);
        for (PatchConvTest.Geometry g : CONVS) {
            for (boolean bias : new boolean[] {true, false}) {
                INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w());
                INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
                INDArray b = Nd4j.randn(DataType.FLOAT, g.co());
                INDArray dz = Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
                INDArray dx = Nd4j.create(DataType.FLOAT, g.n(), g.c(), g.h(), g.w());
                INDArray dw = Nd4j.create(DataType.FLOAT, w.shape());
                INDArray db = Nd4j.create(DataType.FLOAT, g.co());
                INDArray[] in = bias ? new INDArray[] {x, w, b, dz} : new INDArray[] {x, w, dz};
                INDArray[] out = bias ? new INDArray[] {dx, dw, db} : new INDArray[] {dx, dw};
                boolean[] unread = bias ? new boolean[] {false, true, true} : new boolean[] {false, true};
                List<INDArray> owned = new ArrayList<>();
                Replacements.Kernel k = FewChannelDeconv.inputGradient(convBp(g, false), in, out, unread, owned::add);
                assertNotNull(k, g + ", bias " + bias);
                k.run(in);
                assertClose(convInputGradient(g, w, dz), dx, 1e-5, g + ", bias " + bias + ", against float64");
                if (g.dh() == 1 && g.dw() == 1) {
                    // libnd4j's conv2d_bp (its oneDNN path) refuses the dilated geometry: float64 alone there
                    INDArray[] libOut = bias ? new INDArray[] {dx.ulike(), dw.ulike(), db.ulike()}
                            : new INDArray[] {dx.ulike(), dw.ulike()};
                    DynamicCustomOp op = convBp(g, false);
                    op.addInputArgument(in);
                    op.addOutputArgument(libOut);
                    Nd4j.exec(op);
                    assertClose(libOut[0].dup('c').data().asDouble(), dx, 1e-5, g + ", against libnd4j's conv2d_bp");
                }
                INDArray big = Nd4j.randn(DataType.FLOAT, g.n() + 1, g.co(), g.oh(), g.ow());
                INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, g.n() + 1));
                w.muli(-0.5);
                in[in.length - 1] = view;
                k.run(in);
                assertClose(convInputGradient(g, w, view), dx, 1e-5, g + ", dz at an offset, weights updated");
                in[in.length - 1] = dz.dup('f');
                k.run(in);
                assertClose(convInputGradient(g, w, dz), dx, 1e-5, g + ", dz in F order");
                k.close();
                owned.forEach(INDArray::close);
            }
        }
    }

    /**
     * Where a weight gradient is read, five input channels, SAME mode, an input size the output leaves open, nothing
     * read, stride 1 (where oneDNN's kernel is as fast), NHWC, another weight format, a kernel size left to the
     * weights, or a gradient in doubles (DCGAN's layer, with the same arrays, taken).
     */
    @Test
    void convolutionGradientsItDoesNotTakeStayWithLibnd4j() {
        PatchConvTest.Geometry one = CONVS.get(0);
        PatchConvTest.Geometry five = conv(2, 5, 9, 9, 3, 3, 3, 2, 2, 1, 1, 1, 1);
        // 29 rows at 4x4 stride 2 padding 1 give 14 outputs, as 28 do: the transposed convolution gives back 28
        PatchConvTest.Geometry open = conv(2, 1, 29, 28, 4, 4, 4, 2, 2, 1, 1, 1, 1);
        Object[][] cases = {{one, false, new boolean[] {false, false, true}, "the weight gradient read"},
            {five, false, new boolean[] {false, true, true}, "five input channels"},
            {one, true, new boolean[] {false, true, true}, "SAME mode"},
            {open, false, new boolean[] {false, true, true}, "an input size the output size does not determine"},
            {one, false, new boolean[] {true, true, true}, "nothing read"},
            {conv(2, 1, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1), false, new boolean[] {false, true, true}, "stride 1"}};
        int[] nhwc = one.args();
        nhwc[9] = 1;
        int[] weightFormat = one.args();
        weightFormat[10] = 1;
        int[] kernelFromWeights = one.args();
        kernelFromWeights[0] = 0;
        kernelFromWeights[1] = 0;
        for (Object[] c : cases) {
            PatchConvTest.Geometry g = (PatchConvTest.Geometry) c[0];
            INDArray[] in = {Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w()),
                Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co()), Nd4j.randn(DataType.FLOAT, g.co()),
                Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow())};
            INDArray[] out = {in[0].ulike(), in[1].ulike(), in[2].ulike()};
            assertNull(FewChannelDeconv.inputGradient(convBp(g, (Boolean) c[1]), in, out, (boolean[]) c[2], a -> { }),
                    (String) c[3]);
        }
        INDArray[] in = {Nd4j.randn(DataType.FLOAT, one.n(), one.c(), one.h(), one.w()),
            Nd4j.randn(DataType.FLOAT, one.kh(), one.kw(), one.c(), one.co()), Nd4j.randn(DataType.FLOAT, one.co()),
            Nd4j.randn(DataType.FLOAT, one.n(), one.co(), one.oh(), one.ow())};
        INDArray[] out = {in[0].ulike(), in[1].ulike(), in[2].ulike()};
        boolean[] unread = {false, true, true};
        assertNotNull(FewChannelDeconv.inputGradient(convBp(one, false), in, out, unread, a -> { }), "DCGAN's layer");
        Object[][] args = {{nhwc, "NHWC"}, {weightFormat, "weights [oC, iC, kH, kW]"},
            {kernelFromWeights, "the kernel's size left to the weights"}};
        for (Object[] c : args) {
            DynamicCustomOp op = DynamicCustomOp.builder("conv2d_bp").addIntegerArguments((int[]) c[0]).build();
            assertNull(FewChannelDeconv.inputGradient(op, in, out, unread, a -> { }), (String) c[1]);
        }
        INDArray[] doubles = {in[0], in[1], in[2], in[3].castTo(DataType.DOUBLE)};
        assertNull(FewChannelDeconv.inputGradient(convBp(one, false), doubles, out, unread, a -> { }),
                "a gradient in doubles");
    }

    /**
     * A plan runs a discriminator's first-layer input gradient through it (own arithmetic on): the gradient of
     * {@code sum(conv2d(x, W, b) * r)} with respect to x alone, to the definition.
     */
    @Test
    void aPlanRunsTheFirstLayersInputGradientThroughIt() {
        boolean before = GraphPlan.ownArithmetic(true);
        try {
            PatchConvTest.Geometry g = CONVS.get(0);
            SameDiff sd = GraphMemory.create();
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, g.c(), g.h(), g.w());
            INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
            INDArray r = Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
            SDVariable z = sd.cnn.conv2d(x, sd.var("w", w), sd.var("b", Nd4j.randn(DataType.FLOAT, g.co())),
                    org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig.builder().kH(g.kh())
                            .kW(g.kw()).sH(g.sh()).sW(g.sw()).pH(g.ph()).pW(g.pw()).dH(g.dh()).dW(g.dw())
                            .dataFormat("NCHW").build());
            z.mul(sd.constant("r", r)).sum().rename("loss");
            sd.setLossVariables("loss");
            sd.createGradFunction();
            String dxName = x.getGradient().name();
            INDArray data = Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w());
            long calls = GraphPlan.kernelCalls().getOrDefault("conv2d_bp/input/few-channels", 0L);
            for (int call = 0; call < 2; call++) {
                INDArray dx = GraphPlan.output(sd.getFunction("grad"), Map.of("x", data), List.of(dxName)).get(dxName);
                assertClose(convInputGradient(g, w, r), dx, 1e-5, "planned, call " + call);
            }
            assertTrue(GraphPlan.kernelCalls().getOrDefault("conv2d_bp/input/few-channels", 0L) >= calls + 2,
                    "the plan ran the kernel: " + GraphPlan.kernelCalls());
            GraphMemory.release(sd);
        } finally {
            GraphPlan.ownArithmetic(before);
        }
    }
}
