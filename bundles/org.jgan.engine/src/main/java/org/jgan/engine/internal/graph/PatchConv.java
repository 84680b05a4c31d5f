package org.jgan.engine.internal.graph;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;

/**
 * A 2-d convolution whose patch is short ({@code iC kH kW} at most {@link #MAX_PATCH}: a discriminator's 3x3 first
 * layer on 1-channel images, 1x1 shortcuts from them), computed in Java: the weight and bias gradients
 * {@code dW[j, o] = sum_{n,p} dz[n, o, p] cols_n[j, p]}, {@code db[o] = sum_{n,p} dz[n, o, p]}, and the forward pass
 * {@code z[n, o, p] = b[o] + sum_j W[j, o] cols_n[j, p]}, where
 * {@code cols_n[(ky kW + kx) iC + ci, oy oW + ox] = x[n, ci, oy sH + ky - pH, ox sW + kx - pW]} (0 outside the
 * image) is sample n's patch matrix and {@code j} runs over the rows of {@code W} viewed as {@code [kH kW iC, oC]}
 * (libnd4j's weight format 0).
 *
 * <p>oneDNN, as libnd4j 1.0.0-M2.1 calls it, pads such an input to 8 or 16 channels and reorders it on every call,
 * and {@code conv2d_bp} runs its backward-data primitive even where nothing reads the input gradient (a
 * discriminator's first layer in its own step): on a 2-core AMD EPYC with AVX2, BigGAN's {@code [32, 1, 32, 32]}
 * 3x3 convolution to 32 channels took 7.1 ms a {@code conv2d_bp} call inside the training graph for 9.4 million
 * multiply-adds of weight gradient (PyTorch's oneDNN 2.8 ms a call in its graph, 2.2 ms alone for the weights'
 * gradient); 3-4 ms here. Each sample's patch matrix is built once and the products run as loops over rows of the same
 * index, which HotSpot's C2 vectorizes (a load and a store at different offsets of the loop variable in two arrays it
 * does not: it cannot rule out that they overlap). One thread: a second one was no faster inside the graph (libgomp's
 * threads spin between libnd4j's parallel regions). The forward pass is used for 1x1 kernels only
 * ({@link #pointwise()}): for a 3x3 one oneDNN's forward kernel was as fast or faster (0.6-1.0 ms against 1.2-1.8
 * ms alone, 3.1-3.7 against 3.2-3.5 ms in BigGAN's graph); for a 1x1 one of one channel 0.3-0.4 against 0.1 ms.
 *
 * <p>The sums run in a fixed order for given shapes, so results are deterministic, but they are not oneDNN's bits:
 * a plan uses this kernel only with {@link GraphPlan#ownArithmetic(boolean)} on, as for the sums by matrix products.
 */
final class PatchConv {

    /**
     * The longest patch (input channels times kernel area) computed here: a 3x3 kernel on one channel. DCGAN's 4x4
     * one at 28x28 (16) was no faster than oneDNN's (3.0-4.2 against 2.9-4.8 ms alone for {@code [64, 1, 28, 28]}
     * to 64 channels; in DCGAN's graph 7.0 and 11.3 against 12.3 and 10.9 ms an iteration for its three calls),
     * where BigGAN's 3x3 one was 1.5-3 times as fast.
     */
    static final int MAX_PATCH = 9;

    /** Lanes of the gradient's partial sums: positions {@code p} are summed in chunks of this many. */
    private static final int LANES = 256;

    private final int n;
    private final int c;
    private final int h;
    private final int w;
    private final int co;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final int ph;
    private final int pw;
    private final int oh;
    private final int ow;
    /** Patch length {@code iC kH kW} and output positions {@code oH oW}. */
    private final int k;
    private final int p;
    /** Work arrays, made at the first call. */
    private Scratch scratch;

    private PatchConv(int[] g) {
        this.n = g[0];
        this.c = g[1];
        this.h = g[2];
        this.w = g[3];
        this.co = g[4];
        this.kh = g[5];
        this.kw = g[6];
        this.sh = g[7];
        this.sw = g[8];
        this.ph = g[9];
        this.pw = g[10];
        this.oh = g[11];
        this.ow = g[12];
        this.k = c * kh * kw;
        this.p = oh * ow;
    }

