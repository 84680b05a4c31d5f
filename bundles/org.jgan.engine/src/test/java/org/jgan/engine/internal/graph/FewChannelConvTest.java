package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

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
 * {@link FewChannelConv} against a stride-1 convolution written out as sums in float64 (each output element the bias
 * plus every weight times the input pixel it meets, 0 outside the image) and against libnd4j's {@code conv2d}:
 * BigGAN's and SAGAN's output layer (3x3, padding 1, 32 channels to one), three channels (RGB), an asymmetric kernel
 * with padding and dilation differing by axis on a non-square image, a 1x2 kernel, with and without a bias; inputs
 * at an offset and in F order, weights changed in place; in a plan, a generator's output layer runs through it; what
 * it does not take stays with libnd4j or {@link FlippedConv}.
 */
class FewChannelConvTest {

    private static PatchConvTest.Geometry conv(int n, int c, int h, int w, int co, int kh, int kw, int ph, int pw,
            int dh, int dw) {
        return new PatchConvTest.Geometry(n, c, h, w, co, kh, kw, 1, 1, ph, pw, dh, dw);
    }

    private static final List<PatchConvTest.Geometry> GEOMETRIES = List.of(
            conv(3, 32, 16, 16, 1, 3, 3, 1, 1, 1, 1),
            conv(3, 5, 7, 7, 3, 3, 3, 1, 1, 1, 1),
            conv(2, 3, 9, 6, 4, 5, 3, 1, 2, 2, 1),
            conv(2, 6, 5, 5, 3, 1, 2, 0, 1, 1, 1));

    /** The convolution {@code z = conv(x, W) + b} in float64 (b null: none; {@link OneDnnConvTest#forward}). */
    private static double[] reference(PatchConvTest.Geometry g, INDArray x, INDArray w, INDArray b) {
        return OneDnnConvTest.forward(OneDnnConvTest.Conv.of(g), x, w, b);
    }

    private static DynamicCustomOp conv2d(PatchConvTest.Geometry g, int[] args) {
        return DynamicCustomOp.builder("conv2d").addIntegerArguments(args == null ? g.args() : args).build();
    }

    /**
     * Every geometry, with and without a bias: the definition in float64 and (undilated) libnd4j's {@code conv2d}; then
     * x at an offset with the weights and the bias changed in place, and x in F order.
     */
    @Test
    void matchesTheDefinitionAndLibnd4j() {
        Nd4j.getRandom().setSeed(37);
        for (PatchConvTest.Geometry g : GEOMETRIES) {
            for (boolean bias : new boolean[] {true, false}) {
                String at = g + ", bias " + bias;
                INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w());
                INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
                INDArray b = Nd4j.randn(DataType.FLOAT, g.co());
                INDArray[] in = bias ? new INDArray[] {x, w, b} : new INDArray[] {x, w};
                INDArray z = Nd4j.create(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
                // filled, so that a kernel that skipped an element would leave a value the reference does not have
                z.assign(Float.NaN);
                List<INDArray> owned = new ArrayList<>();
                FewChannelConv k = FewChannelConv.of(conv2d(g, null), in, new INDArray[] {z}, owned::add);
                assertNotNull(k, at);
                k.run(in);
                FewChannelDeconvTest.assertClose(reference(g, x, w, bias ? b : null), z, 1e-5,
                        at + ", against float64");
                if (g.dh() == 1 && g.dw() == 1) {
                    // libnd4j's oneDNN path refuses dilation: float64 alone there
                    INDArray lib = z.ulike();
                    DynamicCustomOp op = conv2d(g, null);
                    op.addInputArgument(in);
                    op.addOutputArgument(lib);
                    Nd4j.exec(op);
                    FewChannelDeconvTest.assertClose(lib.dup('c').data().asDouble(), z, 1e-5,
                            at + ", against libnd4j's conv2d");
                }
                // x at an offset, the weights and bias updated in place (a parameter's update), then x in F order
                INDArray bigX = Nd4j.randn(DataType.FLOAT, g.n() + 1, g.c(), g.h(), g.w());
                INDArray xv = bigX.get(NDArrayIndex.interval(1, g.n() + 1));
                w.muli(-0.5);
                b.addi(0.25);
                in[0] = xv;
                k.run(in);
                FewChannelDeconvTest.assertClose(reference(g, xv, w, bias ? b : null), z, 1e-5,
                        at + ", x at an offset, weights updated");
                in[0] = x.dup('f');
                k.run(in);
                FewChannelDeconvTest.assertClose(reference(g, x, w, bias ? b : null), z, 1e-5, at + ", x in F order");
                k.close();
                owned.forEach(INDArray::close);
            }
        }
    }

