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
 * The gradients of a stride-1 2-d convolution to at most {@link #MAX_CHANNELS} output channels (a generator's output
 * layer on 1- or 3-channel images), {@code conv2d_bp}: inputs {@code (x, W[, b], dz)}, outputs {@code (dx, dW[, db])},
 * for {@code z[i, o, y, x] = b[o] + sum_{ky, kx, c} W[ky, kx, c, o] x[i, c, y - pH + ky dH, x - pW + kx dW]}. With each
 * sample's shifted output gradient {@code S_i[(ky, kx, o), (y', x')] = dz[i, o, y' + pH - ky dH, x' + pW - kx dW]}
 * (0 where that is outside dz; built in Java, {@code kH kW oC} rows of the input's {@code H W} positions), both
 * gradients are products per sample:
 * <pre>
 *   dx_i[c, (y', x')]        = sum_r W'[c, r] S_i[r, (y', x')]          W'[c, (ky, kx, o)] = W[ky, kx, c, o]
 *   dW[ky, kx, c, o]         = sum_i sum_p S_i[(ky, kx, o), p] x_i[c, p]
 *   db[o]                    = sum_{i, y, x} dz[i, o, y, x]
 * </pre>
 * (the definition's sums, regrouped: {@code x}'s position {@code y'} meets {@code dz}'s {@code y = y' + pH - ky dH}).
 * Each product is a 2-d {@code matmul} per sample on contiguous slices (libnd4j hands rank 2 to oneDNN), the weight
 * gradient's partial products summed over the samples in double. oneDNN's {@code conv2d_bp} has no vector lanes over
 * one output channel: alone, on SAGAN's and BigGAN's output layer ({@code [32, 32, 32, 32]} to one channel, 3x3) it
 * took 4.3-5.6 ms a call on a 2-core AMD EPYC with AVX-512, this kernel 1.7-2.6 ms (the weight gradient alone 0.7 ms,
 * the input gradient alone 0.6, S and the bias gradient 0.14). A 1x1 kernel (SAGAN's attention projections to 4
 * channels, where S is dz itself and each product has {@code oC} terms) ran in 0.8 ms a call against oneDNN's 0.4 in
 * SAGAN's iteration and stays with libnd4j. The sums run in another order than oneDNN's, so plans use this kernel
 * only with {@link GraphPlan#ownArithmetic(boolean)}. NCHW, weights {@code [kH, kW, iC, oC]}, explicit padding,
 * stride 1, a kernel of more than one tap; anything else stays with libnd4j.
 */
final class FewChannelConvBp extends FewChannelKernel {

    /** {@code -Djgan.graph.fewChannelConv=false}: libnd4j's {@code conv2d_bp} (for comparisons). */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.fewChannelConv"));

    /** S, {@code [n, rows, positions]} (rows {@code kH kW oC}, positions {@code H W}), and its slices per sample. */
    private final INDArray shifted;
    private final INDArray[] shiftedSlices;
    /** W' {@code [iC, rows]} (null where dx is unread). */
    private final INDArray weightsByChannel;
    /** The weight gradient's products per sample, {@code [n, rows, iC]} (null where dW is unread). */
    private final INDArray partial;
    private final Gemm[] inputCalls;
    private final Gemm[] weightCalls;
    private final INDArray dw0;
    private final INDArray db;
    private final float[] dzf;
    private final float[] sf;
    private final float[] wf;
    private final float[] wt;
    private final float[] pf;
    /** The weight gradient and the bias gradient as written, {@code [kH kW iC oC]} and {@code [oC]}. */
    private final float[] gf;
    private final float[] bf;

    private FewChannelConvBp(long[] a, INDArray x, INDArray w, INDArray dz, INDArray[] out, boolean[] unread,
            Consumer<INDArray> own) {
        super(a, x, w);
        boolean dxRead = !unread[0];
        boolean dwRead = !unread[1];
        dw0 = dwRead ? out[1] : null;
        db = out.length == 3 && !unread[2] ? out[2] : null;
        dzf = new float[n * co * oh * ow];
        sf = new float[n * rows * positions];
        wf = dxRead ? new float[kh * kw * ci * co] : null;
        wt = dxRead ? new float[wf.length] : null;
        pf = dwRead ? new float[n * rows * ci] : null;
        gf = dwRead ? new float[rows * ci] : null;
        bf = new float[co];
        shifted = Nd4j.createUninitializedDetached(DataType.FLOAT, n, rows, positions);
        own.accept(shifted);
        weightsByChannel = dxRead ? Nd4j.createUninitializedDetached(DataType.FLOAT, ci, rows) : null;
        if (weightsByChannel != null) {
            own.accept(weightsByChannel);
        }
        partial = dwRead ? Nd4j.createUninitializedDetached(DataType.FLOAT, n, rows, ci) : null;
        if (partial != null) {
            own.accept(partial);
        }
        shiftedSlices = new INDArray[n];
        inputCalls = new Gemm[dxRead ? n : 0];
        weightCalls = new Gemm[dwRead ? n : 0];
        INDArray dx = dxRead ? out[0].reshape('c', n, ci, positions) : null;
        try {
            for (int s = 0; s < n; s++) {
                shiftedSlices[s] = BatchedMatmul.slice(shifted, s);
                if (dxRead) {
                    inputCalls[s] = BatchedMatmul.product(false, false, BatchedMatmul.slice(dx, s));
                }
                if (dwRead) {
                    // S_i x_i^T: x_i [iC, H W] transposed
                    weightCalls[s] = BatchedMatmul.product(false, true, BatchedMatmul.slice(partial, s));
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Sets whether plans compiled from now on use this kernel; returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * The kernel for a {@code conv2d_bp} with inputs {@code (x, W[, b], dz)} and outputs {@code (dx, dW[, db])}, or
     * null where it does not apply: other types, layouts ({@code iArgs[9]} 1: NHWC) or weight formats, SAME mode, a
     * stride other than 1, a 1x1 kernel, more than {@link #MAX_CHANNELS} output channels, sizes that do not match the
     * arguments, an input gradient whose {@code [n, iC, H W]} reshape is not a view of it,
     * outputs that are read and not dense, every gradient unread, arrays of 2^29 floats or more.
     */
    static FewChannelConvBp of(DynamicCustomOp op, INDArray[] in, INDArray[] out, boolean[] unread,
            Consumer<INDArray> own) {
        long[] a = op.iArgs();
        if (!enabled || (in.length != 3 && in.length != 4) || out.length != in.length - 1) {
            return null;
        }
        INDArray x = in[0];
        INDArray w = in[1];
        INDArray dz = in[in.length - 1];
        for (INDArray t : in) {
            if (t.dataType() != DataType.FLOAT) {
                return null;
            }
        }
        long[] shape = outputShape(a, x, w);
        if (shape == null || !Arrays.equals(dz.shape(), shape) || (in.length == 4 && in[2].length() != shape[1])) {
            return null;
        }
        boolean any = false;
        for (int i = 0; i < out.length; i++) {
            if (!unread[i]) {
                any = true;
                if (!PatchConv.dense(out[i]) || out[i].length() != in[i].length()) {
                    return null;
                }
            }
        }
        // each read and written as one float[] and through a FloatBuffer over its bytes, which an int indexes
        // (S, x and W checked by outputShape)
        long limit = Integer.MAX_VALUE / 4;
        long partial = x.size(0) * w.size(0) * w.size(1) * w.size(3) * x.size(1);
        if (!any || partial >= limit || dz.length() >= limit) {
            return null;
        }
        if (!unread[0]) {
            // dx is written through its [n, iC, H W] reshape, which must be a view of its memory
            INDArray dx = out[0].reshape('c', x.size(0), x.size(1), x.size(2) * x.size(3));
            if (dx.data().address() != out[0].data().address() || dx.offset() != out[0].offset()) {
                return null;
            }
        }
        return new FewChannelConvBp(a, x, w, dz, out, unread, own);
    }

    @Override
    public void run(INDArray[] in) {
        INDArray dz = PatchConv.readable(in[in.length - 1]);
        FloatBuffer dzb = dz.data().asNioFloat();
        dzb.get(dzb.position(), dzf, 0, dzf.length);
        Reference.reachabilityFence(dz);
        shift();
        FloatBuffer sb = shifted.data().asNioFloat();
        sb.put(sb.position(), sf, 0, sf.length);
        if (db != null) {
            biasGradient();
        }
        if (inputCalls.length > 0) {
            byChannel(in[1]);
            for (int s = 0; s < n; s++) {
                inputCalls[s].run(weightsByChannel, shiftedSlices[s]);
            }
        }
        if (weightCalls.length > 0) {
            INDArray x = PatchConv.readable(in[0]);
            INDArray[] xSlices = samples(x);
            for (int s = 0; s < n; s++) {
                weightCalls[s].run(shiftedSlices[s], xSlices[s]);
            }
            Reference.reachabilityFence(x);
            weightGradient();
        }
    }

    /** S from dz: each row a shifted copy of a row of dz, 0 where the shift leaves dz. */
    private void shift() {
        int plane = oh * ow;
        for (int s = 0; s < n; s++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    // x' from lo to hi - 1 reads dz's column x' + pW - kx dW
                    int offset = pw - kx * dw;
                    int lo = Math.max(0, -offset);
                    int hi = Math.min(iw, ow - offset);
                    for (int o = 0; o < co; o++) {
                        int r = (ky * kw + kx) * co + o;
                        int base = (s * rows + r) * positions;
                        int src = (s * co + o) * plane;
                        for (int yy = 0; yy < ih; yy++) {
                            int y = yy + ph - ky * dh;
                            int row = base + yy * iw;
                            if (y < 0 || y >= oh || hi <= lo) {
                                Arrays.fill(sf, row, row + iw, 0f);
                                continue;
                            }
                            Arrays.fill(sf, row, row + lo, 0f);
                            System.arraycopy(dzf, src + y * ow + lo + offset, sf, row + lo, hi - lo);
                            Arrays.fill(sf, row + hi, row + iw, 0f);
                        }
                    }
                }
            }
        }
    }

    /** db[o] = sum of dz over samples and positions, in double. */
    private void biasGradient() {
        int plane = oh * ow;
        for (int o = 0; o < co; o++) {
            double sum = 0;
            for (int s = 0; s < n; s++) {
                int from = (s * co + o) * plane;
                for (int p = 0; p < plane; p++) {
                    sum += dzf[from + p];
                }
            }
            bf[o] = (float) sum;
        }
        FloatBuffer b = db.data().asNioFloat();
        b.put(b.position(), bf, 0, co);
    }

    /** W'[c, (ky, kx, o)] = W[ky, kx, c, o]. */
    private void byChannel(INDArray weights) {
        readWeights(weights, wf);
        for (int k = 0; k < kh * kw; k++) {
            for (int c = 0; c < ci; c++) {
                for (int o = 0; o < co; o++) {
                    wt[c * rows + k * co + o] = wf[(k * ci + c) * co + o];
                }
            }
        }
        FloatBuffer tb = weightsByChannel.data().asNioFloat();
        tb.put(tb.position(), wt, 0, wt.length);
    }

    /** dW[ky, kx, c, o] = sum over samples of the products' [(ky, kx, o), c], in double. */
    private void weightGradient() {
        FloatBuffer p = partial.data().asNioFloat();
        p.get(p.position(), pf, 0, pf.length);
        int block = rows * ci;
        for (int r = 0; r < rows; r++) {
            int k = r / co;
            int o = r % co;
            for (int c = 0; c < ci; c++) {
                double sum = 0;
                for (int s = 0; s < n; s++) {
                    sum += pf[s * block + r * ci + c];
                }
                gf[(k * ci + c) * co + o] = (float) sum;
            }
        }
        FloatBuffer d = dw0.data().asNioFloat();
        d.put(d.position(), gf, 0, gf.length);
    }

    @Override
    public void close() {
        close(inputCalls, weightCalls);
    }
}
