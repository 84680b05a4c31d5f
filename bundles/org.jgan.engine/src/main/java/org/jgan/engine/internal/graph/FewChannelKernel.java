package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link FewChannelConv} and {@link FewChannelConvBp} share: a stride-1 2-d convolution to at most
 * {@link #MAX_CHANNELS} output channels, {@code z[i, o, y, x] = b[o] + sum_{ky, kx, c} W[ky, kx, c, o]
 * x[i, c, y - pH + ky dH, x - pW + kx dW]} (NCHW, weights {@code [kH, kW, iC, oC]}, explicit padding, a kernel of more
 * than one tap), its sizes, the check of libnd4j's integer arguments, and the input's samples as {@code [iC, H W]}
 * views for the products per sample ({@link BatchedMatmul#slice}), made again only when the plan binds another array.
 */
abstract class FewChannelKernel implements Replacements.Kernel {

    /** The most output channels taken. */
    static final int MAX_CHANNELS = 4;

    final int n;
    final int ci;
    final int ih;
    final int iw;
    final int co;
    final int oh;
    final int ow;
    final int kh;
    final int kw;
    final int ph;
    final int pw;
    final int dh;
    final int dw;
    /** Rows per sample of the products' operand or result, {@code kH kW oC}, and the input's positions {@code H W}. */
    final int rows;
    final int positions;
    /** The input's array bound last and its samples (made again when the array changes). */
    private INDArray lastX;
    private INDArray[] xSlices;

    /** The sizes of a convolution of x by w with integer arguments {@code a} ({@link #outputShape} not null). */
    FewChannelKernel(long[] a, INDArray x, INDArray w) {
        n = (int) x.size(0);
        ci = (int) x.size(1);
        ih = (int) x.size(2);
        iw = (int) x.size(3);
        kh = (int) w.size(0);
        kw = (int) w.size(1);
        co = (int) w.size(3);
        ph = (int) a[4];
        pw = (int) a[5];
        dh = (int) a[6];
        dw = (int) a[7];
        oh = ih + 2 * ph - dh * (kh - 1);
        ow = iw + 2 * pw - dw * (kw - 1);
        rows = kh * kw * co;
        positions = ih * iw;
    }

    /**
     * The output's shape {@code [n, oC, oH, oW]} of a convolution of x by w with libnd4j's integer arguments
     * {@code a}, or null where these kernels do not take it: SAME mode, NHWC ({@code a[9]} 1), another weight format,
     * a stride other than 1, negative padding, a kernel size in the arguments other than the weights', a 1x1 kernel,
     * more than {@link #MAX_CHANNELS} output channels, input channels that do not match, no output, x or W not 4-d
     * floats, or a product array ({@code [n, kH kW oC, H W]}), x or W of 2^29 floats or more (each is read through an
     * int-indexed buffer).
     */
    static long[] outputShape(long[] a, INDArray x, INDArray w) {
        if (a == null || a.length < 10 || a[8] != 0 || a[9] != 0 || (a.length > 10 && a[10] != 0) || a[2] != 1
                || a[3] != 1 || a[4] < 0 || a[5] < 0 || a[6] < 1 || a[7] < 1 || x.dataType() != DataType.FLOAT
                || w.dataType() != DataType.FLOAT || x.rank() != 4 || w.rank() != 4) {
            return null;
        }
        long kh = w.size(0);
        long kw = w.size(1);
        long co = w.size(3);
        long oh = x.size(2) + 2 * a[4] - a[6] * (kh - 1);
        long ow = x.size(3) + 2 * a[5] - a[7] * (kw - 1);
        long limit = Integer.MAX_VALUE / 4;
        long products = x.size(0) * kh * kw * co * x.size(2) * x.size(3);
        if ((a[0] > 0 && a[0] != kh) || (a[1] > 0 && a[1] != kw) || kh * kw == 1 || w.size(2) != x.size(1)
                || co > MAX_CHANNELS || oh < 1 || ow < 1 || products >= limit || x.length() >= limit
                || w.length() >= limit) {
            return null;
        }
        return new long[] {x.size(0), co, oh, ow};
    }

    /** W {@code [kH, kW, iC, oC]} in C order into {@code to} (each kernel then regroups it for its products). */
    static void readWeights(INDArray weights, float[] to) {
        INDArray r = PatchConv.readable(weights);
        FloatBuffer wb = r.data().asNioFloat();
        wb.get(wb.position(), to, 0, to.length);
        Reference.reachabilityFence(r);
    }

    /** The samples of x (as the kernel reads it: {@link PatchConv#readable}) as {@code [iC, H W]} views. */
    final INDArray[] samples(INDArray x) {
        if (x != lastX || xSlices == null) {
            INDArray all = x.reshape('c', n, ci, positions);
            xSlices = new INDArray[n];
            for (int s = 0; s < n; s++) {
                xSlices[s] = BatchedMatmul.slice(all, s);
            }
            lastX = x;
        }
        return xSlices;
    }

    /** Drops the samples' views and closes the calls (null entries skipped). */
    final void close(Gemm[]... calls) {
        lastX = null;
        xSlices = null;
        for (Gemm[] group : calls) {
            if (group == null) {
                continue;
            }
            for (Gemm c : group) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }
}
