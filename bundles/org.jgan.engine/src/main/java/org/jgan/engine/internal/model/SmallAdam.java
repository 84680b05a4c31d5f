package org.jgan.engine.internal.model;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adam's step for one parameter of at most {@link #MAX} elements, in Java, with the bits of libnd4j's
 * {@code adam_updater} followed by the {@code subtract} that {@link Optimizer} runs for larger parameters:
 * <pre>
 *   alpha_t = lr sqrt(1 - beta2^(t+1)) / (1 - beta1^(t+1))      (epsilon where that is 0 or not finite)
 *   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2,   theta -= alpha_t m / (sqrt(v) + epsilon)
 * </pre>
 * each rounded as libnd4j 1.0.0-M2.1 rounds it in float: {@code alpha_t} with {@code powf} and {@code sqrtf}, its last
 * division in double; {@code m} and {@code v} as one fused multiply-add each where the native build contracts them
 * (its AVX2 and AVX-512 builds do), as a product and a sum where it does not. Which of the two the loaded build does
 * is found once ({@link #ROUNDING}) by running its {@code adam_updater} on 256 random elements; where neither matches,
 * every parameter stays with libnd4j.
 * <p>
 * Two native calls per parameter cost about 35 microseconds on the ring MLP's parameters (a 2-core AMD EPYC), most of
 * them biases and vectors of a few hundred elements: a tenth of its iteration. Here a parameter's step copies its
 * gradient, m, v and value through buffers bound once into arrays of their own (so that C2 vectorizes the loop) and
 * computes in one loop: the MLP's 12 small parameters 141-164 microseconds a step with libnd4j, 11 here; four
 * {@code [128, 128]} weights 157-233 and 81-85.
 */
final class SmallAdam {

    /** The most elements of a parameter stepped here (as {@code SmallKernels}' limit). */
    static final int MAX = 16384;

    /** How the loaded native build rounds Adam's moment updates. */
    enum Rounding {
        /** {@code fma(beta, state, g-term)}: the build contracts the multiply-add. */
        FUSED,
        /** A product and a sum, each rounded. */
        SEPARATE,
        /** Neither reproduces the build's bits: every parameter is stepped by libnd4j. */
        NATIVE
    }

    static final Rounding ROUNDING = calibrate();

    /** Parameter steps taken here, process-wide (tests check that the Java step ran). */
    private static final java.util.concurrent.atomic.LongAdder STEPS = new java.util.concurrent.atomic.LongAdder();

    private final int n;
    private final float[] g;
    /** m and v (the state array holds m, then v). */
    private final float[] m;
    private final float[] v;
    private final float[] p;
    private final FloatBuffer state;
    private INDArray lastParam;
    private FloatBuffer param;
    private INDArray lastGrad;
    private FloatBuffer grad;

    /** For a parameter of {@code n} elements whose state {@code [1, 2n]} (m, then v) is {@code state}. */
    private SmallAdam(int n, INDArray state) {
        this.n = n;
        this.g = new float[n];
        this.m = new float[n];
        this.v = new float[n];
        this.p = new float[n];
        this.state = state.data().asNioFloat();
    }

    /** A Java step for the parameter, or null where libnd4j keeps it (too large, or {@link Rounding#NATIVE}). */
    static SmallAdam of(INDArray param, INDArray state) {
        long n = param.length();
        if (ROUNDING == Rounding.NATIVE || n == 0 || n > MAX || state.length() != 2 * n || !dense(state)) {
            return null;
        }
        return new SmallAdam((int) n, state);
    }

    /**
     * Float, C order with its default strides: its elements in order from its buffer's position (a view's buffer is
     * positioned at the view's offset).
     */
    static boolean dense(INDArray a) {
        return a.dataType() == DataType.FLOAT && !a.isEmpty() && a.ordering() == 'c'
                && Shape.hasDefaultStridesForShape(a);
    }

    /**
     * Whether this step can read and write these arrays (a parameter replaced by another of another layout, a
     * gradient the optimizer did not copy to C order, are left to libnd4j).
     */
    boolean accepts(INDArray parameter, INDArray gradient) {
        return parameter.length() == n && gradient.length() == n && dense(parameter) && dense(gradient);
    }

    /** One step, {@code alpha} already rounded as libnd4j rounds it ({@link #stepSize}). */
    void step(INDArray parameter, INDArray gradient, float alpha, float beta1, float beta2, float epsilon) {
        if (parameter != lastParam) {
            lastParam = parameter;
            param = parameter.data().asNioFloat();
        }
        if (gradient != lastGrad) {
            lastGrad = gradient;
            grad = gradient.data().asNioFloat();
        }
        grad.get(grad.position(), g, 0, n);
        int at = state.position();
        state.get(at, m, 0, n);
        state.get(at + n, v, 0, n);
        param.get(param.position(), p, 0, n);
        float c1 = 1 - beta1;
        float c2 = 1 - beta2;
        if (ROUNDING == Rounding.FUSED) {
            for (int i = 0; i < n; i++) {
                float gi = g[i];
                float mi = Math.fma(beta1, m[i], gi * c1);
                float vi = Math.fma(beta2, v[i], gi * gi * c2);
                m[i] = mi;
                v[i] = vi;
                p[i] -= (mi * alpha) / ((float) Math.sqrt(vi) + epsilon);
            }
        } else {
            for (int i = 0; i < n; i++) {
                float gi = g[i];
                float mi = beta1 * m[i] + gi * c1;
                float vi = beta2 * v[i] + gi * gi * c2;
                m[i] = mi;
                v[i] = vi;
                p[i] -= (mi * alpha) / ((float) Math.sqrt(vi) + epsilon);
            }
        }
        state.put(at, m, 0, n);
        state.put(at + n, v, 0, n);
        param.put(param.position(), p, 0, n);
        STEPS.increment();
    }

    /** Parameter steps taken in Java so far, process-wide. */
    static long steps() {
        return STEPS.sum();
    }

    /**
     * libnd4j's {@code epsilonT} for the step with index {@code iteration} (0 for the first): {@code beta^(t+1)} by
     * {@code powf} on float arguments, {@code sqrtf} of the double {@code 1 - beta2^(t+1)} rounded to float, times lr
     * in float, divided in double by {@code 1 - beta1^(t+1)} and rounded to float; epsilon where that is NaN, 0 or
     * infinite.
     */
    static float stepSize(double lr, double beta1, double beta2, double epsilon, int iteration) {
        float t = (float) iteration + 1f;
        float beta1T = (float) Math.pow((float) beta1, t);
        float beta2T = (float) Math.pow((float) beta2, t);
        float root = (float) Math.sqrt((float) (1.0 - beta2T));
        float alpha = (float) ((double) ((float) lr * root) / (1.0 - beta1T));
        return Float.isNaN(alpha) || alpha == 0f || Float.isInfinite(alpha) ? (float) epsilon : alpha;
    }

    /**
     * Runs the native {@code adam_updater} on 256 random elements (gradients, moments and magnitudes over eight
     * decades) and keeps the rounding whose update, m and v all have its bits.
     */
    private static Rounding calibrate() {
        try {
            int n = 256;
            SplittableRandom r = new SplittableRandom(20261204L);
            float[] g = new float[n];
            float[] m = new float[n];
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                g[i] = (float) (gaussian(r) * Math.pow(10, r.nextInt(8) - 5));
                m[i] = (float) (gaussian(r) * 1e-3);
                v[i] = (float) Math.abs(gaussian(r) * 1e-5);
            }
            double lr = 2e-4;
            double beta1 = 0.5;
            double beta2 = 0.999;
            double eps = 1e-8;
            int iteration = 6;
            INDArray gradient = Nd4j.createFromArray(g);
            INDArray u = Nd4j.createFromArray(v);
            INDArray mm = Nd4j.createFromArray(m);
            INDArray update = gradient.like();
            INDArray u2 = u.like();
            INDArray m2 = mm.like();
            Nd4j.exec(new AdamUpdater(gradient, u, mm, update, u2, m2, lr, beta1, beta2, eps, iteration));
            float[] up = update.toFloatVector();
            float[] vs = u2.toFloatVector();
            float[] ms = m2.toFloatVector();
            float alpha = stepSize(lr, beta1, beta2, eps, iteration);
            for (Rounding rounding : new Rounding[] {Rounding.FUSED, Rounding.SEPARATE}) {
                boolean same = true;
                float b1 = (float) beta1;
                float b2 = (float) beta2;
                for (int i = 0; i < n && same; i++) {
                    float mi = rounding == Rounding.FUSED ? Math.fma(b1, m[i], g[i] * (1 - b1))
                            : b1 * m[i] + g[i] * (1 - b1);
                    float vi = rounding == Rounding.FUSED ? Math.fma(b2, v[i], g[i] * g[i] * (1 - b2))
                            : b2 * v[i] + g[i] * g[i] * (1 - b2);
                    float ui = (mi * alpha) / ((float) Math.sqrt(vi) + (float) eps);
                    same = bits(mi, ms[i]) && bits(vi, vs[i]) && bits(ui, up[i]);
                }
                if (same) {
                    return rounding;
                }
            }
            return Rounding.NATIVE;
        } catch (RuntimeException | LinkageError e) {
            return Rounding.NATIVE;
        }
    }

    private static boolean bits(float a, float b) {
        return Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b);
    }

    /** A standard normal value (Box-Muller), from the calibration's own generator. */
    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
