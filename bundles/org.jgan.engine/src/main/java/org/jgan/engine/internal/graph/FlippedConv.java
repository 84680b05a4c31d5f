package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.function.Consumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A stride-1 {@code conv2d} (NCHW, weights {@code [kH, kW, iC, oC]}, no dilation) computed as the input gradient of
 * another convolution: {@code y = conv(x, W)} is the transposed convolution of x with the kernel flipped in space and
 * its channel axes swapped, {@code W'[a, b, o, i] = W[kH - 1 - a, kW - 1 - b, i, o]}, at padding
 * {@code k - 1 - p}, which {@code deconv2d_tf} (TensorFlow's Conv2DBackpropInput) runs as oneDNN's backward-data
 * primitive; the bias, if any, is added after by {@code biasadd}.
 *
 * <p>Why: libnd4j 1.0.0-M2.1's {@code conv2d} asks oneDNN for its forward primitive with layouts of oneDNN's choice,
 * gets {@code brgconv} on NHWC, and reorders the input, the output before the call (which the convolution then
 * overwrites) and the output after it between NCHW and NHWC; its backward-data primitive runs on oneDNN's blocked
 * layout ({@code nChw16c}, whose reorders cost half as much) and, for 3x3 kernels, by Winograd's F(4x4, 3x3). On the
 * 2-core AMD EPYC (AVX-512), per call on a batch of 32: {@code [32, 32, 32, 32]} with a 3x3 kernel 4.8 ms through
 * {@code conv2d}, 2.1 ms so; at 16x16 0.78 against 0.54 ms; 32 to 1 channels at 32x32 1.75 against 1.17 ms; a 1x1
 * kernel on {@code [32, 32, 32, 32]} 1.6 against 0.8 ms; from 1 channel 0.95 against 2.1 ms, so inputs of fewer than
 * {@link #MIN_CHANNELS} channels keep {@code conv2d}. PyTorch 1.13's own call of oneDNN's forward primitive on the
 * blocked layout took 2.9 ms on the first shape. Winograd's transforms round differently from a direct convolution
 * (largest error relative to the output's largest value 1.2e-6 to 1.5e-6 against 6.4e-7 on the 3x3 shapes above,
 * both against float64), so plans use this kernel only with {@link GraphPlan#ownArithmetic(boolean)}.
 */
final class FlippedConv implements Replacements.Kernel {

    /** Fewest input channels for which the backward-data primitive is the faster. */
    static final long MIN_CHANNELS = 8;

    /** {@code -Djgan.graph.flippedConv=false}: libnd4j's {@code conv2d} (for comparisons). */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.flippedConv"));

    private final int kh;
    private final int kw;
    private final int ci;
    private final int co;
    private final INDArray flipped;
    private final float[] from;
    private final float[] to;
    private final Replacements.Call transposed;
    private final Replacements.Call bias;
    private final INDArray shape;
    private final INDArray z;

    private FlippedConv(long[] a, INDArray x, INDArray w, INDArray z, boolean withBias, Consumer<INDArray> own) {
        this.z = z;
        kh = (int) w.size(0);
        kw = (int) w.size(1);
        ci = (int) w.size(2);
        co = (int) w.size(3);
        flipped = Nd4j.createUninitializedDetached(DataType.FLOAT, kh, kw, co, ci);
        own.accept(flipped);
        shape = Nd4j.createFromArray(Math.toIntExact(z.size(0)), Math.toIntExact(z.size(1)),
                Math.toIntExact(z.size(2)), Math.toIntExact(z.size(3)));
        own.accept(shape);
        from = new float[kh * kw * ci * co];
        to = new float[from.length];
        // the transposed convolution of x at padding k - 1 - p, stride 1: same mode off, NCHW, weights [kH, kW, oC, iC]
        transposed = new Replacements.Call(DynamicCustomOp.builder("deconv2d_tf")
                .addIntegerArguments(kh, kw, 1, 1, kh - 1 - (int) a[4], kw - 1 - (int) a[5], 1, 1, 0, 0, 0).build(), z);
        bias = withBias ? new Replacements.Call(DynamicCustomOp.builder("biasadd").addBooleanArguments(true).build(), z)
                : null;
    }

    /** Sets whether plans compiled from now on use this kernel; returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * The kernel for a {@code conv2d} with inputs {@code (x, W[, b])} and output z, or null where it does not apply:
     * other strides, dilations, padding modes, layouts or types, fewer than {@link #MIN_CHANNELS} input channels, a
     * padding the transposed convolution cannot take ({@code p > k - 1}), sizes that do not match, a bias of another
     * rank than 1 ({@code biasadd} takes rank 1 only), kernels or paddings that differ between height and width, or
     * inputs that are not square (M2.1's {@code deconv2d_tf} reads the width of its gradient input from its height:
     * NaNs for a 10x9 input).
     */
    static FlippedConv of(DynamicCustomOp c, INDArray[] in, INDArray[] out, Consumer<INDArray> own) {
        long[] a = c.iArgs();
        if (!enabled || a == null || a.length < 10 || (in.length != 2 && in.length != 3) || out.length != 1) {
            return null;
        }
        INDArray x = in[0];
        INDArray w = in[1];
        INDArray z = out[0];
        boolean nchw = a[9] == 0;
        boolean wFormat0 = a.length < 11 || a[10] == 0;
        if (!nchw || !wFormat0 || a[8] != 0 || a[2] != 1 || a[3] != 1 || a[6] != 1 || a[7] != 1
                || x.rank() != 4 || w.rank() != 4 || z.rank() != 4 || x.dataType() != DataType.FLOAT
                || w.dataType() != DataType.FLOAT || z.dataType() != DataType.FLOAT
                || in.length == 3 && (in[2].dataType() != DataType.FLOAT || in[2].rank() != 1
                        || in[2].length() != w.size(3))) {
            return null;
        }
        long kh = w.size(0);
        long kw = w.size(1);
        if ((a[0] > 0 && a[0] != kh) || (a[1] > 0 && a[1] != kw) || kh != kw || a[4] != a[5] || a[4] < 0
                || a[4] > kh - 1
                || w.size(2) != x.size(1) || w.size(3) != z.size(1) || x.size(1) < MIN_CHANNELS
                || z.size(0) != x.size(0) || z.size(2) != x.size(2) + 2 * a[4] - kh + 1
                || z.size(3) != x.size(3) + 2 * a[5] - kw + 1 || x.size(2) != x.size(3)) {
            return null;
        }
        return new FlippedConv(a, x, w, z, in.length == 3, own);
    }

    @Override
    public void run(INDArray[] in) {
        flip(in[1]);
        transposed.run(shape, flipped, in[0]);
        if (bias != null) {
            bias.run(z, in[2]);
        }
    }

    /** {@code flipped[a, b, o, i] = W[kH - 1 - a, kW - 1 - b, i, o]}. */
    private void flip(INDArray w) {
        INDArray r = PatchConv.readable(w);
        FloatBuffer wb = r.data().asNioFloat();
        wb.get(wb.position(), from, 0, from.length);
        Reference.reachabilityFence(r);
        int plane = ci * co;
        for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
                int src = ((kh - 1 - a) * kw + (kw - 1 - b)) * plane;
                int dst = (a * kw + b) * plane;
                for (int i = 0; i < ci; i++) {
                    for (int o = 0; o < co; o++) {
                        to[dst + o * ci + i] = from[src + i * co + o];
                    }
                }
            }
        }
        FloatBuffer fb = flipped.data().asNioFloat();
        fb.put(fb.position(), to, 0, to.length);
    }

    @Override
    public void close() {
        transposed.close();
        if (bias != null) {
            bias.close();
        }
    }
}
