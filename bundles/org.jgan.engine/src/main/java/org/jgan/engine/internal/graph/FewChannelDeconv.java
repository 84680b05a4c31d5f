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
 * A transposed convolution ({@code deconv2d}) to at most {@link #MAX_CHANNELS} output channels, a generator's output
 * layer on 1- or 3-channel images, as one matrix product and a scatter: the columns
 * {@code C = W X} ({@code W} as {@code [kH kW oC, iC]}, {@code X} the input regrouped by channel,
 * {@code [iC, n iH iW]}) by libnd4j's {@code matmul}, then each column entry added to the output pixel it lands on,
 * {@code z[i, o, y s_H - p_H + k_y d_H, x s_W - p_W + k_x d_W] += C[(k_y, k_x, o), (i, y, x)]} (the definition of the
 * transposed convolution: the adjoint of the convolution with the same geometry), by libnd4j's {@code col2im} reading
 * {@code C} through a permuted view, then the bias. oneDNN runs this case at 2-3 GFLOP/s: {@code [32, 16, 14, 14]} to
 * one channel (4x4, stride 2) took 1.37 ms a call, a fifth of the small conv GAN's op time on a 2-core AMD EPYC with
 * AVX-512. The same kernel computes a convolution's input gradient to at most 4 channels ({@link #inputGradient}).
 * Only {@link GraphPlan#ownArithmetic(boolean)}: the sums run in another order than oneDNN's. NCHW, weights
 * {@code [kH, kW, oC, iC]}, explicit padding; anything else stays with libnd4j.
 * <p>
 * The scatter was a loop in Java until the second change of 2026-12-04: its stores at the stride's step do not
 * vectorize, and with the regrouping, the product and the copies in and out a call took about 245 us in the conv
 * GAN's iteration. {@code col2im} (multithreaded, each image written by one thread, so deterministic) took 65 us alone
 * on those columns, the same on the permuted view as on a contiguous copy, with the same bits.
 */
final class FewChannelDeconv implements Replacements.Kernel {

    /** The most output channels taken here. */
    static final int MAX_CHANNELS = 4;

    /** The input's, output's and window's sizes, strides, padding and dilation. */
    private record Geometry(int n, int ci, int ih, int iw, int co, int oh, int ow, int kh, int kw, int sh, int sw,
            int ph, int pw, int dh, int dw) {
    }

    private final Geometry g;
    private final INDArray grouped;
    private final INDArray columns;
    private final Gemm matmul;
    /**
     * The columns as libnd4j's {@code col2im} reads them, {@code [n, oC, kH, kW, iH, iW]}: a permuted view of the
     * product's {@code [kH, kW, oC, n, iH, iW]}, which it reads through its strides.
     */
    private final INDArray columnView;
    private final Replacements.Call col2im;
    /**
     * The output, and the bias added to it in place, per channel ({@code [n, oC, oH oW] + [1, oC, 1]}); null without
     * a bias.
     */
    private final INDArray zChannels;
    private final Replacements.Call addBias;
    /** The weights' array bound last and its {@code [kH kW oC, iC]} view (a new view when the array changes). */
    private INDArray weights;
    private INDArray weightRows;
    /** The bias bound last and its view as {@code [1, co, 1]} (a new view at each call made native shape information). */
    private INDArray bias;
    private INDArray biasChannels;

    private FewChannelDeconv(long[] a, INDArray x, INDArray w, INDArray zChannels, INDArray z,
            Consumer<INDArray> own) {
        g = new Geometry((int) x.size(0), (int) x.size(1), (int) x.size(2), (int) x.size(3), (int) w.size(2),
                (int) z.size(2), (int) z.size(3), (int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4],
                (int) a[5], (int) a[6], (int) a[7]);
        this.zChannels = zChannels;
        int total = g.n() * g.ih() * g.iw();
        // each array owned as soon as it exists: the plan releases those made before a failed allocation
        grouped = Nd4j.createUninitializedDetached(DataType.FLOAT, g.ci(), total);
        own.accept(grouped);
        columns = Nd4j.createUninitializedDetached(DataType.FLOAT, g.kh() * g.kw() * g.co(), total);
        own.accept(columns);
        matmul = Gemm.of(false, false, columns);
        columnView = columns.reshape('c', g.kh(), g.kw(), g.co(), g.n(), g.ih(), g.iw()).permute(3, 2, 0, 1, 4, 5);
        // col2im's arguments: strides, padding, the image's size, dilation, no SAME mode
        col2im = new Replacements.Call(DynamicCustomOp.builder("col2im").addIntegerArguments(g.sh(), g.sw(), g.ph(),
                g.pw(), g.oh(), g.ow(), g.dh(), g.dw(), 0).build(), z);
        addBias = zChannels != null ? new Replacements.Call(DynamicCustomOp.builder("add").build(), zChannels) : null;
    }

    /**
     * The kernel for a {@code deconv2d} with inputs {@code (x, W[, b])} and output {@code z}, or null where it does
     * not apply: float arrays, NCHW ({@code iArgs[9]} 0), weights {@code [kH, kW, oC, iC]} ({@code iArgs[10]} 0),
     * no SAME mode, at most {@link #MAX_CHANNELS} output channels, the output of the size the arguments give, arrays
     * an int indexes.
     */
    static FewChannelDeconv of(DynamicCustomOp op, INDArray[] in, INDArray[] out, Consumer<INDArray> own) {
        long[] a = op.iArgs();
        if (in.length < 2 || in.length > 3 || out.length != 1 || a.length < 9 || a[8] != 0
                || (a.length > 9 && a[9] != 0) || (a.length > 10 && a[10] != 0)) {
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
        if (x.rank() != 4 || w.rank() != 4 || z.rank() != 4 || !PatchConv.dense(z)) {
            return null;
        }
        long co = w.size(2);
        if (a[0] <= 0 || a[1] <= 0 || a[2] <= 0 || a[3] <= 0 || a[6] <= 0 || a[7] <= 0
                || w.size(0) != a[0] || w.size(1) != a[1] || w.size(3) != x.size(1) || co > MAX_CHANNELS
                || (in.length == 3 && in[2].length() != co)) {
            return null;
        }
        long oh = a[2] * (x.size(2) - 1) + (a[0] - 1) * a[6] + 1 - 2 * a[4];
        long ow = a[3] * (x.size(3) - 1) + (a[1] - 1) * a[7] + 1 - 2 * a[5];
        if (!Arrays.equals(z.shape(), new long[] {x.size(0), co, oh, ow})) {
            return null;
        }
        long total = x.size(0) * x.size(2) * x.size(3);
        if (a[0] * a[1] * co * total >= Integer.MAX_VALUE || x.length() >= Integer.MAX_VALUE
                || z.length() >= Integer.MAX_VALUE) {
            return null;
        }
        // the bias is added in place on z seen as [n, oC, oH oW]: a view of its memory, or not this kernel
        INDArray zChannels = in.length == 3 ? Broadcasts.outputView(z, new long[] {x.size(0), co, oh * ow}) : null;
        if (in.length == 3 && zChannels == null) {
            return null;
        }
        return new FewChannelDeconv(a, x, w, zChannels, z, own);
    }

    /**
     * The input gradient of a 2-d convolution to at most {@link #MAX_CHANNELS} input channels (a discriminator's first
     * layer on 1- or 3-channel images), for a {@code conv2d_bp} whose weight and bias gradients nothing reads: inputs
     * {@code (x, W[, b], dz)}, outputs {@code (dx, dW[, db])}. That gradient is the transposed convolution of
     * {@code dz} with the same weights and geometry, {@code dx[i, c, y s_H - p_H + k_y d_H, x s_W - p_W + k_x d_W]
     * += W[k_y, k_x, c, o] dz[i, o, y, x]}: the convolution's weights {@code [kH, kW, iC, oC]} are this kernel's
     * {@code [kH, kW, oC, iC]} with the roles of the channels swapped, and its integer arguments are read alike.
     * oneDNN's backward-data kernel runs it at a few GFLOP/s where the convolution is strided: alone, 0.32 against
     * 0.12-0.14 ms for the small conv GAN's {@code [32, 16, 14, 14]} to one channel (4x4, stride 2; a generator step
     * and each penalty's gradient at X take one), 2.0-2.4 against 1.0 for DCGAN's {@code [64, 64, 14, 14]}. At stride
     * 1 it is not slower than this kernel, whose regrouping of {@code dz} by channel copies the whole of it (on 32x32
     * maps, from 32 to 128 channels: 3x3 1.2-1.7 against 1.5-1.6 ms at 32, 1x1 0.8 against 1.7-2.1 at 64), so strided
     * convolutions only. Null where it does not apply ({@link #of}'s conditions, read for {@code dz} and {@code dx}).
     */
    static Replacements.Kernel inputGradient(DynamicCustomOp conv, INDArray[] in, INDArray[] out, boolean[] unread,
            Consumer<INDArray> own) {
        boolean paramsUnread = out.length >= 2 && unread[1] && (out.length < 3 || unread[2]);
        long[] a = conv.iArgs();
        boolean strided = a.length > 3 && (a[2] > 1 || a[3] > 1);
        if (!paramsUnread || unread[0] || !strided || (in.length != 3 && in.length != 4)
                || out.length != in.length - 1) {
            return null;
        }
        FewChannelDeconv k = of(conv, new INDArray[] {in[in.length - 1], in[1]}, new INDArray[] {out[0]}, own);
        if (k == null) {
            return null;
        }
        return new Replacements.Kernel() {
            @Override
            public void run(INDArray[] args) {
                k.run(new INDArray[] {args[args.length - 1], args[1]});
            }

            @Override
            public void close() {
                k.close();
            }
        };
    }

    @Override
    public void run(INDArray[] in) {
        int kh = g.kh();
        int kw = g.kw();
        int co = g.co();
        int ci = g.ci();
        INDArray x = PatchConv.readable(in[0]);
        FloatBuffer xb = x.data().asNioFloat();
        PatchConv.byChannel(xb, xb.position(), grouped.data().asNioFloat(), g.n(), ci, g.ih() * g.iw());
        Reference.reachabilityFence(x);
        if (in[1] != weights || weightRows.data().address() != weights.data().address()) {
            // a view of the weights' buffer where they are dense (the parameters: updated in place, the view sees
            // it), else a copy made each call
            weights = in[1];
            weightRows = PatchConv.readable(in[1]).reshape(kh * kw * co, ci);
        }
        matmul.run(weightRows, grouped);
        // each column entry added to the output pixel it lands on (the image zeroed first), then the bias
        col2im.run(columnView);
        if (addBias != null) {
            if (in[2] != bias || biasChannels.data().address() != bias.data().address()) {
                bias = in[2];
                biasChannels = PatchConv.readable(in[2]).reshape('c', 1, co, 1);
            }
            addBias.run(zChannels, biasChannels);
        }
    }

    @Override
    public void close() {
        matmul.close();
        col2im.close();
        if (addBias != null) {
            addBias.close();
        }
    }
}
