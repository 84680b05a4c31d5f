package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link FewChannelConvBp} against a stride-1 convolution's gradients written out as sums in float64 (each output
 * gradient element times the input pixel and the weight its term read) and against libnd4j's {@code conv2d_bp}:
 * SAGAN's output layer (3x3, padding 1, to one channel), three channels, an asymmetric kernel with padding and
 * dilation differing by axis on a non-square image, a 1x2 kernel, with and without a bias, each gradient alone;
 * inputs at an offset and in F order, weights changed in place; in a plan, a generator's output layer's gradients run
 * through it; what it does not take stays with libnd4j.
 */
class FewChannelConvBpTest {

    private static PatchConvTest.Geometry conv(int n, int c, int h, int w, int co, int kh, int kw, int ph, int pw,
            int dh, int dw) {
        return new PatchConvTest.Geometry(n, c, h, w, co, kh, kw, 1, 1, ph, pw, dh, dw);
    }

    private static final List<PatchConvTest.Geometry> GEOMETRIES = List.of(
            conv(4, 8, 8, 8, 1, 3, 3, 1, 1, 1, 1),
            conv(3, 5, 7, 7, 3, 3, 3, 1, 1, 1, 1),
            conv(2, 3, 9, 6, 4, 5, 3, 1, 2, 2, 1),
            conv(2, 6, 5, 5, 3, 1, 2, 0, 1, 1, 1));

    /** The gradients {dx, dW, db} of {@code sum(z * dz)}, z the convolution, in float64 ({@link OneDnnConvTest#backward}). */
    private static double[][] reference(PatchConvTest.Geometry g, INDArray x, INDArray w, INDArray dz) {
        return OneDnnConvTest.backward(OneDnnConvTest.Conv.of(g), x, w, dz);
    }

    private static DynamicCustomOp convBp(PatchConvTest.Geometry g, int[] args) {
        return DynamicCustomOp.builder("conv2d_bp").addIntegerArguments(args == null ? g.args() : args).build();
    }