    /**
     * The geometry of a {@code conv2d} or {@code conv2d_bp} with inputs {@code x} and {@code W} and output (or output
     * gradient) {@code z}, or null where this kernel does not compute it: NCHW, weights {@code [kH, kW, iC, oC]},
     * explicit padding, no dilation (libnd4j's oneDNN path refuses some dilated ones, so it could not be checked
     * against it), 32-bit floats, a patch of at most {@link #MAX_PATCH}.
     */
    static PatchConv of(DynamicCustomOp op, INDArray x, INDArray wt, INDArray z) {
        long[] a = op.iArgs();
        if (a == null || a.length < 10 || a[9] != 0 || (a.length > 10 && a[10] != 0) || a[8] != 0
                || x.rank() != 4 || wt.rank() != 4 || z.rank() != 4) {
            return null;
        }
        long kh = a[0] > 0 ? a[0] : wt.size(0);
        long kw = a[1] > 0 ? a[1] : wt.size(1);
        long[] xs = x.shape();
        long[] zs = z.shape();
        if (kh != wt.size(0) || kw != wt.size(1) || wt.size(2) != xs[1] || wt.size(3) != zs[1] || zs[0] != xs[0]
                || xs[1] * kh * kw > MAX_PATCH || a[2] < 1 || a[3] < 1 || a[4] < 0 || a[5] < 0 || a[6] != 1
                || a[7] != 1) {
            return null;
        }
        long ohExpected = (xs[2] + 2 * a[4] - kh) / a[2] + 1;
        long owExpected = (xs[3] + 2 * a[5] - kw) / a[3] + 1;
        if (zs[2] != ohExpected || zs[3] != owExpected || x.length() * 4 > Integer.MAX_VALUE
                || z.length() * 4 > Integer.MAX_VALUE) {
            return null;
        }
        return new PatchConv(new int[] {(int) xs[0], (int) xs[1], (int) xs[2], (int) xs[3], (int) zs[1], (int) kh,
            (int) kw, (int) a[2], (int) a[3], (int) a[4], (int) a[5], (int) zs[2], (int) zs[3]});
    }

    /** Whether the patch is a single element (a 1x1 kernel on one channel). */
    boolean pointwise() {
        return k == 1;
    }

