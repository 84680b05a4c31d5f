package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;

/**
 * The forward-mode tangent of a batch-norm layer in training mode (Ioffe and Szegedy 2015) and the reverse pass through
 * the layer and its tangent, as two kernels of a {@link GraphPlan}: what a gradient penalty's tangent graph
 * ({@code org.jgan.engine.internal.penalty.Tangents}) runs for each batch norm of the discriminator, in place of the
 * whole-layer rule's five full-size ops and the reverse mode's dozen more through them and the layer (about 30 libnd4j
 * calls of 20 to 110 microseconds on the conv GAN's {@code [32, 32, 7, 7]}). Per channel, over its N = batch x H x W
 * entries, with {@code c = x - m}, {@code r = (v + eps)^-1/2} (m, v the layer's batch statistics) and {@code gamma}
 * the layer's gain:
 * <pre>
 *   d' = x' - mean(x'),  q = mean(c d'),  y' = gamma r (d' - c r^2 q)
 * </pre>
 * The backward kernel takes {@code G = dL/dy'} and, where the loss also reads y ({@code Y = dL/dy}; the penalties with
 * a first-order term), Y, and gives the gradients of x', x, gamma's and beta's {@code [1, C, 1, 1]} reshapes. With the
 * sums {@code S_G = sum G}, {@code S_Gc = sum G c}, {@code S_Gd = sum G d'}, {@code S_Y = sum Y},
 * {@code S_Yc = sum Y c}, the loss through the layer is {@code L = gamma r S_Gd - gamma r^3 q S_Gc + gamma r S_Yc
 * + beta S_Y}; it depends on x through c ({@code dc_j/dx_i = delta_ij - 1/N}), on r through
 * {@code dr/dc_j = -r^3 c_j / N} and on q through {@code dq/dc_j = d'_j / N}, {@code dq/dx'_j = (c_j - mean(c)) / N}:
 * <pre>
 *   dL/dx'_j  = gamma r (G_j - S_G / N) - gamma r^3 (S_Gc / N) (c_j - mean(c))
 *   D_j       = gamma r Y_j - gamma r^3 (d'_j S_Gc / N + q G_j) - K r^3 c_j / N,
 *               K = dL/dr = gamma (S_Gd - 3 r^2 q S_Gc + S_Yc)
 *   dL/dx_j   = D_j - mean(D)
 *   dL/dgamma = r (S_Gd - r^2 q S_Gc + S_Yc),   dL/dbeta = S_Y
 * </pre>
 * (without Y its terms are 0). Each kernel is two passes: the sums (per position over the batch in float, then per
 * channel over positions in double), then the elementwise outputs with per-channel coefficients computed in double
 * and rounded once. Another order of summation than libnd4j's, so with {@link GraphPlan#ownArithmetic()} only;
 * {@code BatchNormTangentTest} checks both against float64 references.
 */
final class BatchNormTangentKernels {

    static final String FORWARD = "batch_norm_tangent";
    static final String BACKWARD = "batch_norm_tangent_bp";

    private BatchNormTangentKernels() {
    }

    /** The op a plan runs for a fused tangent: never executed by libnd4j (its kernel is {@link #kernel}). */
    static final class Fused extends DynamicCustomOp {
        final boolean backward;
        /** The backward op's loss also reads y: its inputs end with dL/dy and its outputs with beta's gradient. */
        final boolean primal;
        final double eps;

        Fused(boolean backward, boolean primal, double eps) {
            this.backward = backward;
            this.primal = primal;
            this.eps = eps;
        }

        @Override
        public String opName() {
            return backward ? BACKWARD : FORWARD;
        }

        /**
         * Inputs x', x, m, v, gamma (then G and, with {@link #primal}, Y); outputs y', or the gradients of x', x,
         * gamma's reshape (and beta's).
         */
        @Override
        public List<LongShapeDescriptor> calculateOutputShape(OpContext oc) {
            long[] x = oc.getInputArrays().get(0).shape();
            if (x.length != 4) {
                throw new IllegalStateException(opName() + ": input of rank 4 expected, got " + Arrays.toString(x));
            }
            LongShapeDescriptor full = LongShapeDescriptor.fromShape(x, DataType.FLOAT);
            if (!backward) {
                return List.of(full);
            }
            LongShapeDescriptor stat = LongShapeDescriptor.fromShape(new long[] {1, x[1], 1, 1}, DataType.FLOAT);
            return primal ? List.of(full, full, stat, stat) : List.of(full, full, stat);
        }

