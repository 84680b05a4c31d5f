package org.jgan.engine.internal.model;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.jgan.engine.internal.graph.GraphPlan;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.transforms.custom.Pow;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adam's step for one parameter of at most {@link #MAX} elements, in Java, with the bits of libnd4j's
 * {@code adam_updater} followed by the {@code subtract} that {@link Optimizer} runs for larger parameters:
 * <pre>
 *   alpha_t = lr sqrt(1 - beta2^(t+1)) / (1 - beta1^(t+1))      (epsilon where that is 0 or not finite)
 *   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2,   theta -= alpha_t m / (sqrt(v) + epsilon)
 * </pre>
 * each rounded as libnd4j 1.0.0-M2.1 rounds it in float: {@code alpha_t} with libnd4j's {@code pow} and
 * {@code sqrtf}, its last division in double ({@link StepSize}); {@code m} and {@code v} as one fused multiply-add
 * each where the native build contracts them (its AVX2 and AVX-512 builds do), as a product and a sum where it does
 * not ({@link #moment}). Which of the two the loaded build does is found once ({@link #ROUNDING}) by running its
 * {@code adam_updater} on 257 random elements at four step indices; where neither matches, every parameter stays
 * with libnd4j.
 * <p>
 * Two native calls per parameter took a tenth of the ring MLP's iteration in a JFR profile (a 2-core AMD EPYC; about
 * 0.55 ms for its 16 parameters, 12 of them biases and vectors of 1 to 2,048 elements). Here a parameter's step
 * copies its gradient, m, v and value through buffers bound once into arrays of their own (so that C2 vectorizes the
 * loop) and computes in one loop: in a harness of the step alone, the MLP's 12 small parameters 141-164
 * microseconds a step with libnd4j, 13-20 here (with {@link StepSize}'s native call); its four {@code [128, 128]}
 * weights (at the limit) 157-233 and 81-85.
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

    /** Float, dense in C order, read from its buffer's position (a view's buffer is positioned at its offset). */
    static boolean dense(INDArray a) {
        return GraphPlan.denseFloats(a);
    }

    /**
     * Whether this step can read and write these arrays (a parameter replaced by another of another layout, a
     * gradient the optimizer did not copy to C order, are left to libnd4j).
     */
    boolean accepts(INDArray parameter, INDArray gradient) {
        return parameter.length() == n && gradient.length() == n && dense(parameter) && dense(gradient);
    }

    /** Forgets the gradient array bound last (a copy the optimizer frees after the step). */
    void unbindGradient() {
        lastGrad = null;
        grad = null;
    }

    /** One step, {@code alpha} already rounded as libnd4j rounds it ({@link StepSize}). */
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
        // one loop per rounding, so that the rounding is a constant in each (C2 vectorizes both)
        if (ROUNDING == Rounding.FUSED) {
            for (int i = 0; i < n; i++) {
                float gi = g[i];
                m[i] = moment(true, beta1, m[i], gi * c1);
                v[i] = moment(true, beta2, v[i], gi * gi * c2);
                p[i] -= update(m[i], v[i], alpha, epsilon);
            }
        } else {
            for (int i = 0; i < n; i++) {
                float gi = g[i];
                m[i] = moment(false, beta1, m[i], gi * c1);
                v[i] = moment(false, beta2, v[i], gi * gi * c2);
                p[i] -= update(m[i], v[i], alpha, epsilon);
            }
        }
        state.put(at, m, 0, n);
        state.put(at + n, v, 0, n);
        param.put(param.position(), p, 0, n);
        STEPS.increment();
    }

    /**
     * A moment's new value {@code beta state + term} ({@code term} the gradient's part, already rounded): one fused
     * multiply-add, or a product and a sum.
     */
    static float moment(boolean fused, float beta, float state, float term) {
        return fused ? Math.fma(beta, state, term) : beta * state + term;
    }

    /** The update {@code alpha m / (sqrt(v) + epsilon)} in float. */
    static float update(float m, float v, float alpha, float epsilon) {
        return (m * alpha) / ((float) Math.sqrt(v) + epsilon);
    }

    /** Parameter steps taken in Java so far, process-wide. */
    static long steps() {
        return STEPS.sum();
    }

    /**
     * libnd4j's {@code epsilonT} for the step with index {@code iteration} (0 for the first): {@code beta^(t+1)} with
     * float arguments by libnd4j's own {@code pow} (its {@code powf} is not correctly rounded: against
     * {@code (float) Math.pow} it differs for 2,075 of the first 2^21 step indices at beta 0.999, from the 873rd on),
     * then {@code sqrtf} of the double {@code 1 - beta2^(t+1)} rounded to float, times lr in float, divided in double
     * by {@code 1 - beta1^(t+1)} and rounded to float; epsilon where that is NaN, 0 or infinite. One native call a step
     * (not a parameter), through arrays and an op context made once.
     */
    static final class StepSize implements AutoCloseable {
        private final INDArray base = Nd4j.create(DataType.FLOAT, 2);
        private final INDArray exponent = Nd4j.create(DataType.FLOAT, 2);
        private final INDArray powers = Nd4j.create(DataType.FLOAT, 2);
        private final OpContext context = Nd4j.getExecutioner().buildContext();
        private final CustomOp pow = new Pow();

        StepSize() {
            context.setInputArrays(base, exponent);
            context.setOutputArrays(powers);
        }

        float at(double lr, double beta1, double beta2, double epsilon, int iteration) {
            float t = (float) iteration + 1f;
            base.putScalar(0, (float) beta1);
            base.putScalar(1, (float) beta2);
            exponent.putScalar(0, t);
            exponent.putScalar(1, t);
            Nd4j.exec(pow, context);
            float beta1T = powers.getFloat(0);
            float beta2T = powers.getFloat(1);
            float root = (float) Math.sqrt((float) (1.0 - beta2T));
            float alpha = (float) ((double) ((float) lr * root) / (1.0 - beta1T));
            return Float.isNaN(alpha) || alpha == 0f || Float.isInfinite(alpha) ? (float) epsilon : alpha;
        }

        @Override
        public void close() {
            try {
                context.purge();
                context.close();
            } catch (Exception e) {
                // a context that cannot be closed is left to the garbage collector
            }
            base.close();
            exponent.close();
            powers.close();
        }
    }

    /**
     * Runs the native {@code adam_updater} on 257 random elements (gradients over eight decades, moments of magnitudes
     * its terms meet; an odd count, so that a vectorized kernel's tail is in it) at four step indices, with beta1 = 0.9
     * (whose products with m round, unlike 0.5's), and keeps the rounding whose update, m and v all have its bits at
     * every one of them.
     */
    private static Rounding calibrate() {
        try {
            int n = 257;
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
            double beta1 = 0.9;
            double beta2 = 0.999;
            double eps = 1e-8;
            boolean fused = true;
            boolean separate = true;
            try (StepSize stepSize = new StepSize()) {
                for (int iteration : new int[] {0, 6, 999, 123456}) {
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
                    float alpha = stepSize.at(lr, beta1, beta2, eps, iteration);
                    fused &= matches(true, g, m, v, (float) beta1, (float) beta2, (float) eps, alpha, ms, vs, up);
                    separate &= matches(false, g, m, v, (float) beta1, (float) beta2, (float) eps, alpha, ms, vs, up);
                }
            }
            return fused ? Rounding.FUSED : separate ? Rounding.SEPARATE : Rounding.NATIVE;
        } catch (RuntimeException | LinkageError e) {
            return Rounding.NATIVE;
        }
    }

    /** Whether one rounding gives the native update, m and v, bit for bit. */
    private static boolean matches(boolean fused, float[] g, float[] m, float[] v, float b1, float b2, float eps,
            float alpha, float[] ms, float[] vs, float[] up) {
        for (int i = 0; i < g.length; i++) {
            float mi = moment(fused, b1, m[i], g[i] * (1 - b1));
            float vi = moment(fused, b2, v[i], g[i] * g[i] * (1 - b2));
            float ui = update(mi, vi, alpha, eps);
            if (!bits(mi, ms[i]) || !bits(vi, vs[i]) || !bits(ui, up[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean bits(float a, float b) {
        return Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b);
    }

    /** A standard normal value (Box-Muller), from the calibration's own generator. */
    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