    /**
     * Whether the kernel can read or write {@code a} through its buffer: 32-bit floats laid out densely in C order
     * (the stride of an axis of length 1 does not matter: libnd4j's outputs have odd ones there), in a buffer an int
     * indexes.
     */
    static boolean dense(INDArray a) {
        // a FloatBuffer over the array's whole buffer, from its start, indexed by int
        if (a.dataType() != DataType.FLOAT || a.isEmpty() || a.offset() + a.length() > Integer.MAX_VALUE / 4) {
            return false;
        }
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /**
     * {@code a} itself where the kernel can read it, else a dense copy: a plan is chosen by its inputs' shapes, and a
     * later call may bind an array of the same shape in another layout (a view, F order).
     */
    static INDArray readable(INDArray a) {
        return dense(a) ? a : a.castTo(DataType.FLOAT).dup('c');
    }

    /** A kernel for {@code conv2d}: inputs {@code (x, W[, b])}, output {@code z} ({@link #dense}). */
    Replacements.Kernel forward(INDArray z) {
        FloatBuffer zb = z.data().asNioFloat();
        int zOff = zb.position();
        float[] wf = new float[k * co];
        float[] wt = new float[co * k];
        float[] bias = new float[co];
        return in -> {
            FloatBuffer xb = readable(in[0]).data().asNioFloat();
            transposedWeights(readable(in[1]), wf, wt);
            if (in.length > 2) {
                FloatBuffer b = readable(in[2]).data().asNioFloat();
                b.get(b.position(), bias, 0, co);
            } else {
                Arrays.fill(bias, 0f);
            }
            int xOff = xb.position();
            forward(xb, xOff, wt, bias, zb, zOff, scratch());
        };
    }

    /**
     * A kernel for {@code conv2d_bp} whose input gradient nothing reads: inputs {@code (x, W[, b], dz)}, outputs
     * {@code dW} and, with a bias, {@code db} (a null gradient is not written).
     */
    Replacements.Kernel weightGradient(INDArray dW, INDArray db) {
        FloatBuffer wb = dW.data().asNioFloat();
        FloatBuffer bb = db == null ? null : db.data().asNioFloat();
        float[] gw = new float[k * co];
        float[] gb = new float[co];
        return in -> {
            FloatBuffer xb = readable(in[0]).data().asNioFloat();
            FloatBuffer dzb = readable(in[in.length - 1]).data().asNioFloat();
            int xOff = xb.position();
            int dzOff = dzb.position();
            Scratch s = scratch();
            weightGradient(xb, xOff, dzb, dzOff, s);
            reduce(s, gw, gb);
            wb.put(wb.position(), gw, 0, gw.length);
            if (bb != null) {
                bb.put(bb.position(), gb, 0, gb.length);
            }
        };
    }

    /** W {@code [K, oC]} as {@code [oC][K]} into {@code wt} (read through {@code wf}). */
    private void transposedWeights(INDArray weights, float[] wf, float[] wt) {
        FloatBuffer b = weights.data().asNioFloat();
        b.get(b.position(), wf, 0, wf.length);
        for (int j = 0; j < k; j++) {
            for (int o = 0; o < co; o++) {
                wt[o * k + j] = wf[j * co + o];
            }
        }
    }

    private Scratch scratch() {
        if (scratch == null) {
            scratch = new Scratch();
        }
        return scratch;
    }

    /** Work arrays: rows indexed alike, so that C2 vectorizes the loops over them. */
    private final class Scratch {
        final float[] x = new float[c * h * w];
        final float[][] cols = new float[k][p];
        final float[] row = new float[p];
        final float[][] dzChunk = new float[co][Math.min(p, LANES)];
        final float[][] colChunk = p > LANES ? new float[k][LANES] : null;
        final float[][] accW = new float[co * k][Math.min(p, LANES)];
        final float[][] accB = new float[co][Math.min(p, LANES)];
    }

    /** Sample i's patch matrix into {@code s.cols}. */
    private void patches(FloatBuffer xb, int xOff, int i, Scratch s) {
        float[] x = s.x;
        xb.get(xOff + i * c * h * w, x, 0, x.length);
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                int x0 = kx - pw;
                for (int ci = 0; ci < c; ci++) {
                    float[] row = s.cols[(ky * kw + kx) * c + ci];
                    int plane = ci * h * w;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * sh + ky - ph;
                        int r = y * ow;
                        if (iy < 0 || iy >= h) {
                            Arrays.fill(row, r, r + ow, 0f);
                        } else if (sw == 1 && x0 >= 0 && x0 + ow <= w) {
                            System.arraycopy(x, plane + iy * w + x0, row, r, ow);
                        } else {
                            int xr = plane + iy * w;
                            for (int ox = 0; ox < ow; ox++) {
                                int ix = ox * sw + x0;
                                row[r + ox] = ix >= 0 && ix < w ? x[xr + ix] : 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    private void forward(FloatBuffer xb, int xOff, float[] wt, float[] bias, FloatBuffer zb, int zOff, Scratch s) {
        for (int i = 0; i < n; i++) {
            patches(xb, xOff, i, s);
            for (int o = 0; o < co; o++) {
                float[] row = s.row;
                Arrays.fill(row, bias[o]);
                for (int j = 0; j < k; j++) {
                    axpy(wt[o * k + j], s.cols[j], row, p);
                }
                zb.put(zOff + (i * co + o) * p, row, 0, p);
            }
        }
    }

    /** {@code y += a x} over the first {@code len} elements. */
    private static void axpy(float a, float[] x, float[] y, int len) {
        for (int q = 0; q < len; q++) {
            y[q] += a * x[q];
        }
    }

    /** {@code acc += x y} elementwise over the first {@code len} elements. */
    private static void multiplyAdd(float[] acc, float[] x, float[] y, int len) {
        for (int q = 0; q < len; q++) {
            acc[q] += x[q] * y[q];
        }
    }

    private static void add(float[] acc, float[] x, int len) {
        for (int q = 0; q < len; q++) {
            acc[q] += x[q];
        }
    }

    private void weightGradient(FloatBuffer xb, int xOff, FloatBuffer dzb, int dzOff, Scratch s) {
        for (float[] a : s.accW) {
            Arrays.fill(a, 0f);
        }
        for (float[] a : s.accB) {
            Arrays.fill(a, 0f);
        }
        for (int i = 0; i < n; i++) {
            patches(xb, xOff, i, s);
            int sample = dzOff + i * co * p;
            for (int pb = 0; pb < p; pb += LANES) {
                int len = Math.min(LANES, p - pb);
                float[][] d = s.dzChunk;
                float[][] cols = s.cols;
                for (int o = 0; o < co; o++) {
                    dzb.get(sample + o * p + pb, d[o], 0, len);
                }
                if (p > LANES) {
                    cols = s.colChunk;
                    for (int j = 0; j < k; j++) {
                        System.arraycopy(s.cols[j], pb, cols[j], 0, len);
                    }
                }
                for (int o = 0; o < co; o++) {
                    add(s.accB[o], d[o], len);
                    for (int j = 0; j < k; j++) {
                        multiplyAdd(s.accW[o * k + j], d[o], cols[j], len);
                    }
                }
            }
        }
    }

    /** The partial sums added up, lanes in order, into {@code dW [K][oC]} and {@code db [oC]}. */
    private void reduce(Scratch s, float[] dW, float[] db) {
        for (int o = 0; o < co; o++) {
            for (int j = 0; j < k; j++) {
                float sum = 0f;
                for (float v : s.accW[o * k + j]) {
                    sum += v;
                }
                dW[j * co + o] = sum;
            }
            float sum = 0f;
            for (float v : s.accB[o]) {
                sum += v;
            }
            db[o] = sum;
        }
    }
}
