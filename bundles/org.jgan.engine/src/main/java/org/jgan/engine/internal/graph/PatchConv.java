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
 * A 2-d convolution whose patch is short ({@code iC kH kW} at most {@link #MAX_PATCH}: a discriminator's first layer
 * on 1- or 3-channel images, 1x1 shortcuts from them), computed outside oneDNN's convolution: the weight and bias
 * gradients {@code dW[j, o] = sum_{n,p} dz[n, o, p] cols_n[j, p]}, {@code db[o] = sum_{n,p} dz[n, o, p]}, and, for a
 * 1x1 kernel on one channel, the forward pass {@code z[n, o, p] = b[o] + sum_j W[j, o] cols_n[j, p]}, where
 * {@code cols_n[(ky kW + kx) iC + ci, oy oW + ox] = x[n, ci, oy sH + ky - pH, ox sW + kx - pW]} (0 outside the
 * image) is sample n's patch matrix and {@code j} runs over the rows of {@code W} viewed as {@code [kH kW iC, oC]}
 * (libnd4j's weight format 0).
 *
 * <p>oneDNN, as libnd4j 1.0.0-M2.1 calls it, pads such an input to 8 or 16 channels and reorders it on every call,
 * and {@code conv2d_bp} runs its backward-data primitive even where nothing reads the input gradient (a
 * discriminator's first layer in its own step, and the two first-layer passes of a gradient penalty's tangent
 * graph). The weight gradient here is one matrix product over the whole batch ({@link #productGradient}): the output
 * gradient regrouped by channel times the patch rows (every output position's window), built in Java, by libnd4j's
 * {@code matmul}.
 * Alone, on a 2-core AMD EPYC with AVX2 (2026-12-04), against {@code conv2d_bp}: the penalty benchmark's conv D
 * ({@code [32, 1, 28, 28]}, 4x4 stride 2, to 16 channels) 0.25-0.36 against 0.54-0.66 ms; DCGAN's
 * ({@code [64, 1, 28, 28]} to 64) 0.72-1.0 against 2.1-2.4; BigGAN's 3x3 ({@code [32, 1, 32, 32]} to 32) 0.8-1.2
 * against 4.5-6.9 (the loops over rows this class used before, up to a patch of 9: 1.8-2.1); a 3x3 on 3 channels to
 * 64 2.7-3.6 against 8.1; a 4x4 stride 2 on 3 channels tied (1.5). Inside the penalty benchmark's R1 iteration its
 * four calls took 0.85 ms less than oneDNN's (per-op profile, in-process alternation).
 * A 1x1 kernel on at most 9 channels keeps the loops over rows, which HotSpot's C2 vectorizes (its patch matrix is
 * the image, so the regrouping would be most of the product's cost: 1.0 against 1.6 ms on one channel to 64 at
 * 32x32), and on one channel its forward pass (0.3-0.4 against 0.1 ms); for longer patches oneDNN's forward kernel
 * is faster than the product (0.11-0.19 against 0.28-0.33 ms for the penalty benchmark's, 0.45-0.6 against 1.2-1.3
 * for BigGAN's) and is kept.
 *
 * <p>Where oneDNN's own binding loads, plans take a weight gradient by the product to {@link OneDnnConv}'s
 * backward-weights primitive alone instead (since 2026-12-06; {@code -Djgan.graph.patchOneDnn=false} keeps it here):
 * alone, on the 2-core AMD EPYC with AVX-512 (Zen 4), against this class's product, {@code [64, 1, 32, 32]} 3x3 to 32
 * channels (SAGAN's and BigGAN's D on both batches) 0.41-0.47 against 1.9-2.0 ms; DCGAN's {@code [64, 1, 28, 28]}
 * 4x4 stride 2 to 64 0.18-0.39 against 0.67-1.7; the penalty benchmark's {@code [32, 1, 28, 28]} to 16 0.03-0.08
 * against 0.23-0.44; 3x3 on 3 channels to 64 0.7-0.8 against 2.4-3.2 (the typical repetitions of four). The 1x1 kernels stay here: their loops took
 * 0.19-0.24 ms against oneDNN's 0.44-0.74 for {@code [64, 1, 32, 32]} to 32, their forward pass 0.11-0.13 against
 * 0.17-0.33. Nor does oneDNN take a weight gradient whose input's channels its primitive would pad to a block
 * ({@link OneDnnConv#padsWeightGradientInput()}): with AVX2 alone oneDNN 2.5 reads one channel as eight, and this
 * class's product is faster (alone, the same CPU held to AVX2, {@code DNNL_MAX_CPU_ISA=AVX2}: SAGAN's and BigGAN's
 * {@code [64, 1, 32, 32]} 3x3 to 32 1.9-4.1 against 3.0-8.1 ms, the penalty benchmark's {@code [32, 1, 28, 28]}
 * 0.22-0.36 against 0.28-0.57; three channels are not padded, and oneDNN keeps them: 1.5-2.3 against 3.0-3.3).
 *
 * <p>The sums run in a fixed order for given shapes, so results are deterministic, but they are not oneDNN's bits:
 * a plan uses this kernel only with {@link GraphPlan#ownArithmetic(boolean)} on, as for the sums by matrix products.
 */
final class PatchConv {

    /**
     * The longest patch (input channels times kernel area) computed here: a 4x4 kernel on 3 channels (RGB). The
     * product's patch matrices grow with the patch while oneDNN's padding and unread input gradient weigh less: that
     * layer at stride 2 was a tie (1.5 ms both), a 3x3 one on 3 channels (27) 2.3-3 times as fast; longer patches
     * were not measured.
     */
    static final int MAX_PATCH = 48;

    /** The longest patch of a 1x1 kernel whose weight gradient runs as the loops over rows (as before 2026-12-04). */
    private static final int MAX_LOOP_PATCH = 9;

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
                || z.length() * 4 > Integer.MAX_VALUE || !indexable(xs[1] * kh * kw, xs[0], zs[2] * zs[3])) {
            return null;
        }
        return new PatchConv(new int[] {(int) xs[0], (int) xs[1], (int) xs[2], (int) xs[3], (int) zs[1], (int) kh,
            (int) kw, (int) a[2], (int) a[3], (int) a[4], (int) a[5], (int) zs[2], (int) zs[3]});
    }

    /**
     * Whether the patch rows of a batch, {@code [n positions, patch + 1]} (the product's, with the bias's column of
     * ones), fit a buffer and an array an int indexes.
     */
    static boolean indexable(long patch, long n, long positions) {
        return (patch + 1) * n * positions <= Integer.MAX_VALUE / 4;
    }

    /** Whether the patch is a single element (a 1x1 kernel on one channel). */
    boolean pointwise() {
        return k == 1;
    }

    /**
     * Whether the weight gradient runs as the loops over rows: a 1x1 kernel on at most 9 channels (its patch matrix is
     * the image itself, so the product's regrouping of {@code dz} would be most of its cost).
     */
    boolean byLoops() {
        return kh == 1 && kw == 1 && c <= MAX_LOOP_PATCH;
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
        if (!pointwise()) {
            throw new IllegalStateException("the forward pass is computed here for a 1x1 kernel on one channel only");
        }
        FloatBuffer zb = z.data().asNioFloat();
        int zOff = zb.position();
        float[] wf = new float[k * co];
        float[] wt = new float[co * k];
        float[] bias = new float[co];
        return in -> {
            INDArray xArray = readable(in[0]);
            FloatBuffer xb = xArray.data().asNioFloat();
            transposedWeights(readable(in[1]), wf, wt);
            if (in.length > 2) {
                INDArray biasArray = readable(in[2]);
                FloatBuffer b = biasArray.data().asNioFloat();
                b.get(b.position(), bias, 0, co);
                Reference.reachabilityFence(biasArray);
            } else {
                Arrays.fill(bias, 0f);
            }
            int xOff = xb.position();
            forward(xb, xOff, wt, bias, zb, zOff, scratch());
            Reference.reachabilityFence(xArray);
        };
    }

    /**
     * A kernel for {@code conv2d_bp} whose input gradient nothing reads: inputs {@code (x, W[, b], dz)}, outputs
     * {@code dW} and, with a bias, {@code db} (a null gradient is not written). A 1x1 kernel on at most 9 channels by
     * the loops over rows ({@link #loopGradient}); any other patch as one matrix product ({@link #productGradient}),
     * whose work arrays {@code own} takes (released with the plan).
     */
    Replacements.Kernel weightGradient(INDArray dW, INDArray db, Consumer<INDArray> own) {
        return byLoops() ? loopGradient(dW, db) : productGradient(dW, db, own);
    }

    /**
     * The weight and bias gradients of a 1x1 kernel on at most 9 channels: the sums over positions in lanes of
     * {@link #LANES}, which C2 vectorizes. Its patch matrix is the image itself (strided), so the product's regrouping
     * of {@code dz} would be most of its cost: 1.0 against 1.6 ms for {@code [32, 1, 32, 32]} to 64 channels.
     */
    private Replacements.Kernel loopGradient(INDArray dW, INDArray db) {
        if (!byLoops()) {
            throw new IllegalStateException("the loops compute a 1x1 kernel on at most " + MAX_LOOP_PATCH
                    + " channels only");
        }
        FloatBuffer wb = dW.data().asNioFloat();
        FloatBuffer bb = db == null ? null : db.data().asNioFloat();
        float[] gw = new float[k * co];
        float[] gb = new float[co];
        return in -> {
            Operands a = Operands.of(in);
            Scratch s = scratch();
            weightGradient(a.xb, a.xb.position(), a.dzb, a.dzb.position(), s);
            reduce(s, gw, gb);
            wb.put(wb.position(), gw, 0, gw.length);
            if (bb != null) {
                bb.put(bb.position(), gb, 0, gb.length);
            }
            a.done();
        };
    }

    /**
     * The weight and bias gradients as one matrix product over the whole batch,
     * {@code [dW; db]^T = D R} with {@code D = [dz_0 .. dz_{n-1}]} ({@code [oC, n oH oW]}, each sample's output
     * gradient regrouped by channel) and {@code R} the patch rows ({@code [n oH oW, K + 1]}: row {@code (n, p)} is
     * {@code cols_n[., p]} followed by a 1 for the bias; {@code K} columns without one), by libnd4j's {@code matmul}:
     * the sum over samples and positions is the product's inner dimension. {@code R} is built in Java, a row per
     * output position (each its window of the image), {@code D} by bulk copies of whole maps; the {@code [oC, K + 1]}
     * result is transposed into {@code dW}'s {@code [kH kW iC, oC]} in Java. Both factors are in the layout the product reads
     * without transposing: on the penalty benchmark's first layer ({@code [32, 1, 28, 28]}, 4x4 stride 2, to 16
     * channels) 37-44 microseconds against 78-80 for {@code C D^T} with the patch matrices side by side, which this
     * kernel multiplied until 2026-12-04 (then 290 a call in all; its loops writing each patch row across positions
     * took 100-130). Its work arrays are the plan's, one set per replaced op (not shared between ops of one shape):
     * {@code (K + 1 + oC) n oH oW} floats native and as many as {@code R} on the heap.
     */
    private Replacements.Kernel productGradient(INDArray dW, INDArray db, Consumer<INDArray> own) {
        int rows = db == null ? k : k + 1;
        int total = n * p;
        // each array owned as soon as it exists: the plan releases those made before a failed allocation
        INDArray patchRows = Nd4j.createUninitializedDetached(DataType.FLOAT, total, rows);
        own.accept(patchRows);
        INDArray grouped = Nd4j.createUninitializedDetached(DataType.FLOAT, co, total);
        own.accept(grouped);
        INDArray product = Nd4j.createUninitializedDetached(DataType.FLOAT, co, rows);
        own.accept(product);
        FloatBuffer rb = patchRows.data().asNioFloat();
        FloatBuffer gbuf = grouped.data().asNioFloat();
        FloatBuffer pb = product.data().asNioFloat();
        FloatBuffer wb = dW.data().asNioFloat();
        FloatBuffer bb = db == null ? null : db.data().asNioFloat();
        float[] patches = new float[rows * total];
        if (db != null) {
            // the bias's column of ones, written once: the kernel writes the patch columns only
            for (int q = 0; q < total; q++) {
                patches[q * rows + k] = 1f;
            }
        }
        float[] image = new float[c * h * w];
        float[] result = new float[co * rows];
        float[] gw = new float[k * co];
        float[] gb = new float[co];
        Gemm matmul = Gemm.of(false, false, product);
        return new Replacements.Kernel() {
            @Override
            public void run(INDArray[] in) {
                Operands a = Operands.of(in);
                FloatBuffer xb = a.xb;
                FloatBuffer dzb = a.dzb;
                int xOff = xb.position();
                int dzOff = dzb.position();
                for (int i = 0; i < n; i++) {
                    xb.get(xOff + i * c * h * w, image, 0, image.length);
                    patchRows(image, patches, i * p * rows, rows);
                }
                rb.put(rb.position(), patches, 0, patches.length);
                byChannel(dzb, dzOff, gbuf, n, co, p);
                matmul.run(grouped, patchRows);
                pb.get(pb.position(), result, 0, result.length);
                for (int o = 0; o < co; o++) {
                    for (int j = 0; j < k; j++) {
                        gw[j * co + o] = result[o * rows + j];
                    }
                }
                wb.put(wb.position(), gw, 0, gw.length);
                if (bb != null) {
                    for (int o = 0; o < co; o++) {
                        gb[o] = result[o * rows + k];
                    }
                    bb.put(bb.position(), gb, 0, co);
                }
                a.done();
            }

            @Override
            public void close() {
                matmul.close();
            }
        };
    }

    /**
     * One sample's patch rows from its image {@code x [iC, H, W]}: position {@code q = oy oW + ox}'s window at
     * {@code to[base + q stride + j]}, {@code j = (ky kW + kx) iC + ci}, for {@code j < K}. Only the entries inside
     * the image are written: those outside are the same for every call of a geometry and stay 0 from the array's
     * allocation (the kernel's own, written by nothing else).
     */
    private void patchRows(float[] x, float[] to, int base, int stride) {
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                int x0 = kx - pw;
                // the output columns whose input column lies in the image
                int oxLo = Math.max(0, -Math.floorDiv(x0, sw));
                int oxHi = Math.min(ow - 1, Math.floorDiv(w - 1 - x0, sw));
                for (int ci = 0; ci < c; ci++) {
                    int col = base + (ky * kw + kx) * c + ci;
                    int plane = ci * h * w;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh + ky - ph;
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        int r = col + oy * ow * stride;
                        int xr = plane + iy * w + x0;
                        for (int ox = oxLo; ox <= oxHi; ox++) {
                            to[r + ox * stride] = x[xr + ox * sw];
                        }
                    }
                }
            }
        }
    }

    /**
     * Copies {@code n} samples of {@code channels} maps of {@code plane} floats each ({@code [n, C, plane]} from
     * {@code from}, C order) into {@code to} from its position as {@code [C, n plane]}: each channel's maps of all
     * samples side by side, by bulk copies of whole maps.
     */
    static void byChannel(FloatBuffer src, int from, FloatBuffer to, int n, int channels, int plane) {
        int total = n * plane;
        int t0 = to.position();
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                to.put(t0 + c * total + i * plane, src, from + (i * channels + c) * plane, plane);
            }
        }
    }

    /**
     * A weight gradient's operands {@code x} and {@code dz} ({@code conv2d_bp}'s first and last inputs) as the kernel
     * reads them ({@link #readable}), with their buffers. A copy is held until {@link #done}: a buffer view does not
     * keep its memory alive, which ND4J frees when the array is collected.
     */
    private record Operands(INDArray x, INDArray dz, FloatBuffer xb, FloatBuffer dzb) {
        static Operands of(INDArray[] in) {
            INDArray x = readable(in[0]);
            INDArray dz = readable(in[in.length - 1]);
            return new Operands(x, dz, x.data().asNioFloat(), dz.data().asNioFloat());
        }

        /** The end of the reads through the buffers. */
        void done() {
            Reference.reachabilityFence(this);
        }
    }

    /** W {@code [K, oC]} as {@code [oC][K]} into {@code wt} (read through {@code wf}). */
    private void transposedWeights(INDArray weights, float[] wf, float[] wt) {
        FloatBuffer b = weights.data().asNioFloat();
        b.get(b.position(), wf, 0, wf.length);
        Reference.reachabilityFence(weights);
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
        final float[] flat = new float[k * p];
        final float[] row = new float[p];
        final float[][] dzChunk = new float[co][Math.min(p, LANES)];
        final float[][] colChunk = p > LANES ? new float[k][LANES] : null;
        final float[][] accW = new float[co * k][Math.min(p, LANES)];
        final float[][] accB = new float[co][Math.min(p, LANES)];
    }

    /** Sample i's patch matrix into the rows {@code s.cols} (the loops run for 1x1 kernels only: {@link #byLoops}). */
    private void patches(FloatBuffer xb, int xOff, int i, Scratch s) {
        xb.get(xOff + i * c * h * w, s.x, 0, s.x.length);
        patches(s.x, s.flat, 0, p);
        for (int j = 0; j < k; j++) {
            System.arraycopy(s.flat, j * p, s.cols[j], 0, p);
        }
    }

    /**
     * One sample's patch matrix from its image {@code x [iC, H, W]}: row {@code j} at {@code to[base + j stride]},
     * {@code oH oW} elements.
     */
    private void patches(float[] x, float[] to, int base, int stride) {
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                int x0 = kx - pw;
                for (int ci = 0; ci < c; ci++) {
                    int row = base + ((ky * kw + kx) * c + ci) * stride;
                    int plane = ci * h * w;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * sh + ky - ph;
                        int r = row + y * ow;
                        if (iy < 0 || iy >= h) {
                            Arrays.fill(to, r, r + ow, 0f);
                        } else if (sw == 1 && x0 >= 0 && x0 + ow <= w) {
                            System.arraycopy(x, plane + iy * w + x0, to, r, ow);
                        } else {
                            int xr = plane + iy * w;
                            for (int ox = 0; ox < ow; ox++) {
                                int ix = ox * sw + x0;
                                to[r + ox] = ix >= 0 && ix < w ? x[xr + ix] : 0f;
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
