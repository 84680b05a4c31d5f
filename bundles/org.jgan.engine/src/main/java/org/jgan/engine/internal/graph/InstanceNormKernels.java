package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The two kernels of an instance-norm layer in training mode, which {@link BatchNormFusion} recognizes as it does
 * batch norm: StyleGAN's AdaIN (Karras et al. 2018, eq. 1; Huang and Belongie 2017), as {@code StyleLayers.adain}
 * writes it on an NCHW tensor with a gain and bias per sample ({@code [-1, C, 1, 1]} reshapes of the styles
 * {@code y_s, y_b}, {@code [N, C]}) or per channel:
 * <pre>
 *   m = mean_hw(x),  c = x - m,  v = mean_hw(c c),  y = c (gamma rsqrt(v + eps)) + beta     (per sample and channel)
 * </pre>
 * six ops on the full tensor forward and about ten backward, several of them broadcasting {@code [N, C, 1, 1]}
 * operands or reducing to them. Per sample and channel, over its H x W positions (a contiguous block of an NCHW
 * tensor), with {@code r = (v + eps)^-1/2}:
 * <pre>
 *   dL/dbeta = sum dL/dy = S1,  dL/dgamma = r sum dL/dy (x - m) = r S2,
 *   dL/dx = gamma r (dL/dy - S1 / HW - (x - m) r^2 S2 / HW)
 * </pre>
 * (a gain or bias of one row sums these over the batch). The statistics and the two sums are taken per block by
 * several running sums in float (one sum's chain of dependent additions is latency-bound, and double's conversions
 * cost as much again), each chunk of at most {@link #CHUNK} elements added into double; the elementwise passes run in
 * float over the block. Another order than libnd4j's, so only with {@link GraphPlan#ownArithmetic()}.
 */
final class InstanceNormKernels {

    /** Elements summed in float before the running sums are added into double. */
    static final int CHUNK = 1024;

    private InstanceNormKernels() {
    }

    /** Each kernel's block of one sample on the calling thread ([C, H, W]), grown to the largest seen. */
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[2][0]);

    private abstract static class Passes implements Replacements.Kernel {
        final int n;
        final int c;
        final int hw;
        final int size;
        final double eps;
        /** Rows of gamma and beta: the batch's size where they are per sample, else 1. */
        final int rows;
        final float[] gamma;

        Passes(int n, int c, int hw, double eps, int rows) {
            this.n = n;
            this.c = c;
            this.hw = hw;
            this.size = Math.multiplyExact(c, hw);
            this.eps = eps;
            this.rows = rows;
            gamma = new float[rows * c];
        }

        final float[][] work() {
            float[][] w = WORK.get();
            if (w[0].length < size) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = new float[size];
                }
            }
            return w;
        }

        /** {@code count} floats of {@code a} (a dense array of that many elements) into {@code dst}. */
        static void read(INDArray a, float[] dst, int count, String what) {
            if (a.length() != count) {
                throw new IllegalStateException(what + " of " + count + " elements expected, got " + a.length());
            }
            GraphPlan.readFloats(a, dst, count);
        }

        static void write(INDArray a, float[] src) {
            GraphPlan.writeFloats(src, a, src.length);
        }

        /** The row of gamma (or beta) for sample {@code s}: its own, or the one row. */
        final int row(int s) {
            return rows == 1 ? 0 : s * c;
        }
    }

    /** Inputs x, gamma, beta; outputs y, m and v ({@code [N, C, 1, 1]}). */
    static final class Forward extends Passes {
        private final INDArray[] out;
        private final float[] beta;
        private final float[] mean;
        private final float[] var;

        Forward(int n, int c, int hw, double eps, int rows, INDArray[] out) {
            super(n, c, hw, eps, rows);
            this.out = out;
            beta = new float[rows * c];
            mean = new float[n * c];
            var = new float[n * c];
        }

        @Override
        public void run(INDArray[] in) {
            float[] block = work()[0];
            read(in[1], gamma, rows * c, "instance norm's gain");
            read(in[2], beta, rows * c, "instance norm's bias");
            INDArray xa = PatchConv.readable(in[0]);
            FloatBuffer x = xa.data().asNioFloat();
            int x0 = x.position();
            FloatBuffer y = out[0].data().asNioFloat();
            int y0 = y.position();
            for (int s = 0; s < n; s++) {
                x.get(x0 + s * size, block, 0, size);
                for (int ch = 0, at = 0; ch < c; ch++, at += hw) {
                    double mu = sum(block, at, hw) / hw;
                    float mf = (float) mu;
                    double v = squares(block, at, hw, mf) / hw;
                    double g = gamma[row(s) + ch] / Math.sqrt(v + eps);
                    float scale = (float) g;
                    float shift = beta[row(s) + ch];
                    for (int i = at; i < at + hw; i++) {
                        block[i] = (block[i] - mf) * scale + shift;
                    }
                    mean[s * c + ch] = mf;
                    var[s * c + ch] = (float) v;
                }
                y.put(y0 + s * size, block, 0, size);
            }
            Reference.reachabilityFence(xa);
            write(out[1], mean);
            write(out[2], var);
        }

        /** The sum of {@code b[at, at + len)}: sixteen running sums in float per chunk, chunks added in double. */
        private static double sum(float[] b, int at, int len) {
            double total = 0;
            for (int from = at, end = at + len; from < end; from += CHUNK) {
                total += chunkSum(b, from, Math.min(end, from + CHUNK));
            }
            return total;
        }

        private static double chunkSum(float[] b, int from, int to) {
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            float s4 = 0;
            float s5 = 0;
            float s6 = 0;
            float s7 = 0;
            float s8 = 0;
            float s9 = 0;
            float s10 = 0;
            float s11 = 0;
            float s12 = 0;
            float s13 = 0;
            float s14 = 0;
            float s15 = 0;
            int i = from;
            for (int end = to - 15; i < end; i += 16) {
                s0 += b[i];
                s1 += b[i + 1];
                s2 += b[i + 2];
                s3 += b[i + 3];
                s4 += b[i + 4];
                s5 += b[i + 5];
                s6 += b[i + 6];
                s7 += b[i + 7];
                s8 += b[i + 8];
                s9 += b[i + 9];
                s10 += b[i + 10];
                s11 += b[i + 11];
                s12 += b[i + 12];
                s13 += b[i + 13];
                s14 += b[i + 14];
                s15 += b[i + 15];
            }
            double tail = 0;
            for (; i < to; i++) {
                tail += b[i];
            }
            return tail + (((double) s0 + s1) + ((double) s2 + s3)) + (((double) s4 + s5) + ((double) s6 + s7))
                    + (((double) s8 + s9) + ((double) s10 + s11)) + (((double) s12 + s13) + ((double) s14 + s15));
        }

        /**
         * The sum of {@code (b[i] - m)^2} over {@code [at, at + len)}: sixteen running sums in float per chunk, chunks
         * added in double.
         */
        private static double squares(float[] b, int at, int len, float m) {
            double total = 0;
            for (int from = at, end = at + len; from < end; from += CHUNK) {
                total += chunkSquares(b, from, Math.min(end, from + CHUNK), m);
            }
            return total;
        }

        private static double chunkSquares(float[] b, int from, int to, float m) {
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            float s4 = 0;
            float s5 = 0;
            float s6 = 0;
            float s7 = 0;
            float s8 = 0;
            float s9 = 0;
            float s10 = 0;
            float s11 = 0;
            float s12 = 0;
            float s13 = 0;
            float s14 = 0;
            float s15 = 0;
            int i = from;
            for (int end = to - 15; i < end; i += 16) {
                float d0 = b[i] - m;
                float d1 = b[i + 1] - m;
                float d2 = b[i + 2] - m;
                float d3 = b[i + 3] - m;
                float d4 = b[i + 4] - m;
                float d5 = b[i + 5] - m;
                float d6 = b[i + 6] - m;
                float d7 = b[i + 7] - m;
                float d8 = b[i + 8] - m;
                float d9 = b[i + 9] - m;
                float d10 = b[i + 10] - m;
                float d11 = b[i + 11] - m;
                float d12 = b[i + 12] - m;
                float d13 = b[i + 13] - m;
                float d14 = b[i + 14] - m;
                float d15 = b[i + 15] - m;
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
                s4 += d4 * d4;
                s5 += d5 * d5;
                s6 += d6 * d6;
                s7 += d7 * d7;
                s8 += d8 * d8;
                s9 += d9 * d9;
                s10 += d10 * d10;
                s11 += d11 * d11;
                s12 += d12 * d12;
                s13 += d13 * d13;
                s14 += d14 * d14;
                s15 += d15 * d15;
            }
            double tail = 0;
            for (; i < to; i++) {
                double d = b[i] - m;
                tail += d * d;
            }
            return tail + (((double) s0 + s1) + ((double) s2 + s3)) + (((double) s4 + s5) + ((double) s6 + s7))
                    + (((double) s8 + s9) + ((double) s10 + s11)) + (((double) s12 + s13) + ((double) s14 + s15));
        }
    }

    /**
     * Inputs x, m, v, gamma, dL/dy; outputs dL/dx and the gradients of gamma's and beta's reshapes ({@code [R, C, 1,
     * 1]}), those read.
     */
    static final class Backward extends Passes {
        private final INDArray[] out;
        private final boolean[] unread;
        private final float[] mean;
        private final float[] var;
        private final float[] dGamma;
        private final float[] dBeta;
        private final double[] sums = new double[2];
        private final double[] dg;
        private final double[] db;

        Backward(int n, int c, int hw, double eps, int rows, INDArray[] out, boolean[] unread) {
            super(n, c, hw, eps, rows);
            this.out = out;
            this.unread = unread.clone();
            mean = new float[n * c];
            var = new float[n * c];
            dGamma = new float[rows * c];
            dBeta = new float[rows * c];
            dg = new double[rows * c];
            db = new double[rows * c];
        }

        @Override
        public void run(INDArray[] in) {
            float[][] w = work();
            float[] xs = w[0];
            float[] gs = w[1];
            read(in[1], mean, n * c, "instance norm's means");
            read(in[2], var, n * c, "instance norm's variances");
            read(in[3], gamma, rows * c, "instance norm's gain");
            INDArray xa = PatchConv.readable(in[0]);
            INDArray ga = PatchConv.readable(in[4]);
            FloatBuffer x = xa.data().asNioFloat();
            FloatBuffer g = ga.data().asNioFloat();
            int x0 = x.position();
            int g0 = g.position();
            FloatBuffer dx = unread[0] ? null : out[0].data().asNioFloat();
            int d0 = unread[0] ? 0 : dx.position();
            Arrays.fill(dg, 0);
            Arrays.fill(db, 0);
            for (int s = 0; s < n; s++) {
                x.get(x0 + s * size, xs, 0, size);
                g.get(g0 + s * size, gs, 0, size);
                for (int ch = 0, at = 0; ch < c; ch++, at += hw) {
                    float mf = mean[s * c + ch];
                    sums(xs, gs, at, hw, mf, sums);
                    double r = 1 / Math.sqrt(var[s * c + ch] + eps);
                    int k = row(s) + ch;
                    db[k] += sums[0];
                    dg[k] += r * sums[1];
                    if (dx != null) {
                        double gr = gamma[k] * r;
                        float a = (float) gr;
                        float b = (float) (-gr * r * r * sums[1] / hw);
                        float shift = (float) (-gr * sums[0] / hw);
                        for (int i = at; i < at + hw; i++) {
                            xs[i] = a * gs[i] + (b * (xs[i] - mf) + shift);
                        }
                    }
                }
                if (dx != null) {
                    dx.put(d0 + s * size, xs, 0, size);
                }
            }
            Reference.reachabilityFence(xa);
            Reference.reachabilityFence(ga);
            if (!unread[1]) {
                for (int k = 0; k < dg.length; k++) {
                    dGamma[k] = (float) dg[k];
                }
                write(out[1], dGamma);
            }
            if (!unread[2]) {
                for (int k = 0; k < db.length; k++) {
                    dBeta[k] = (float) db[k];
                }
                write(out[2], dBeta);
            }
        }

        /**
         * {@code sum dy} and {@code sum dy (x - m)} over {@code [at, at + len)} into {@code dst}: eight running sums
         * each in float per chunk, chunks added in double.
         */
        private static void sums(float[] x, float[] dy, int at, int len, float m, double[] dst) {
            double g = 0;
            double gc = 0;
            for (int from = at, end = at + len; from < end; from += CHUNK) {
                chunkSums(x, dy, from, Math.min(end, from + CHUNK), m, dst);
                g += dst[0];
                gc += dst[1];
            }
            dst[0] = g;
            dst[1] = gc;
        }

        private static void chunkSums(float[] x, float[] dy, int from, int to, float m, double[] dst) {
            float a0 = 0;
            float a1 = 0;
            float a2 = 0;
            float a3 = 0;
            float a4 = 0;
            float a5 = 0;
            float a6 = 0;
            float a7 = 0;
            float b0 = 0;
            float b1 = 0;
            float b2 = 0;
            float b3 = 0;
            float b4 = 0;
            float b5 = 0;
            float b6 = 0;
            float b7 = 0;
            int i = from;
            for (int end = to - 7; i < end; i += 8) {
                a0 += dy[i];
                a1 += dy[i + 1];
                a2 += dy[i + 2];
                a3 += dy[i + 3];
                a4 += dy[i + 4];
                a5 += dy[i + 5];
                a6 += dy[i + 6];
                a7 += dy[i + 7];
                b0 += dy[i] * (x[i] - m);
                b1 += dy[i + 1] * (x[i + 1] - m);
                b2 += dy[i + 2] * (x[i + 2] - m);
                b3 += dy[i + 3] * (x[i + 3] - m);
                b4 += dy[i + 4] * (x[i + 4] - m);
                b5 += dy[i + 5] * (x[i + 5] - m);
                b6 += dy[i + 6] * (x[i + 6] - m);
                b7 += dy[i + 7] * (x[i + 7] - m);
            }
            double ta = 0;
            double tb = 0;
            for (; i < to; i++) {
                ta += dy[i];
                tb += (double) dy[i] * (x[i] - m);
            }
            dst[0] = ta + (((double) a0 + a1) + ((double) a2 + a3)) + (((double) a4 + a5) + ((double) a6 + a7));
            dst[1] = tb + (((double) b0 + b1) + ((double) b2 + b3)) + (((double) b4 + b5) + ((double) b6 + b7));
        }
    }
}