        Replacements.Kernel kernel(INDArray[] in, INDArray[] out, boolean[] unread) {
            for (INDArray a : out) {
                if (!PatchConv.dense(a)) {
                    throw new IllegalStateException(opName() + ": output not dense");
                }
            }
            long[] s = in[0].shape();
            // x, G and Y: of x''s shape (input 0)
            for (int i : backward ? (primal ? new int[] {1, 5, 6} : new int[] {1, 5}) : new int[] {1}) {
                if (!Arrays.equals(in[i].shape(), s)) {
                    throw new IllegalStateException(opName() + ": input " + i + " of shape "
                            + Arrays.toString(in[i].shape()) + " for x' of " + Arrays.toString(s));
                }
            }
            int n = Math.toIntExact(s[0]);
            int c = Math.toIntExact(s[1]);
            int hw = Math.toIntExact(s[2] * s[3]);
            return backward ? new Backward(n, c, hw, eps, primal, out, unread) : new Forward(n, c, hw, eps, out[0]);
        }
    }

    /** The fused op of a plan's op, if it is one. */
    static Fused of(DifferentialFunction f) {
        return f instanceof Fused t ? t : null;
    }

    /** Per-channel statistics and gain, and a sample's block read or written through a buffer. */
    private abstract static class Passes extends BatchNormFusion.Passes {
        final float[] m;
        final float[] v;
        final float[] gamma;

        Passes(int n, int c, int hw, double eps) {
            super(n, c, hw, eps, 1);
            m = new float[c];
            v = new float[c];
            gamma = new float[c];
        }

        /** m, v and gamma (inputs 2 to 4: [1, C, 1, 1], [1, C, 1, 1], [C]). */
        final void perChannel(INDArray[] in) {
            channels(in[2], m);
            channels(in[3], v);
            channels(in[4], gamma);
        }

        /** Sample s's block of an array of x's shape. */
        final void block(Dense a, int s, float[] dst) {
            a.buffer.get(a.start + s * size, dst, 0, size);
        }

        /** A block into sample s's place of an output of x's shape. */
        final void put(Dense a, int s, float[] src) {
            a.buffer.put(a.start + s * size, src, 0, size);
        }
    }

    /** An array read or written block by block through its buffer (a dense copy where it is not dense). */
    private static final class Dense {
        final INDArray array;
        final FloatBuffer buffer;
        final int start;

        private Dense(INDArray a) {
            array = a;
            buffer = array.data().asNioFloat();
            start = buffer.position();
        }

        static Dense input(INDArray a) {
            return new Dense(PatchConv.readable(a));
        }

        /** An output: dense, as the kernel checked (written in place, never through a copy). */
        static Dense output(INDArray a) {
            return new Dense(a);
        }

        void done() {
            Reference.reachabilityFence(array);
        }
    }

    /** Inputs x', x, m, v, gamma; output y'. */
    private static final class Forward extends Passes {
        private final INDArray out;
        private final double[] sd;
        private final double[] sc;
        private final double[] scd;
        private final float[] a;
        private final float[] b;
        private final float[] k;

        Forward(int n, int c, int hw, double eps, INDArray out) {
            super(n, c, hw, eps);
            this.out = out;
            sd = new double[c];
            sc = new double[c];
            scd = new double[c];
            a = new float[c];
            b = new float[c];
            k = new float[c];
        }

