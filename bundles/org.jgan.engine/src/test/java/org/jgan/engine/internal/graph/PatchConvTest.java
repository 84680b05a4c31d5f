package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link PatchConv} against the convolution's sums written out in float64 (a loop over every input pixel a kernel
 * tap reads, sharing nothing with the kernel's patch matrices), and against libnd4j's {@code conv2d} and
 * {@code conv2d_bp} on the same arguments, so that the kernel reads strides and padding as libnd4j does;
 * then inside a {@link GraphPlan}, where a first layer's weight gradient comes from it only while nothing reads the
 * input gradient and {@link GraphPlan#ownArithmetic(boolean)} is on.
 */
class PatchConvTest {

    private boolean ownArithmetic;

    @BeforeEach
    void ownArithmeticOn() {
        ownArithmetic = GraphPlan.ownArithmetic(true);
    }

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(ownArithmetic);
    }

    /**
     * A convolution's geometry: batch, channels, height, width, output channels, kernel, strides, padding, dilation
     * (FewChannelDeconvTest's convolutions too).
     */
    record Geometry(int n, int c, int h, int w, int co, int kh, int kw, int sh, int sw, int ph, int pw, int dh,
            int dw) {
        int oh() {
            return (h + 2 * ph - (kh - 1) * dh - 1) / sh + 1;
        }

        int ow() {
            return (w + 2 * pw - (kw - 1) * dw - 1) / sw + 1;
        }

        /** libnd4j's integer arguments: explicit padding, NCHW, weights [kH, kW, iC, oC]. */
        int[] args() {
            return new int[] {kh, kw, sh, sw, ph, pw, dh, dw, 0, 0, 0};
        }

        DynamicCustomOp op(String name) {
            return DynamicCustomOp.builder(name).addIntegerArguments(args()).build();
        }

        /** x[n, ci, y, x], 0 outside the image. */
        double pixel(double[] x, int i, int ci, int y, int xx) {
            return y < 0 || y >= h || xx < 0 || xx >= w ? 0 : x[((i * c + ci) * h + y) * w + xx];
        }
    }

    private static Geometry geometry(String spec) {
        int[] g = java.util.Arrays.stream(spec.split(" ")).mapToInt(Integer::parseInt).toArray();
        return new Geometry(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12]);
    }

    private static INDArray random(Random r, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Nd4j.createFromArray(v).reshape(shape);
    }

    private static double[] doubles(INDArray a) {
        return a.dup().data().asDouble();
    }

    /**
     * The weight and bias gradients of one convolution, as one product over the batch or (a 1x1 kernel on at most 9
     * channels) by the loops over rows: BigGAN's first layer on 1-channel images (more positions than the loops'
     * lanes) and a strided one (fewer), a 1x1 one, unequal kernel sides, strides and padding on a non-square image, a
     * 1x1 kernel on three channels (the loops), DCGAN's 4x4 stride-2 one, 4x4 and 3x3 ones on three channels, the
     * longest patch (4x4 on three channels, padding 2) to one output channel, one sample, padding wider than the kernel
     * (whole rows and columns of a window outside the image); with and without a bias,
     * each kernel's work arrays handed to the plan; one kernel called three times with other inputs (nothing carried
     * over from a call): views at an offset into a larger array, then inputs in F order (copied to be read), the
     * gradients written into views at an offset.
     */
    @ParameterizedTest
    @CsvSource({"3 1 32 32 5 3 3 1 1 1 1 1 1", "3 1 28 28 6 3 3 2 2 1 1 1 1", "4 1 16 16 4 1 1 1 1 0 0 1 1",
        "2 1 21 17 3 2 3 1 2 1 0 1 1", "2 3 9 11 4 1 1 2 1 0 0 1 1", "2 1 40 41 2 3 3 1 1 1 1 1 1",
        "3 1 28 28 6 4 4 2 2 1 1 1 1", "2 3 16 16 5 4 4 2 2 1 1 1 1", "2 3 12 10 4 3 3 1 1 1 1 1 1",
        "2 3 9 9 1 4 4 1 1 2 2 1 1", "1 1 12 12 3 4 4 2 2 1 1 1 1", "2 1 6 6 3 2 2 2 2 3 3 1 1"})
    void weightAndBiasGradientsAreTheSums(String spec) {
        Geometry g = geometry(spec);
        Random r = new Random(spec.hashCode());
        INDArray w = random(r, g.kh, g.kw, g.c, g.co);
        INDArray b = random(r, g.co);
        INDArray dx = Nd4j.create(DataType.FLOAT, g.n, g.c, g.h, g.w);
        List<INDArray> owned = new ArrayList<>();
        for (boolean bias : new boolean[] {true, false}) {
            INDArray dw = Nd4j.create(DataType.FLOAT, g.kh + 1, g.kw, g.c, g.co).get(NDArrayIndex.interval(1, g.kh + 1));
            INDArray db = bias ? Nd4j.create(DataType.FLOAT, g.co + 1).get(NDArrayIndex.interval(1, g.co + 1)) : null;
            assertTrue(dw.offset() > 0 && PatchConv.dense(dw) && (db == null || db.offset() > 0 && PatchConv.dense(db)),
                    "gradients into dense views at an offset");
            DynamicCustomOp op = g.op("conv2d_bp");
            Replacements.Kernel kernel = null;
            for (int call = 0; call < 3; call++) {
                // views at an offset: the second to last samples of one batch longer
                INDArray x = random(r, g.n + 1, g.c, g.h, g.w).get(NDArrayIndex.interval(1, g.n + 1));
                INDArray dz = random(r, g.n + 1, g.co, g.oh(), g.ow()).get(NDArrayIndex.interval(1, g.n + 1));
                assertTrue(x.offset() > 0 && PatchConv.dense(x) && PatchConv.dense(dz), "dense views at an offset");
                if (call == 2) {
                    x = x.dup('f');
                    dz = dz.dup('f');
                    assertFalse(PatchConv.dense(x) || PatchConv.dense(dz), "F order is not read as it is");
                }
                if (kernel == null) {
                    PatchConv conv = PatchConv.of(op, x, w, dz);
                    assertNotNull(conv, spec);
                    int before = owned.size();
                    kernel = conv.weightGradient(dw, db, owned::add);
                    assertEquals(conv.byLoops() ? 0 : 3, owned.size() - before, "work arrays handed to the plan");
                }
                kernel.run(bias ? new INDArray[] {x, w, b, dz} : new INDArray[] {x, w, dz});

                double[] xs = doubles(x);
                double[] dzs = doubles(dz);
                int oh = g.oh();
                int ow = g.ow();
                for (int ky = 0; ky < g.kh; ky++) {
                    for (int kx = 0; kx < g.kw; kx++) {
                        for (int ci = 0; ci < g.c; ci++) {
                            for (int o = 0; o < g.co; o++) {
                                double sum = 0;
                                double magnitude = 0;
                                for (int i = 0; i < g.n; i++) {
                                    for (int y = 0; y < oh; y++) {
                                        for (int xx = 0; xx < ow; xx++) {
                                            double t = g.pixel(xs, i, ci, y * g.sh + ky * g.dh - g.ph,
                                                    xx * g.sw + kx * g.dw - g.pw)
                                                    * dzs[((i * g.co + o) * oh + y) * ow + xx];
                                            sum += t;
                                            magnitude += Math.abs(t);
                                        }
                                    }
                                }
                                assertEquals(sum, dw.getDouble(ky, kx, ci, o), 1e-5 * magnitude + 1e-12,
                                        "dW[" + ky + ", " + kx + ", " + ci + ", " + o + "] of " + spec);
                            }
                        }
                    }
                }
                if (bias) {
                    for (int o = 0; o < g.co; o++) {
                        double sum = 0;
                        double magnitude = 0;
                        for (int i = 0; i < g.n; i++) {
                            for (int q = 0; q < oh * ow; q++) {
                                sum += dzs[(i * g.co + o) * oh * ow + q];
                                magnitude += Math.abs(dzs[(i * g.co + o) * oh * ow + q]);
                            }
                        }
                        assertEquals(sum, db.getDouble(o), 1e-5 * magnitude, "db[" + o + "] of " + spec);
                    }
                }

                // libnd4j reads the same arguments the same way (to float rounding)
                INDArray refDx = dx.like();
                INDArray refDw = dw.like();
                INDArray refDb = Nd4j.create(DataType.FLOAT, g.co);
                Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addIntegerArguments(g.args())
                        .addInputs(x.dup(), w, b, dz.dup()).addOutputs(refDx, refDw, refDb).build());
                assertTrue(refDw.equalsWithEps(dw, 1e-4 * refDw.amaxNumber().doubleValue()),
                        "libnd4j's dW for " + spec + ":\n" + refDw + "\nhere:\n" + dw);
                if (bias) {
                    assertTrue(refDb.equalsWithEps(db, 1e-4 * refDb.amaxNumber().doubleValue()),
                            "libnd4j's db for " + spec);
                }
            }
            kernel.close();
        }
        // the product's work arrays (none for the loops), which a plan releases with itself
        owned.forEach(INDArray::close);
    }

    /**
     * A 1x1 convolution of one channel, forward, {@code z = W x + b} per output channel (b alone where the padding
     * is read), as libnd4j's; without a bias, and on an input in F order.
     */
    @ParameterizedTest
    @CsvSource({"3 1 8 6 5 1 1 1 1 0 0 1 1", "2 1 9 7 4 1 1 2 2 1 1 1 1"})
    void aPointwiseConvolutionForward(String spec) {
        Geometry g = geometry(spec);
        Random r = new Random(7);
        INDArray x = random(r, g.n + 1, g.c, g.h, g.w).get(NDArrayIndex.interval(1, g.n + 1));
        INDArray w = random(r, 1, 1, 1, g.co);
        INDArray b = random(r, g.co);
        INDArray z = Nd4j.create(DataType.FLOAT, g.n, g.co, g.oh(), g.ow());
        PatchConv conv = PatchConv.of(g.op("conv2d"), x, w, z);
        assertTrue(conv.pointwise());
        Replacements.Kernel kernel = conv.forward(z);
        double[] xs = doubles(x);
        for (boolean bias : new boolean[] {true, false}) {
            for (INDArray input : List.of(x, x.dup('f'))) {
                kernel.run(bias ? new INDArray[] {input, w, b} : new INDArray[] {input, w});
                for (int i = 0; i < g.n; i++) {
                    for (int o = 0; o < g.co; o++) {
                        for (int y = 0; y < g.oh(); y++) {
                            for (int xx = 0; xx < g.ow(); xx++) {
                                double expected = w.getDouble(0, 0, 0, o)
                                        * g.pixel(xs, i, 0, y * g.sh - g.ph, xx * g.sw - g.pw)
                                        + (bias ? b.getDouble(o) : 0);
                                assertEquals(expected, z.getDouble(i, o, y, xx), 1e-6 * (1 + Math.abs(expected)),
                                        "z[" + i + ", " + o + ", " + y + ", " + xx + "] of " + spec + ", bias " + bias);
                            }
                        }
                    }
                }
            }
        }
        INDArray ref = z.like();
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addIntegerArguments(g.args()).addInputs(x.dup(), w)
                .addOutputs(ref).build());
        assertTrue(ref.equalsWithEps(z, 1e-5), "libnd4j's conv2d without bias, " + spec);
        PatchConv threeByThree = PatchConv.of(geometry("3 1 8 6 5 3 3 1 1 1 1 1 1").op("conv2d"),
                random(r, 3, 1, 8, 6), random(r, 3, 3, 1, 5), Nd4j.create(DataType.FLOAT, 3, 5, 8, 6));
        assertFalse(threeByThree.pointwise(), "a 3x3 kernel is not pointwise");
    }

    /**
     * Convolutions the kernel leaves to libnd4j: long patches, same mode, NHWC, dilation, an output of another size,
     * arrays it cannot read densely.
     */
    @Test
    void whatItDoesNotCompute() {
        Random r = new Random(3);
        INDArray dz = random(r, 2, 4, 8, 8);
        DynamicCustomOp conv = DynamicCustomOp.builder("conv2d_bp").addIntegerArguments(3, 3, 1, 1, 1, 1, 1, 1, 0, 0,
                0).build();
        DynamicCustomOp four = DynamicCustomOp.builder("conv2d_bp").addIntegerArguments(4, 4, 2, 2, 1, 1, 1, 1, 0, 0,
                0).build();
        assertNull(PatchConv.of(four, random(r, 2, 4, 8, 8), random(r, 4, 4, 4, 4), random(r, 2, 4, 4, 4)),
                "a patch of 64");
        assertNotNull(PatchConv.of(four, random(r, 2, 3, 8, 8), random(r, 4, 4, 3, 4), random(r, 2, 4, 4, 4)),
                "a patch of 48");
        // patch matrices an int cannot index: [K + 1, n oH oW] floats above 2^31 bytes
        assertTrue(PatchConv.indexable(48, 32, 32 * 32), "BigGAN-sized");
        assertFalse(PatchConv.indexable(27, 512, 256 * 256), "[512, 3, 256, 256] 3x3: 0.94 billion floats, 3.8 GB");
        assertFalse(PatchConv.indexable(48, 4096, 128 * 128), "2^31 elements would wrap an int");
        INDArray x1 = random(r, 2, 1, 8, 8);
        assertNotNull(PatchConv.of(four, x1, random(r, 4, 4, 1, 4), random(r, 2, 4, 4, 4)),
                "a patch of 16 (DCGAN's first layer)");
        assertNotNull(PatchConv.of(conv, x1, random(r, 3, 3, 1, 4), dz), "a patch of 9");
        assertNull(PatchConv.of(DynamicCustomOp.builder("conv2d_bp").addIntegerArguments(3, 3, 1, 1, 1, 1, 1, 1, 1, 0,
                0).build(), x1, random(r, 3, 3, 1, 4), dz), "same mode");
        assertNull(PatchConv.of(DynamicCustomOp.builder("conv2d_bp").addIntegerArguments(3, 3, 1, 1, 1, 1, 1, 1, 0, 1,
                0).build(), x1, random(r, 3, 3, 1, 4), dz), "NHWC");
        assertNull(PatchConv.of(DynamicCustomOp.builder("conv2d_bp").addIntegerArguments(3, 3, 1, 1, 2, 2, 2, 2, 0, 0,
                0).build(), x1, random(r, 3, 3, 1, 4), dz), "dilated");
        assertNull(PatchConv.of(conv, x1, random(r, 3, 3, 1, 4), random(r, 2, 4, 7, 7)), "an output size that "
                + "does not follow");
        assertTrue(!PatchConv.dense(random(r, 4, 4).transpose()) && !PatchConv.dense(x1.castTo(DataType.DOUBLE))
                && PatchConv.dense(x1), "transposed or double arrays are not read");
    }

    /**
     * A first layer and a 1x1 strided shortcut in a plan, {@code loss = sum(m * (conv3x3(x, W) + b + conv1x1(x, V)))},
     * whose weight gradients are {@code sum m x} over the patches: with only the parameters' gradients requested they
     * come from this kernel (counted), the 3x3 one from oneDNN's backward-weights primitive instead where its binding
     * loads and oneDNN runs AVX-512 kernels ({@link OneDnnConv}, counted; switched off, or with AVX2 alone, where
     * oneDNN would pad the channel, this kernel's product; {@link FirstLayerIsaTest}), and are the float64 sums; with
     * the input's gradient requested too, or with the plan's own arithmetic off, libnd4j's {@code conv2d_bp} runs,
     * which agrees to rounding. The shortcut's forward pass is this kernel's with the plan's own arithmetic on.
     */
    @Test
    void aFirstLayersWeightGradientInAPlan() {
        SameDiff sd = GraphMemory.create();
        Random r = new Random(11);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 1, 12, 12);
        SDVariable w = sd.var("w", random(r, 3, 3, 1, 3).mul(0.3));
        SDVariable b = sd.var("b", random(r, 3));
        SDVariable z = sd.cnn.conv2d(x, w, b, Conv2DConfig.builder().kH(3).kW(3).sH(2).sW(2).pH(1).pW(1)
                .dataFormat("NCHW").build());
        SDVariable v = sd.var("v", random(r, 1, 1, 1, 3));
        SDVariable shortcut = sd.cnn.conv2d(x, v, Conv2DConfig.builder().kH(1).kW(1).sH(2).sW(2).pH(0).pW(0)
                .dataFormat("NCHW").build());
        INDArray m = random(r, 2, 3, 6, 6);
        sd.setLossVariables(z.add(shortcut).mul(sd.constant("m", m)).sum().rename("loss"));
        sd.createGradFunction("x");
        SameDiff grad = sd.getFunction("grad");
        INDArray data = random(r, 2, 1, 12, 12);
        Map<String, INDArray> feed = Map.of("x", data);
        double[] expected = new double[3 * 3 * 3];
        for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
                for (int o = 0; o < 3; o++) {
                    double s = 0;
                    for (int i = 0; i < 2; i++) {
                        for (int y = 0; y < 6; y++) {
                            for (int xx = 0; xx < 6; xx++) {
                                int iy = 2 * y + ky - 1;
                                int ix = 2 * xx + kx - 1;
                                if (iy >= 0 && iy < 12 && ix >= 0 && ix < 12) {
                                    s += data.getDouble(i, 0, iy, ix) * m.getDouble(i, o, y, xx);
                                }
                            }
                        }
                    }
                    expected[(ky * 3 + kx) * 3 + o] = s;
                }
            }
        }
        double[] expectedV = new double[3];
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 2; i++) {
                for (int y = 0; y < 6; y++) {
                    for (int xx = 0; xx < 6; xx++) {
                        expectedV[o] += data.getDouble(i, 0, 2 * y, 2 * xx) * m.getDouble(i, o, y, xx);
                    }
                }
            }
        }
        // x's gradient: the sum of both layers' input gradients (SameDiff 1.0.0-M2.1 names the first one "x-grad")
        String xGrad = sd.getVariable("x").getGradient().name();
        for (List<String> names : List.of(List.of("w-grad", "b-grad", "v-grad"), List.of(xGrad, "w-grad",
                "v-grad"))) {
            for (int setting = 0; setting < 3; setting++) {
                boolean own = setting < 2;
                // one channel: oneDNN's primitive where it has AVX-512 (with AVX2 it pads the channel to eight)
                boolean oneDnn = setting == 0 && FirstLayerIsaTest.oneDnnHasAvx512();
                GraphPlan.release(grad);
                GraphPlan.ownArithmetic(own);
                boolean was = OneDnnConv.enable(setting == 0);
                Map<String, Long> before = Replacements.calls();
                Map<String, INDArray> out = null;
                try {
                    for (int call = 0; call < 2; call++) {
                        out = GraphPlan.output(grad, feed, names);
                    }
                } finally {
                    OneDnnConv.enable(was);
                }
                Map<String, Long> after = Replacements.calls();
                boolean weightsOnly = own && !names.contains(xGrad);
                // two calls, each the 3x3 layer's and the shortcut's gradients
                int expectPatch = weightsOnly ? oneDnn ? 2 : 4 : 0;
                assertEquals(expectPatch, after.getOrDefault("conv2d_bp/patch", 0L)
                        - before.getOrDefault("conv2d_bp/patch", 0L), "weight gradients here for " + names + ", own "
                        + own + ", oneDNN " + oneDnn);
                assertEquals(weightsOnly && oneDnn ? 2 : 0, after.getOrDefault("conv2d_bp/weights/onednn", 0L)
                        - before.getOrDefault("conv2d_bp/weights/onednn", 0L), "the 3x3 layer's weight gradients "
                        + "by oneDNN for " + names + ", own " + own + ", oneDNN " + oneDnn);
                assertEquals(own ? 2 : 0, after.getOrDefault("conv2d/patch", 0L)
                        - before.getOrDefault("conv2d/patch", 0L), "1x1 forward passes here, own " + own);
                double[] got = doubles(out.get("w-grad").reshape(-1));
                for (int j = 0; j < expected.length; j++) {
                    assertEquals(expected[j], got[j], 1e-5 * (1 + Math.abs(expected[j])),
                            "w-grad[" + j + "] for " + names + ", own " + own + ", oneDNN " + oneDnn);
                }
                if (names.contains("b-grad")) {
                    // the product's row of ones: db[o] = sum m over samples and positions
                    for (int o = 0; o < 3; o++) {
                        double expectedB = m.get(NDArrayIndex.all(), NDArrayIndex.point(o)).sumNumber().doubleValue();
                        assertEquals(expectedB, out.get("b-grad").getDouble(o), 1e-5 * (1 + Math.abs(expectedB)),
                                "b-grad[" + o + "], own " + own);
                    }
                }
                double[] gotV = doubles(out.get("v-grad").reshape(-1));
                for (int o = 0; o < 3; o++) {
                    assertEquals(expectedV[o], gotV[o], 1e-5 * (1 + Math.abs(expectedV[o])),
                            "v-grad[" + o + "] for " + names + ", own " + own + ", oneDNN " + oneDnn);
                }
            }
        }
        GraphMemory.release(sd);
    }
}
