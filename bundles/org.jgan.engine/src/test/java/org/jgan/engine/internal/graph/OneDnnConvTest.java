package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * {@link OneDnnConv} against the convolution and its gradients written out as sums in float64 (each output element
 * the bias plus every weight times the input pixel it meets at {@code y sH - pH + ky dH}, 0 outside the image; the
 * input gradient and the weight gradient as the same sums turned around) and against libnd4j's {@code conv2d} and
 * {@code conv2d_bp}: BigGAN's discriminator's 3x3 layer, DCGAN's 4x4 stride-2 layer from one channel, a 1x1 kernel, a
 * dilated asymmetric kernel with strides and paddings differing by axis on a non-square image, SAME mode at stride 2
 * on odd and even sizes; the transposed convolutions ({@code deconv2d}, {@code deconv2d_bp}) of these; with and
 * without a bias; inputs at an offset and in F order, weights changed in place; gradients that
 * nothing reads left untouched; in a plan, a discriminator's convolution and its gradients run through it.
 */
class OneDnnConvTest {

    /** A convolution: sizes, strides, paddings (left; SAME mode computes them), dilations, SAME mode. */
    record Conv(int n, int c, int h, int w, int co, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
            boolean same) {
        /** A geometry of the other kernels' tests (explicit padding). */
        static Conv of(PatchConvTest.Geometry g) {
            return new Conv(g.n(), g.c(), g.h(), g.w(), g.co(), g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), g.dh(),
                    g.dw(), false);
        }

        int oh() {
            return same ? (h + sh - 1) / sh : (h + 2 * ph - (kh - 1) * dh - 1) / sh + 1;
        }

        int ow() {
            return same ? (w + sw - 1) / sw : (w + 2 * pw - (kw - 1) * dw - 1) / sw + 1;
        }

        /** The top padding: SAME mode pads by half the shortfall, rounded down (TensorFlow's and libnd4j's rule). */
        int top() {
            return same ? Math.max(0, ((oh() - 1) * sh + (kh - 1) * dh + 1 - h) / 2) : ph;
        }

        int left() {
            return same ? Math.max(0, ((ow() - 1) * sw + (kw - 1) * dw + 1 - w) / 2) : pw;
        }

        int[] args() {
            return new int[] {kh, kw, sh, sw, ph, pw, dh, dw, same ? 1 : 0, 0, 0};
        }

        DynamicCustomOp op(String name) {
            return DynamicCustomOp.builder(name).addIntegerArguments(args()).build();
        }

        /** The input row a tap meets, or -1 outside the image. */
        int row(int y, int ky) {
            int r = y * sh - top() + ky * dh;
            return r < 0 || r >= h ? -1 : r;
        }

