package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A stride-1 2-d convolution to at most {@link #MAX_CHANNELS} output channels (a generator's output layer on 1- or
 * 3-channel images), {@code conv2d}: inputs {@code (x, W[, b])}, output z, for
 * {@code z[i, o, y, x] = b[o] + sum_{ky, kx, c} W[ky, kx, c, o] x[i, c, y - pH + ky dH, x - pW + kx dW]}. With each
 * sample's product {@code T_i = W' x_i}, {@code W'[(ky, kx, o), c] = W[ky, kx, c, o]} ({@code kH kW oC} rows of the
 * input's {@code H W} positions), the convolution is a sum of shifted rows of T:
 * <pre>
 *   z[i, o, y, x] = b[o] + sum_{ky, kx} T_i[(ky, kx, o), (y - pH + ky dH, x - pW + kx dW)]
 * </pre>
 * (terms whose position lies outside the input are 0: the zero padding). Each product is a 2-d {@code matmul} per
 * sample on contiguous slices (libnd4j hands rank 2 to oneDNN, which runs it on both cores); the shifted sums run in
 * Java, the taps in order from the bias, over rows that C2 vectorizes. This is {@link FewChannelConvBp}'s input
 * gradient turned around: there the shift comes before the product, here after it.
 *
 * <p>Why: oneDNN's forward and backward-data primitives, as libnd4j 1.0.0-M2.1 calls them, have no vector lanes over
 * a single output channel, and {@link FlippedConv} (the backward-data primitive) runs such a layer at about 16
 * GFLOP/s: BigGAN's, SAGAN's and the other 32x32 generators' output layer ({@code [32, 32, 32, 32]} to one channel,
 * 3x3) took 1.2 ms a call alone and 2.2 in BigGAN's iteration, three calls an iteration (see docs/architectures.md for
 * the figures against this kernel). The sums run in another order than oneDNN's, so plans use this kernel only with
 * {@link GraphPlan#ownArithmetic(boolean)}. NCHW, weights {@code [kH, kW, iC, oC]}, explicit padding, stride 1, a
 * kernel of more than one tap; anything else stays with libnd4j or {@link FlippedConv}.
 */
final class FewChannelConv extends FewChannelKernel {

    /** {@code -Djgan.graph.fewChannelForward=false}: {@link FlippedConv} or libnd4j's {@code conv2d} (comparisons). */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.fewChannelForward"));

    private final boolean withBias;
    /** W' {@code [rows, iC]} (rows {@code kH kW oC}). */
    private final INDArray weightsByTap;
    /** T, {@code [n, rows, positions]} (positions {@code H W}), written by the products. */
    private final INDArray products;
    private final Gemm[] calls;
    private final INDArray z;
    private final float[] wf;
    private final float[] wt;
    private final float[] tf;
    private final float[] zf;
    private final float[] bias;

    private FewChannelConv(long[] a, INDArray x, INDArray w, INDArray z, boolean withBias, Consumer<INDArray> own) {
        super(a, x, w);
        this.withBias = withBias;
        this.z = z;
        wf = new float[kh * kw * ci * co];
        wt = new float[wf.length];
        tf = new float[n * rows * positions];
        zf = new float[n * co * oh * ow];
        bias = new float[co];
        weightsByTap = Nd4j.createUninitializedDetached(DataType.FLOAT, rows, ci);
        own.accept(weightsByTap);
        products = Nd4j.createUninitializedDetached(DataType.FLOAT, n, rows, positions);
        own.accept(products);
        calls = BatchedMatmul.products(false, false, products, n);
    }

    /** Sets whether plans compiled from now on use this kernel; returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * The kernel for a {@code conv2d} with inputs {@code (x, W[, b])} and output z, or null where it does not apply:
     * other types, layouts ({@code iArgs[9]} 1: NHWC) or weight formats, SAME mode, a stride other than 1, a 1x1
     * kernel, more than {@link #MAX_CHANNELS} output channels, sizes that do not match the arguments, a bias of
     * another length than the output channels, an output that is not dense, arrays of 2^29 floats or more.
     */
    static FewChannelConv of(DynamicCustomOp op, INDArray[] in, INDArray[] out, Consumer<INDArray> own) {
        long[] a = op.iArgs();
        if (!enabled || (in.length != 2 && in.length != 3) || out.length != 1) {
            return null;
        }
        INDArray x = in[0];
        INDArray w = in[1];
        INDArray z = out[0];
        for (INDArray t : in) {
            if (t.dataType() != DataType.FLOAT) {
                return null;
            }
        }
        long[] shape = outputShape(a, x, w);
        // z is read and written as one float[], through a FloatBuffer an int indexes (T, x and W checked there)
        if (shape == null || z.dataType() != DataType.FLOAT || !Arrays.equals(z.shape(), shape)
                || (in.length == 3 && in[2].length() != shape[1]) || !PatchConv.dense(z)
                || z.length() >= Integer.MAX_VALUE / 4) {
            return null;
        }
        return new FewChannelConv(a, x, w, z, in.length == 3, own);
    }

    @Override
    public void run(INDArray[] in) {
        byTap(in[1]);
        INDArray x = PatchConv.readable(in[0]);
        INDArray[] xSlices = samples(x);
        for (int s = 0; s < n; s++) {
            calls[s].run(weightsByTap, xSlices[s]);
        }
        Reference.reachabilityFence(x);
        if (withBias) {
            INDArray b = PatchConv.readable(in[2]);
            FloatBuffer bb = b.data().asNioFloat();
            bb.get(bb.position(), bias, 0, co);
            Reference.reachabilityFence(b);
        }
        FloatBuffer tb = products.data().asNioFloat();
        tb.get(tb.position(), tf, 0, tf.length);
        shiftedSums();
        FloatBuffer zb = z.data().asNioFloat();
        zb.put(zb.position(), zf, 0, zf.length);
    }

    /** W'[(ky, kx, o), c] = W[ky, kx, c, o]. */
    private void byTap(INDArray weights) {
        readWeights(weights, wf);
        for (int k = 0; k < kh * kw; k++) {
            for (int c = 0; c < ci; c++) {
                for (int o = 0; o < co; o++) {
                    wt[(k * co + o) * ci + c] = wf[(k * ci + c) * co + o];
                }
            }
        }
        FloatBuffer tb = weightsByTap.data().asNioFloat();
        tb.put(tb.position(), wt, 0, wt.length);
    }

    /** z from T: the bias, then each tap's shifted row added, taps in order. */
    private void shiftedSums() {
        int plane = oh * ow;
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < co; o++) {
                int out = (s * co + o) * plane;
                Arrays.fill(zf, out, out + plane, withBias ? bias[o] : 0f);
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        // output column x reads the input's column x + offset: inside the input for x in [lo, hi)
                        int offset = kx * dw - pw;
                        int lo = Math.max(0, -offset);
                        int hi = Math.min(ow, iw - offset);
                        if (hi <= lo) {
                            continue;
                        }
                        int row = (s * rows + (ky * kw + kx) * co + o) * positions;
                        for (int y = 0; y < oh; y++) {
                            int iy = y - ph + ky * dh;
                            if (iy < 0 || iy >= ih) {
                                continue;
                            }
                            add(zf, out + y * ow + lo, tf, row + iy * iw + lo + offset, hi - lo);
                        }
                    }
                }
            }
        }
    }

    /** {@code to[at + q] += from[src + q]} for q below len. */
    private static void add(float[] to, int at, float[] from, int src, int len) {
        for (int q = 0; q < len; q++) {
            to[at + q] += from[src + q];
        }
    }

    @Override
    public void close() {
        close(calls);
    }
}