        @Override
        public void run(INDArray[] in) {
            Dense xd = Dense.input(in[0]);
            Dense xs = Dense.input(in[1]);
            Dense y = Dense.output(out);
            perChannel(in);
            float[][] w = work();
            float[] ms = w[0];
            float[] accD = w[1];
            float[] accC = w[2];
            float[] accCD = w[3];
            spread(m, ms);
            Arrays.fill(accD, 0, size, 0f);
            Arrays.fill(accC, 0, size, 0f);
            Arrays.fill(accCD, 0, size, 0f);
            float[] bx = w[7];
            float[] bd = w[8];
            for (int s = 0; s < n; s++) {
                block(xs, s, bx);
                block(xd, s, bd);
                for (int i = 0; i < size; i++) {
                    float cx = bx[i] - ms[i];
                    float d = bd[i];
                    accD[i] += d;
                    accC[i] += cx;
                    accCD[i] += cx * d;
                }
            }
            channelSums(accD, sd);
            channelSums(accC, sc);
            channelSums(accCD, scd);
            for (int ch = 0; ch < c; ch++) {
                double r = 1 / Math.sqrt(v[ch] + eps);
                double mu = sd[ch] / count;
                double q = (scd[ch] - sc[ch] * mu) / count;
                double g = gamma[ch] * r;
                // y' = g (x' - mu) - g r^2 q (x - m)
                double bc = -g * r * r * q;
                a[ch] = (float) g;
                b[ch] = (float) bc;
                k[ch] = (float) (-g * mu - bc * m[ch]);
            }
            float[] as = w[4];
            float[] bs = w[5];
            float[] ks = w[6];
            spread(a, as);
            spread(b, bs);
            spread(k, ks);
            for (int s = 0; s < n; s++) {
                block(xs, s, bx);
                block(xd, s, bd);
                for (int i = 0; i < size; i++) {
                    bd[i] = as[i] * bd[i] + (bs[i] * bx[i] + ks[i]);
                }
                put(y, s, bd);
            }
            xd.done();
            xs.done();
        }
    }

    /**
     * Inputs x', x, m, v, gamma, G (and Y); outputs the gradients of x', x, gamma's reshape (and beta's), those read.
     */
    private static final class Backward extends Passes {
        private final INDArray[] out;
        private final boolean[] unread;
        private final boolean primal;
        private final double[][] sums;
        private final float[][] coef;

        Backward(int n, int c, int hw, double eps, boolean primal, INDArray[] out, boolean[] unread) {
            super(n, c, hw, eps);
            this.out = out;
            this.unread = unread.clone();
            this.primal = primal;
            sums = new double[8][c];
            coef = new float[6][c];
        }