    /**
     * Every geometry, with and without a bias and with each gradient read alone: the definition in float64 and
     * (undilated) libnd4j's {@code conv2d_bp}; then x and dz at an offset with the weights changed in place, and x and
     * dz in F order.
     */
    @Test
    void matchesTheDefinitionAndLibnd4j() {
        Nd4j.getRandom().setSeed(31);
        for (PatchConvTest.Geometry g : GEOMETRIES) {
            for (boolean bias : new boolean[] {true, false}) {
                int outs = bias ? 3 : 2;
                List<boolean[]> reads = new ArrayList<>(List.of(new boolean[outs]));
                for (int only = 0; only < outs; only++) {
                    boolean[] unread = new boolean[outs];
                    java.util.Arrays.fill(unread, true);
                    unread[only] = false;
                    reads.add(unread);
                }
                for (boolean[] unread : reads) {
                    String at = g + ", bias " + bias + ", unread " + java.util.Arrays.toString(unread);
                    INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w());
                    INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
                    INDArray b = Nd4j.randn(DataType.FLOAT, g.co());
                    INDArray dz = Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
                    INDArray[] in = bias ? new INDArray[] {x, w, b, dz} : new INDArray[] {x, w, dz};
                    INDArray[] out = bias ? new INDArray[] {x.ulike(), w.ulike(), b.ulike()}
                            : new INDArray[] {x.ulike(), w.ulike()};
                    List<INDArray> owned = new ArrayList<>();
                    FewChannelConvBp k = FewChannelConvBp.of(convBp(g, null), in, out, unread, owned::add);
                    assertNotNull(k, at);
                    k.run(in);
                    check(reference(g, x, w, dz), out, unread, at + ", against float64");
                    if (g.dh() == 1 && g.dw() == 1) {
                        // libnd4j's conv2d_bp (its oneDNN path) refuses dilation: float64 alone there
                        INDArray[] lib = bias ? new INDArray[] {x.ulike(), w.ulike(), b.ulike()}
                                : new INDArray[] {x.ulike(), w.ulike()};
                        DynamicCustomOp op = convBp(g, null);
                        op.addInputArgument(in);
                        op.addOutputArgument(lib);
                        Nd4j.exec(op);
                        for (int i = 0; i < outs; i++) {
                            if (!unread[i]) {
                                FewChannelDeconvTest.assertClose(lib[i].dup('c').data().asDouble(), out[i], 1e-5,
                                        at + ", gradient " + i + " against libnd4j's conv2d_bp");
                            }
                        }
                    }
                    // x and dz at an offset, the weights updated in place (a parameter's update), then in F order
                    INDArray bigX = Nd4j.randn(DataType.FLOAT, g.n() + 1, g.c(), g.h(), g.w());
                    INDArray bigDz = Nd4j.randn(DataType.FLOAT, g.n() + 1, g.co(), g.oh(), g.ow());
                    INDArray xv = bigX.get(NDArrayIndex.interval(1, g.n() + 1));
                    INDArray dzv = bigDz.get(NDArrayIndex.interval(1, g.n() + 1));
                    w.muli(-0.5);
                    in[0] = xv;
                    in[in.length - 1] = dzv;
                    k.run(in);
                    check(reference(g, xv, w, dzv), out, unread, at + ", x and dz at an offset, weights updated");
                    in[0] = x.dup('f');
                    in[in.length - 1] = dz.dup('f');
                    k.run(in);
                    check(reference(g, x, w, dz), out, unread, at + ", x and dz in F order");
                    k.close();
                    owned.forEach(INDArray::close);
                }
            }
        }
    }

    private static void check(double[][] expected, INDArray[] out, boolean[] unread, String at) {
        for (int i = 0; i < out.length; i++) {
            if (!unread[i]) {
                FewChannelDeconvTest.assertClose(expected[i], out[i], 1e-5, at + ", gradient " + i);
            }
        }
    }

    /**
     * Stride 2, five output channels, a 1x1 kernel (SAGAN's attention projections to 4 channels, which oneDNN runs in
     * half the time), SAME mode, NHWC, another weight format, nothing read, a read output that is not dense, a
     * gradient in doubles (SAGAN's layer, with the same arrays, taken).
     */
    @Test
    void whatItDoesNotTakeStaysWithLibnd4j() {
        PatchConvTest.Geometry one = GEOMETRIES.get(0);
        PatchConvTest.Geometry strided = new PatchConvTest.Geometry(2, 4, 8, 8, 1, 3, 3, 2, 2, 1, 1, 1, 1);
        PatchConvTest.Geometry five = conv(2, 4, 6, 6, 5, 3, 3, 1, 1, 1, 1);
        PatchConvTest.Geometry pointwise = conv(2, 8, 6, 6, 4, 1, 1, 0, 0, 1, 1);
        int[] same = one.args();
        same[8] = 1;
        int[] nhwc = one.args();
        nhwc[9] = 1;
        int[] weightFormat = one.args();
        weightFormat[10] = 1;
        Object[][] cases = {{strided, null, new boolean[3], "stride 2"}, {five, null, new boolean[3], "five channels"},
            {pointwise, null, new boolean[3], "a 1x1 kernel"},
            {one, same, new boolean[3], "SAME mode"}, {one, nhwc, new boolean[3], "NHWC"},
            {one, weightFormat, new boolean[3], "weights [oC, iC, kH, kW]"},
            {one, null, new boolean[] {true, true, true}, "nothing read"}};
        for (Object[] c : cases) {
            PatchConvTest.Geometry g = (PatchConvTest.Geometry) c[0];
            INDArray[] in = inputs(g);
            INDArray[] out = {in[0].ulike(), in[1].ulike(), in[2].ulike()};
            assertNull(FewChannelConvBp.of(convBp(g, (int[]) c[1]), in, out, (boolean[]) c[2], a -> { }),
                    (String) c[3]);
        }
        INDArray[] in = inputs(one);
        INDArray[] out = {in[0].ulike(), in[1].ulike(), in[2].ulike()};
        assertNotNull(FewChannelConvBp.of(convBp(one, null), in, out, new boolean[3], a -> { }), "SAGAN's layer");
        INDArray[] fOrder = {in[0].ulike().dup('f'), out[1], out[2]};
        assertNull(FewChannelConvBp.of(convBp(one, null), in, fOrder, new boolean[3], a -> { }),
                "an input gradient in F order");
        INDArray[] doubles = {in[0], in[1], in[2], in[3].castTo(DataType.DOUBLE)};
        assertNull(FewChannelConvBp.of(convBp(one, null), doubles, out, new boolean[3], a -> { }),
                "a gradient in doubles");
    }

    private static INDArray[] inputs(PatchConvTest.Geometry g) {
        return new INDArray[] {Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w()),
            Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co()), Nd4j.randn(DataType.FLOAT, g.co()),
            Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow())};
    }

    /**
     * A plan runs a generator-like output layer's gradients through it (own arithmetic on): the gradients of
     * {@code sum(conv2d(h, W, b) * r)} with respect to h, W and b, to the definition, in two calls.
     */
    @Test
    void aPlanRunsTheOutputLayersGradientsThroughIt() {
        boolean before = GraphPlan.ownArithmetic(true);
        try {
            PatchConvTest.Geometry g = GEOMETRIES.get(0);
            SameDiff sd = GraphMemory.create();
            SDVariable h = sd.var("h", Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w()));
            INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
            INDArray r = Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
            SDVariable wv = sd.var("w", w);
            SDVariable bv = sd.var("b", Nd4j.randn(DataType.FLOAT, g.co()));
            SDVariable z = sd.cnn.conv2d(h, wv, bv, Conv2DConfig.builder().kH(g.kh()).kW(g.kw()).pH(g.ph())
                    .pW(g.pw()).dataFormat("NCHW").build());
            z.mul(sd.constant("r", r)).sum().rename("loss");
            sd.setLossVariables("loss");
            sd.createGradFunction();
            List<String> names = List.of(h.getGradient().name(), wv.getGradient().name(), bv.getGradient().name());
            long calls = GraphPlan.kernelCalls().getOrDefault("conv2d_bp/few-channels", 0L);
            for (int call = 0; call < 2; call++) {
                Map<String, INDArray> got = GraphPlan.output(sd.getFunction("grad"), Map.of(), names);
                double[][] expected = reference(g, h.getArr(), w, r);
                for (int i = 0; i < 3; i++) {
                    FewChannelDeconvTest.assertClose(expected[i], got.get(names.get(i)), 1e-5,
                            "planned, call " + call + ", " + names.get(i));
                }
                h.getArr().muli(-1.5);
            }
            assertTrue(GraphPlan.kernelCalls().getOrDefault("conv2d_bp/few-channels", 0L) >= calls + 2,
                    "the plan ran the kernel: " + GraphPlan.kernelCalls());
            GraphMemory.release(sd);
        } finally {
            GraphPlan.ownArithmetic(before);
        }
    }
}
