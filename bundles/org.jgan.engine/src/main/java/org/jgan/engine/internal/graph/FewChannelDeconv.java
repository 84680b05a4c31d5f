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
 * {@code z[i, o, y s_H - p_H + k_y d_H, x s_W - p_W + k_x d_W] += C[(k_y, k_x, o), (i, y, x)]}, after the bias (the
 * definition of the transposed convolution: the adjoint of the convolution with the same geometry). oneDNN runs this
 * case at 2-3 GFLOP/s: {@code [32, 16, 14, 14]} to one channel (4x4, stride 2) took 1.37 ms a call, a fifth of the
 * small conv GAN's op time on a 2-core AMD EPYC with AVX-512. Only {@link GraphPlan#ownArithmetic(boolean)}: the sums
 * run in another order than libnd4j's col2im. NCHW, weights {@code [kH, kW, oC, iC]}, explicit padding; anything
 * else stays with libnd4j.
 */
final class FewChannelDeconv implements Replacements.Kernel {

    /** The most output channels taken here. */
    static final int MAX_CHANNELS = 4;

    /** The input's, output's and window's sizes, strides, padding and dilation. */
    private record Geometry(int n, int ci, int ih, int iw, int co, int oh, int ow, int kh, int kw, int sh, int sw,
            int ph, int pw, int dh, int dw) {
    }

    private final Geometry g;
    private final boolean bias;
    private final INDArray grouped;
    private final INDArray columns;
    private final FloatBuffer zb;
    private final float[] cols;
    private final float[] image;
    private final float[] biasValues;
    private final Replacements.Call matmul;
    /** The weights' array bound last and its {@code [kH kW oC, iC]} view (a new view when the array changes). */
    private INDArray weights;
    private INDArray weightRows;

    private FewChannelDeconv(long[] a, INDArray x, INDArray w, boolean bias, INDArray z, Consumer<INDArray> own) {
        g = new Geometry((int) x.size(0), (int) x.size(1), (int) x.size(2), (int) x.size(3), (int) w.size(2),
                (int) z.size(2), (int) z.size(3), (int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4],
                (int) a[5], (int) a[6], (int) a[7]);
        this.bias = bias;
        int total = g.n() * g.ih() * g.iw();
        // each array owned as soon as it exists: the plan releases those made before a failed allocation
        grouped = Nd4j.createUninitializedDetached(DataType.FLOAT, g.ci(), total);
        own.accept(grouped);
        columns = Nd4j.createUninitializedDetached(DataType.FLOAT, g.kh() * g.kw() * g.co(), total);
        own.accept(columns);
        zb = z.data().asNioFloat();
        cols = new float[g.kh() * g.kw() * g.co() * total];
        image = new float[g.n() * g.co() * g.oh() * g.ow()];
        biasValues = new float[g.co()];
        matmul = new Replacements.Call(DynamicCustomOp.builder("matmul").addIntegerArguments(0, 0, 0).build(),
                columns);
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
        return new FewChannelDeconv(a, x, w, in.length == 3, z, own);
    }

    @Override
    public void run(INDArray[] in) {
        int n = g.n();
        int ci = g.ci();
        int ih = g.ih();
        int iw = g.iw();
        int co = g.co();
        int oh = g.oh();
        int ow = g.ow();
        int kh = g.kh();
        int kw = g.kw();
        INDArray x = PatchConv.readable(in[0]);
        FloatBuffer xb = x.data().asNioFloat();
        int p = ih * iw;
        int total = n * p;
        PatchConv.byChannel(xb, xb.position(), grouped.data().asNioFloat(), n, ci, p);
        if (in[1] != weights || weightRows.data().address() != weights.data().address()) {
            // a view of the weights' buffer where they are dense (the parameters: updated in place, the view sees
            // it), else a copy made each call
            weights = in[1];
            weightRows = PatchConv.readable(in[1]).reshape(kh * kw * co, ci);
        }
        matmul.run(weightRows, grouped);
        FloatBuffer cb = columns.data().asNioFloat();
        cb.get(cb.position(), cols, 0, cols.length);
        if (bias) {
            INDArray b = PatchConv.readable(in[2]);
            FloatBuffer bb = b.data().asNioFloat();
            bb.get(bb.position(), biasValues, 0, co);
            Reference.reachabilityFence(b);
        }
        int plane = oh * ow;
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < co; o++) {
                Arrays.fill(image, (i * co + o) * plane, (i * co + o + 1) * plane, bias ? biasValues[o] : 0f);
            }
        }
        for (int ky = 0; ky < kh; ky++) {
            int yShift = ky * g.dh() - g.ph();
            for (int kx = 0; kx < kw; kx++) {
                int xShift = kx * g.dw() - g.pw();
                // the input columns whose output column lies in [0, ow)
                int sw = g.sw();
                int xLo = Math.max(0, ceilDiv(-xShift, sw));
                int xHi = Math.min(iw - 1, Math.floorDiv(ow - 1 - xShift, sw));
                for (int o = 0; o < co; o++) {
                    int row = ((ky * kw + kx) * co + o) * total;
                    for (int i = 0; i < n; i++) {
                        int target = (i * co + o) * plane;
                        int source = row + i * p;
                        for (int yi = 0; yi < ih; yi++) {
                            int y = yi * g.sh() + yShift;
                            if (y < 0 || y >= oh) {
                                continue;
                            }
                            int t = target + y * ow + xShift;
                            int s = source + yi * iw;
                            for (int xi = xLo; xi <= xHi; xi++) {
                                image[t + xi * sw] += cols[s + xi];
                            }
                        }
                    }
                }
            }
        }
        zb.put(zb.position(), image, 0, image.length);
        Reference.reachabilityFence(x);
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    @Override
    public void close() {
        matmul.close();
    }
}