        int column(int x, int kx) {
            int q = x * sw - left() + kx * dw;
            return q < 0 || q >= w ? -1 : q;
        }
    }

    private static final List<Conv> CONVS = List.of(
            new Conv(3, 8, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, false),
            new Conv(2, 1, 14, 14, 8, 4, 4, 2, 2, 1, 1, 1, 1, false),
            new Conv(2, 16, 5, 5, 8, 1, 1, 1, 1, 0, 0, 1, 1, false),
            new Conv(2, 5, 9, 7, 6, 3, 2, 2, 1, 2, 1, 2, 1, false),
            new Conv(2, 4, 9, 7, 5, 3, 3, 2, 2, 0, 0, 1, 1, true),
            new Conv(2, 4, 10, 8, 5, 3, 3, 2, 2, 0, 0, 1, 1, true));

    /** {@code z = conv(x, W) + b} in float64 (b null: none). */
    static double[] forward(Conv g, INDArray x, INDArray w, INDArray b) {
        double[] z = new double[g.n() * g.co() * g.oh() * g.ow()];
        for (int i = 0; i < g.n(); i++) {
            for (int o = 0; o < g.co(); o++) {
                for (int y = 0; y < g.oh(); y++) {
                    for (int xx = 0; xx < g.ow(); xx++) {
                        double sum = b == null ? 0 : b.getDouble(o);
                        for (int ky = 0; ky < g.kh(); ky++) {
                            for (int kx = 0; kx < g.kw(); kx++) {
                                int iy = g.row(y, ky);
                                int ix = g.column(xx, kx);
                                for (int c = 0; iy >= 0 && ix >= 0 && c < g.c(); c++) {
                                    sum += w.getDouble(ky, kx, c, o) * x.getDouble(i, c, iy, ix);
                                }
                            }
                        }
                        z[((i * g.co() + o) * g.oh() + y) * g.ow() + xx] = sum;
                    }
                }
            }
        }
        return z;
    }

    /** {dx, dW, db} of {@code sum(z * dz)} in float64, each output's term added to what it met. */
    static double[][] backward(Conv g, INDArray x, INDArray w, INDArray dz) {
        double[] dx = new double[g.n() * g.c() * g.h() * g.w()];
        double[] dw = new double[g.kh() * g.kw() * g.c() * g.co()];
        double[] db = new double[g.co()];
        for (int i = 0; i < g.n(); i++) {
            for (int o = 0; o < g.co(); o++) {
                for (int y = 0; y < g.oh(); y++) {
                    for (int xx = 0; xx < g.ow(); xx++) {
                        double d = dz.getDouble(i, o, y, xx);
                        db[o] += d;
                        for (int ky = 0; ky < g.kh(); ky++) {
                            for (int kx = 0; kx < g.kw(); kx++) {
                                int iy = g.row(y, ky);
                                int ix = g.column(xx, kx);
                                for (int c = 0; iy >= 0 && ix >= 0 && c < g.c(); c++) {
                                    dx[((i * g.c() + c) * g.h() + iy) * g.w() + ix] += d * w.getDouble(ky, kx, c, o);
                                    dw[((ky * g.kw() + kx) * g.c() + c) * g.co() + o] += d * x.getDouble(i, c, iy, ix);
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {dx, dw, db};
    }

    private static INDArray nan(long... shape) {
        return Nd4j.create(DataType.FLOAT, shape).assign(Float.NaN);
    }

    private static void runLibnd4j(Conv g, String name, INDArray[] in, INDArray[] out) {
        DynamicCustomOp op = g.op(name);
        op.addInputArgument(in);
        op.addOutputArgument(out);
        Nd4j.exec(op);
    }

    /**
     * Every convolution, with and without a bias: the forward pass and all three gradients against float64 and
     * (undilated) libnd4j's ops; then x at an offset with the weights and bias changed in place, then x and dz in F
     * order.
     */
    @Test
    void matchesTheDefinitionAndLibnd4j() {
        Nd4j.getRandom().setSeed(41);
        for (Conv g : CONVS) {
            for (boolean withBias : new boolean[] {true, false}) {
                check(g, false, withBias);
            }
        }
    }

    /**
     * The transposed convolutions of the same geometries (those whose output size the transposed convolution gives
     * back, SAME mode on even sizes), as {@code deconv2d} and {@code deconv2d_bp}: the transposed convolution is the
     * convolution's adjoint, so its float64 reference is the convolution's input gradient with x as dz, its input
     * gradient the convolution of dz, its weight gradient the convolution's with x and dz swapped.
     */
    @Test
    void transposedMatchesTheDefinitionAndLibnd4j() {
        Nd4j.getRandom().setSeed(47);
        for (Conv g : CONVS) {
            if (!g.same() && ((g.h() + 2 * g.ph() - (g.kh() - 1) * g.dh() - 1) % g.sh() != 0
                    || (g.w() + 2 * g.pw() - (g.kw() - 1) * g.dw() - 1) % g.sw() != 0)
                    || g.same() && (g.h() % g.sh() != 0 || g.w() % g.sw() != 0)) {
                continue;
            }
            for (boolean withBias : new boolean[] {true, false}) {
                check(g, true, withBias);
            }
        }
    }

    /** {@link #matchesTheDefinitionAndLibnd4j} for one geometry, the convolution or the transposed one. */
    private static void check(Conv g, boolean transposed, boolean withBias) {
        String at = g + (transposed ? ", transposed" : "") + ", bias " + withBias;
        long[] large = {g.n(), g.c(), g.h(), g.w()};
        long[] small = {g.n(), g.co(), g.oh(), g.ow()};
        INDArray x = Nd4j.randn(DataType.FLOAT, transposed ? small : large);
        INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
        INDArray b = Nd4j.randn(DataType.FLOAT, transposed ? g.c() : g.co());
        INDArray dz = Nd4j.randn(DataType.FLOAT, transposed ? large : small);
        INDArray[] in = withBias ? new INDArray[] {x, w, b} : new INDArray[] {x, w};
        INDArray[] inBp = withBias ? new INDArray[] {x, w, b, dz} : new INDArray[] {x, w, dz};
        // filled, so that a kernel that skipped an element would leave a value the reference does not have
        INDArray z = nan(dz.shape());
        INDArray[] grads = withBias ? new INDArray[] {nan(x.shape()), nan(w.shape()), nan(b.shape())}
                : new INDArray[] {nan(x.shape()), nan(w.shape())};
        String name = transposed ? "deconv2d" : "conv2d";
        Replacements.Kernel f = OneDnnConv.forward(g.op(name), in, new INDArray[] {z});
        Replacements.Kernel bp = OneDnnConv.backward(g.op(name + "_bp"), inBp, grads, new boolean[grads.length]);
        assertNotNull(f, at);
        assertNotNull(bp, at);
        for (int round = 0; round < 3; round++) {
            String when = at + (round == 0 ? "" : round == 1 ? ", x at an offset, parameters updated"
                    : ", x and dz in F order");
            f.run(in);
            bp.run(inBp);
            INDArray xNow = in[0];
            INDArray dzNow = inBp[inBp.length - 1];
            double[] zExpected;
            double[][] expected;
            if (transposed) {
                // z = the convolution's input gradient of x plus b; dx = conv(dz); dW with x and dz swapped
                double[][] adjoint = backward(g, dzNow, w, xNow);
                zExpected = adjoint[0];
                int plane = g.h() * g.w();
                double[] db = new double[g.c()];
                for (int k = 0; k < zExpected.length; k++) {
                    int channel = k / plane % g.c();
                    zExpected[k] += withBias ? b.getDouble(channel) : 0;
                    db[channel] += dzNow.dup('c').data().getDouble(k);
                }
                expected = new double[][] {forward(g, dzNow, w, null), adjoint[1], db};
            } else {
                zExpected = forward(g, xNow, w, withBias ? b : null);
                expected = backward(g, xNow, w, dzNow);
            }
            FewChannelDeconvTest.assertClose(zExpected, z, 1e-5, when + ": z against float64");
            for (int k = 0; k < grads.length; k++) {
                FewChannelDeconvTest.assertClose(expected[k], grads[k], 1e-5,
                        when + ": gradient " + k + " against float64");
            }
            if (round == 0 && g.dh() == 1 && g.dw() == 1) {
                // libnd4j's oneDNN path refuses dilation: float64 alone there
                INDArray lib = z.ulike();
                runLibnd4j(g, name, in, new INDArray[] {lib});
                FewChannelDeconvTest.assertClose(lib.dup('c').data().asDouble(), z, 1e-5,
                        when + ": z against libnd4j's " + name);
                INDArray[] libGrads = new INDArray[grads.length];
                for (int k = 0; k < grads.length; k++) {
                    libGrads[k] = grads[k].ulike();
                }
                runLibnd4j(g, name + "_bp", inBp, libGrads);
                for (int k = 0; k < grads.length; k++) {
                    FewChannelDeconvTest.assertClose(libGrads[k].dup('c').data().asDouble(), grads[k], 1e-5,
                            when + ": gradient " + k + " against libnd4j's " + name + "_bp");
                }
            }
            w.muli(-0.5);
            b.addi(0.25);
            if (round == 0) {
                INDArray bigX = Nd4j.randn(DataType.FLOAT, prepend(x.shape()));
                in[0] = bigX.get(NDArrayIndex.interval(1, g.n() + 1));
            } else {
                in[0] = x.dup('f');
                inBp[inBp.length - 1] = dz.dup('f');
            }
            inBp[0] = in[0];
        }
        f.close();
        bp.close();
    }

    /** The shape with one more sample. */
    private static long[] prepend(long[] shape) {
        long[] s = shape.clone();
        s[0]++;
        return s;
    }

    /**
     * Gradients that nothing reads are not computed (their arrays keep what they held): the input gradient alone (a
     * discriminator's layer in the generator's step), the weight and bias gradients alone (a first layer).
     */
    @Test
    void computesOnlyTheGradientsThatAreRead() {
        Nd4j.getRandom().setSeed(43);
        Conv g = CONVS.get(0);
        INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w());
        INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
        INDArray b = Nd4j.randn(DataType.FLOAT, g.co());
        INDArray dz = Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
        double[][] expected = backward(g, x, w, dz);
        for (boolean[] unread : new boolean[][] {{false, true, true}, {true, false, false}, {true, false, true}}) {
            INDArray[] grads = {nan(x.shape()), nan(w.shape()), nan(g.co())};
            Replacements.Kernel bp = OneDnnConv.backward(g.op("conv2d_bp"), new INDArray[] {x, w, b, dz}, grads,
                    unread);
            assertNotNull(bp);
            bp.run(new INDArray[] {x, w, b, dz});
            for (int k = 0; k < 3; k++) {
                String what = "gradient " + k + " with unread " + java.util.Arrays.toString(unread);
                if (unread[k]) {
                    assertTrue(grads[k].isNaN().all(), what + " was written");
                } else {
                    FewChannelDeconvTest.assertClose(expected[k], grads[k], 1e-5, what);
                }
            }
            bp.close();
        }
        assertNull(OneDnnConv.backward(g.op("conv2d_bp"), new INDArray[] {x, w, b, dz},
                new INDArray[] {x.ulike(), w.ulike(), b.ulike()}, new boolean[] {true, true, true}), "nothing read");
    }

    /**
     * NHWC, another weight format, an input in doubles, a bias of another length, an output in F order or of another
     * size, a kernel size in the arguments other than the weights', the kernel switched off: libnd4j's or the other
     * kernels' (the same arrays otherwise taken).
     */
    @Test
    void whatItDoesNotTakeStaysWithLibnd4j() {
        Conv g = CONVS.get(0);
        INDArray[] in = {Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w()),
            Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co()), Nd4j.randn(DataType.FLOAT, g.co())};
        INDArray z = Nd4j.create(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
        Replacements.Kernel taken = OneDnnConv.forward(g.op("conv2d"), in, new INDArray[] {z});
        assertNotNull(taken, "BigGAN's layer");
        taken.close();
        int[] nhwc = g.args();
        nhwc[9] = 1;
        int[] weightFormat = g.args();
        weightFormat[10] = 1;
        int[] kernel = g.args();
        kernel[0] = 5;
        for (Object[] c : new Object[][] {{nhwc, "NHWC"}, {weightFormat, "weights [oC, iC, kH, kW]"},
            {kernel, "a 5x3 kernel in the arguments"}}) {
            DynamicCustomOp op = DynamicCustomOp.builder("conv2d").addIntegerArguments((int[]) c[0]).build();
            assertNull(OneDnnConv.forward(op, in, new INDArray[] {z}), (String) c[1]);
        }
        assertNull(OneDnnConv.forward(g.op("conv2d"), new INDArray[] {in[0].castTo(DataType.DOUBLE), in[1], in[2]},
                new INDArray[] {z}), "an input in doubles");
        assertNull(OneDnnConv.forward(g.op("conv2d"), new INDArray[] {in[0], in[1], Nd4j.randn(DataType.FLOAT, 2)},
                new INDArray[] {z}), "a bias of 2");
        assertNull(OneDnnConv.forward(g.op("conv2d"), in, new INDArray[] {z.dup('f')}), "an output in F order");
        assertNull(OneDnnConv.forward(g.op("conv2d"), in,
                new INDArray[] {Nd4j.create(DataType.FLOAT, g.n(), g.co(), g.oh() + 1, g.ow())}), "an output too high");
        boolean was = OneDnnConv.enable(false);
        try {
            assertNull(OneDnnConv.forward(g.op("conv2d"), in, new INDArray[] {z}), "switched off");
        } finally {
            OneDnnConv.enable(was);
        }
    }

    /**
     * A plan (own arithmetic on) runs a discriminator's 3x3 convolution and its gradients through it, twice with x
     * changed between, to float64; with the kernel off, the flipped kernel and libnd4j's {@code conv2d_bp} take them
     * to the same values.
     */
    @Test
    void aPlanRunsAConvolutionAndItsGradientsThroughIt() {
        boolean before = GraphPlan.ownArithmetic(true);
        try {
            Conv g = CONVS.get(0);
            for (boolean on : new boolean[] {true, false}) {
                boolean was = OneDnnConv.enable(on);
                try {
                    SameDiff sd = GraphMemory.create();
                    SDVariable x = sd.var("x", Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w()));
                    INDArray w = Nd4j.randn(DataType.FLOAT, g.kh(), g.kw(), g.c(), g.co());
                    INDArray b = Nd4j.randn(DataType.FLOAT, g.co());
                    INDArray dz = Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
                    SDVariable wv = sd.var("w", w);
                    SDVariable bv = sd.var("b", b);
                    SDVariable z = sd.cnn.conv2d(x, wv, bv, Conv2DConfig.builder().kH(g.kh()).kW(g.kw()).pH(g.ph())
                            .pW(g.pw()).dataFormat("NCHW").build());
                    // a loss whose gradient with respect to z is dz
                    SDVariable loss = z.mul(sd.constant("dz", dz)).sum();
                    loss.markAsLoss();
                    sd.createGradFunction();
                    Map<String, Long> start = GraphPlan.kernelCalls();
                    for (int call = 0; call < 2; call++) {
                        Map<String, INDArray> got = GraphPlan.output(sd.getFunction("grad"), Map.of(),
                                List.of(z.name(), x.gradient().name(), wv.gradient().name(), bv.gradient().name()));
                        FewChannelDeconvTest.assertClose(forward(g, x.getArr(), w, b), got.get(z.name()), 1e-5,
                                "kernel " + on + ", call " + call + ": z");
                        double[][] expected = backward(g, x.getArr(), w, dz);
                        FewChannelDeconvTest.assertClose(expected[0], got.get(x.gradient().name()), 1e-5,
                                "kernel " + on + ", call " + call + ": dx");
                        FewChannelDeconvTest.assertClose(expected[1], got.get(wv.gradient().name()), 1e-5,
                                "kernel " + on + ", call " + call + ": dW");
                        FewChannelDeconvTest.assertClose(expected[2], got.get(bv.gradient().name()), 1e-5,
                                "kernel " + on + ", call " + call + ": db");
                        x.getArr().muli(-1.5);
                    }
                    Map<String, Long> end = GraphPlan.kernelCalls();
                    for (String kind : new String[] {"conv2d/onednn", "conv2d_bp/onednn"}) {
                        long calls = end.getOrDefault(kind, 0L) - start.getOrDefault(kind, 0L);
                        assertEquals(on ? 2 : 0, calls, kind + " (kernel " + on + "): " + end);
                    }
                    // with it off, the flipped kernel took the forward convolution (this case's own calls)
                    long flipped = end.getOrDefault("conv2d/flipped", 0L) - start.getOrDefault("conv2d/flipped", 0L);
                    assertEquals(on ? 0 : 2, flipped, "conv2d/flipped (kernel " + on + "): " + end);
                    GraphMemory.release(sd);
                } finally {
                    OneDnnConv.enable(was);
                }
            }
        } finally {
            GraphPlan.ownArithmetic(before);
        }
    }
}