        @Override
        public void run(INDArray[] in) {
            Dense xd = Dense.input(in[0]);
            Dense xs = Dense.input(in[1]);
            Dense gs = Dense.input(in[5]);
            Dense ys = primal ? Dense.input(in[6]) : null;
            perChannel(in);
            float[][] w = work();
            float[] ms = w[0];
            spread(m, ms);
            // sums of x', c, c x', G, G c, G x' (and Y, Y c), per position over the batch
            float[] aD = w[1];
            float[] aC = w[2];
            float[] aCD = w[3];
            float[] aG = w[4];
            float[] aGC = w[5];
            float[] aGD = w[6];
            float[] aY = w[7];
            float[] aYC = w[8];
            for (int j = 1; j <= (primal ? 8 : 6); j++) {
                Arrays.fill(w[j], 0, size, 0f);
            }
            float[] bx = w[9];
            float[] bd = w[10];
            float[] bg = w[11];
            float[] by = w[12];
            float[] bo = w[13];
            for (int s = 0; s < n; s++) {
                block(xs, s, bx);
                block(xd, s, bd);
                block(gs, s, bg);
                for (int i = 0; i < size; i++) {
                    bx[i] -= ms[i];
                }
                for (int i = 0; i < size; i++) {
                    aD[i] += bd[i];
                    aC[i] += bx[i];
                    aCD[i] += bx[i] * bd[i];
                }
                for (int i = 0; i < size; i++) {
                    aG[i] += bg[i];
                    aGC[i] += bg[i] * bx[i];
                    aGD[i] += bg[i] * bd[i];
                }
                if (primal) {
                    block(ys, s, by);
                    for (int i = 0; i < size; i++) {
                        float y = by[i];
                        aY[i] += y;
                        aYC[i] += y * bx[i];
                    }
                }
            }
            for (int j = 0; j < (primal ? 8 : 6); j++) {
                channelSums(w[j + 1], sums[j]);
            }
            double[] sD = sums[0];
            double[] sC = sums[1];
            double[] sCD = sums[2];
            double[] sG = sums[3];
            double[] sGC = sums[4];
            double[] sGD = sums[5];
            float[] cY = coef[0];
            float[] cD = coef[1];
            float[] cG = coef[2];
            float[] cX = coef[3];
            float[] kX = coef[4];
            float[] kD = coef[5];
            for (int ch = 0; ch < c; ch++) {
                double r = 1 / Math.sqrt(v[ch] + eps);
                double r2 = r * r;
                double gr = gamma[ch] * r;
                double mu = sD[ch] / count;
                double cMean = sC[ch] / count;
                double q = (sCD[ch] - sC[ch] * mu) / count;
                double sGd = sGD[ch] - mu * sG[ch];
                double sY = primal ? sums[6][ch] : 0;
                double sYc = primal ? sums[7][ch] : 0;
                double kr = gamma[ch] * (sGd - 3 * r2 * q * sGC[ch] + sYc);
                // D_j = gr Y_j + bdc d'_j + eg G_j + fc c_j; dL/dx_j = D_j - mean(D) (mean(d') = 0)
                double bdc = -gr * r2 * sGC[ch] / count;
                double eg = -gr * r2 * q;
                double fc = -kr * r * r2 / count;
                double meanD = gr * sY / count + eg * sG[ch] / count + fc * cMean;
                cY[ch] = (float) gr;
                cD[ch] = (float) bdc;
                cG[ch] = (float) eg;
                cX[ch] = (float) fc;
                kX[ch] = (float) (-bdc * mu - fc * m[ch] - meanD);
                // dL/dx'_j = gr (G_j - S_G / N) + bdc (x_j - m - mean(c))
                kD[ch] = (float) (-gr * sG[ch] / count - bdc * (m[ch] + cMean));
                // dL/dgamma
                small[ch] = (float) (r * (sGd - r2 * q * sGC[ch] + sYc));
            }
            if (!unread[2]) {
                GraphPlan.writeFloats(small, out[2], c);
            }
            if (primal && !unread[3]) {
                for (int ch = 0; ch < c; ch++) {
                    small[ch] = (float) sums[6][ch];
                }
                GraphPlan.writeFloats(small, out[3], c);
            }
            // dL/dx = cY Y + cD x' + cG G + cX x + kX;  dL/dx' = cY G + cD x + kD
            float[] sY = w[1];
            float[] sD2 = w[2];
            float[] sG2 = w[3];
            float[] sX = w[4];
            float[] sK = w[5];
            float[] sKD = w[6];
            spread(cY, sY);
            spread(cD, sD2);
            spread(cG, sG2);
            spread(cX, sX);
            spread(kX, sK);
            spread(kD, sKD);
            Dense dxOut = unread[1] ? null : Dense.output(out[1]);
            Dense dxdOut = unread[0] ? null : Dense.output(out[0]);
            // (neither input gradient read: no second pass)
            for (int s = 0; s < (unread[0] && unread[1] ? 0 : n); s++) {
                block(xs, s, bx);
                block(xd, s, bd);
                block(gs, s, bg);
                if (!unread[1]) {
                    for (int i = 0; i < size; i++) {
                        bo[i] = sX[i] * bx[i] + sK[i];
                    }
                    for (int i = 0; i < size; i++) {
                        bo[i] += sD2[i] * bd[i];
                    }
                    for (int i = 0; i < size; i++) {
                        bo[i] += sG2[i] * bg[i];
                    }
                    if (primal) {
                        block(ys, s, by);
                        for (int i = 0; i < size; i++) {
                            bo[i] += sY[i] * by[i];
                        }
                    }
                    put(dxOut, s, bo);
                }
                if (!unread[0]) {
                    for (int i = 0; i < size; i++) {
                        bo[i] = sY[i] * bg[i] + (sD2[i] * bx[i] + sKD[i]);
                    }
                    put(dxdOut, s, bo);
                }
            }
            xd.done();
            xs.done();
            gs.done();
            if (ys != null) {
                ys.done();
            }
        }
    }
}