    /**
     * Stride 2, five output channels, a 1x1 kernel, SAME mode, NHWC, another weight format, an output that is not
     * dense, an input in doubles, a bias of another length (BigGAN's layer, with the same arrays, taken).
     */
    @Test
    void whatItDoesNotTakeStaysWithLibnd4j() {
        PatchConvTest.Geometry one = GEOMETRIES.get(0);
        PatchConvTest.Geometry strided = new PatchConvTest.Geometry(2, 4, 8, 8, 1, 3, 3, 2, 2, 1, 1, 1, 1);
        PatchConvTest.Geometry five = conv(2, 4, 6, 6, 5, 3, 3, 1, 1, 1, 1);
        PatchConvTest.Geometry pointwise = conv(2, 8, 6, 6, 1, 1, 1, 0, 0, 1, 1);
        int[] same = one.args();
        same[8] = 1;
        int[] nhwc = one.args();
        nhwc[9] = 1;
        int[] weightFormat = one.args();
        weightFormat[10] = 1;
        Object[][] cases = {{strided, null, "stride 2"}, {five, null, "five channels"}, {pointwise, null, "a 1x1 kernel"},
            {one, same, "SAME mode"}, {one, nhwc, "NHWC"}, {one, weightFormat, "weights [oC, iC, kH, kW]"}};
        for (Object[] c : cases) {
            PatchConvTest.Geometry g = (PatchConvTest.Geometry) c[0];
            INDArray[] in = inputs(g);
            INDArray z = Nd4j.create(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
            assertNull(FewChannelConv.of(conv2d(g, (int[]) c[1]), in, new INDArray[] {z}, a -> { }), (String) c[2]);
        }
        INDArray[] in = inputs(one);
        INDArray z = Nd4j.create(DataType.FLOAT, one.n(), one.co(), one.oh(), one.ow());
        assertNotNull(FewChannelConv.of(conv2d(one, null), in, new INDArray[] {z}, a -> { }), "BigGAN's layer");
        assertNull(FewChannelConv.of(conv2d(one, null), in, new INDArray[] {z.dup('f')}, a -> { }),
                "an output in F order");
        INDArray[] doubles = {in[0].castTo(DataType.DOUBLE), in[1], in[2]};
        assertNull(FewChannelConv.of(conv2d(one, null), doubles, new INDArray[] {z}, a -> { }), "an input in doubles");
        INDArray[] longBias = {in[0], in[1], Nd4j.randn(DataType.FLOAT, 2)};
        assertNull(FewChannelConv.of(conv2d(one, null), longBias, new INDArray[] {z}, a -> { }), "a bias of 2");
    }

    private static INDArray[] inputs(PatchConvTest.Geometry g) {
        return new INDArray[] {Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w()),
            Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co()), Nd4j.randn(DataType.FLOAT, g.co())};
    }

    /**
     * A plan runs a generator-like output layer through it (own arithmetic on): {@code conv2d(h, W, b)} to the
     * definition, in two calls with h changed between them; with the kernel off, the plan runs the flipped kernel to
     * the same values.
     */
    @Test
    void aPlanRunsTheOutputLayerThroughIt() {
        boolean before = GraphPlan.ownArithmetic(true);
        // OneDnnConv, which plans take before the flipped kernel, off: this kernel or the flipped one
        boolean oneDnn = OneDnnConv.enable(false);
        try {
            PatchConvTest.Geometry g = GEOMETRIES.get(0);
            for (boolean on : new boolean[] {true, false}) {
                boolean was = FewChannelConv.enable(on);
                try {
                    SameDiff sd = GraphMemory.create();
                    SDVariable h = sd.var("h", Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w()));
                    INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
                    INDArray b = Nd4j.randn(DataType.FLOAT, g.co());
                    SDVariable z = sd.cnn.conv2d(h, sd.var("w", w), sd.var("b", b), Conv2DConfig.builder()
                            .kH(g.kh()).kW(g.kw()).pH(g.ph()).pW(g.pw()).dataFormat("NCHW").build());
                    long calls = GraphPlan.kernelCalls().getOrDefault("conv2d/few-channels", 0L);
                    long flipped = GraphPlan.kernelCalls().getOrDefault("conv2d/flipped", 0L);
                    for (int call = 0; call < 2; call++) {
                        INDArray got = GraphPlan.output(sd, Map.of(), List.of(z.name())).get(z.name());
                        // the flipped kernel's Winograd transforms: a few units of float rounding (FlippedConvTest)
                        FewChannelDeconvTest.assertClose(reference(g, h.getArr(), w, b), got, on ? 1e-5 : 5e-6,
                                "kernel " + on + ", call " + call);
                        h.getArr().muli(-1.5);
                    }
                    assertEquals(on ? calls + 2 : calls,
                            GraphPlan.kernelCalls().getOrDefault("conv2d/few-channels", 0L),
                            "the plan ran the kernel (" + on + "): " + GraphPlan.kernelCalls());
                    // with it off, the flipped convolution took the layer (this case's own calls, not earlier tests')
                    assertEquals(on ? flipped : flipped + 2,
                            GraphPlan.kernelCalls().getOrDefault("conv2d/flipped", 0L),
                            "the flipped kernel's calls (" + on + "): " + GraphPlan.kernelCalls());
                    GraphMemory.release(sd);
                } finally {
                    FewChannelConv.enable(was);
                }
            }
        } finally {
            GraphPlan.ownArithmetic(before);
            OneDnnConv.enable(oneDnn);
        }
    }
}
