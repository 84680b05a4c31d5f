package org.jgan.engine.internal.penalty;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.DataShape;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.mlp.internal.MlpArchitecture;
import org.jgan.regularizers.internal.R1Penalty;
import org.jgan.regularizers.internal.WganGpPenalty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training with a gradient penalty follows the trajectory of the exact gradient, on a problem whose exact gradient
 * is known in closed form: the project's MLP discriminator with one hidden layer of ReLUs,
 * {@code D(x) = sum_k a_k relu(w_k . x + b_k) + c} on 2-D points, trained by plain gradient descent on the
 * penalty alone. Its input gradient is {@code grad_x D = sum_k a_k m_k w_k} with the masks
 * {@code m_k = [w_k . x + b_k > 0]}, so with {@code s = |grad_x D|^2}:
 * <pre>
 *   ds/da_k = 2 m_k (w_k . grad_x D),   ds/dw_k = 2 m_k a_k grad_x D,   ds/db_k = ds/dc = 0
 * </pre>
 * The reference integrates these in double precision from the same initial weights; the engine trains in float32
 * through {@link InputGradientPenalty}. Along the way the hidden units' masks change at many points (the test
 * counts them), and the engine must follow the exact trajectory through every such change.
 */
class PenalizedTrajectoryTest {

    private static final int HIDDEN = 16, BATCH = 64, STEPS = 300;

    @ParameterizedTest
    @EnumSource(InputGradientPenalty.Method.class)
    void wganGpTrainingFollowsTheExactGradient(InputGradientPenalty.Method method) {
        // WGAN-GP, lambda (|g| - 1)^2: drives every point's input-gradient norm to 1
        follow(method, new WganGpPenalty(), Map.of("lambda", "1"), 0.05,
                (s) -> Math.pow(Math.sqrt(s + 1e-12) - 1, 2), (s) -> (Math.sqrt(s + 1e-12) - 1) / Math.sqrt(s + 1e-12));
    }

    @ParameterizedTest
    @EnumSource(InputGradientPenalty.Method.class)
    void r1TrainingFollowsTheExactGradient(InputGradientPenalty.Method method) {
        // R1, gamma/2 |g|^2 with gamma 2: drives the input gradient at the data to 0
        follow(method, new R1Penalty(), Map.of("gamma", "2"), 0.05, (s) -> s, (s) -> 1);
    }

    interface F {
        double at(double s);
    }

    private static void follow(InputGradientPenalty.Method method, org.jgan.api.GradientPenalty penalty,
            Map<String, String> options, double lr, F f, F fS) {
        MlpArchitecture arch = new MlpArchitecture();
        Networks nets = arch.create(new DataShape(2), 2, 0, Options.resolve("architecture", arch.options(),
                Map.of("hidden", Integer.toString(HIDDEN), "dLayers", "1", "activation", "relu", "init", "normal",
                        "initStd", "0.7")));
        ParameterStore store = new ParameterStore(3);
        ComponentCatalog.Entry entry = new ComponentCatalog.Entry(Kind.PENALTY, "p", penalty, "test", "0");
        RunSpec.RegularizerChoice choice = new RunSpec.RegularizerChoice(entry,
                Options.resolve("penalty", penalty.options(), options), 1, 1, false, 0.01);
        InputGradientPenalty engine = new InputGradientPenalty(choice, 1, nets, new DataShape(2), 0, store, List.of(),
                method);
        assertEquals(method, engine.method());
        // biases start off zero, so the units' kinks do not all pass through the origin
        SplittableRandom rng = new SplittableRandom(9);
        Nd4j.getRandom().setSeed(11);
        store.params().get("d/fc0/b").assign(Nd4j.rand(DataType.FLOAT, HIDDEN).subi(0.5));
        double[][] x = new double[BATCH][2];
        for (double[] row : x) {
            row[0] = 2 * rng.nextGaussian();
            row[1] = 2 * rng.nextGaussian();
        }
        INDArray points = Nd4j.create(x).castTo(DataType.FLOAT);
        Exact exact = new Exact(store);
        int maskChanges = 0;
        boolean[][] masks = exact.masks(x);
        double worst = 0;
        for (int step = 0; step < STEPS; step++) {
            Map<String, INDArray> got = engine.evaluate(List.of(points), null, 1.0).gradients();
            for (String name : List.of("d/fc0/W", "d/fc0/b", "d/out/W", "d/out/b")) {
                INDArray g = got.get(name);
                if (g != null) {
                    store.params().get(name).subi(g.mul(lr));
                }
            }
            exact.step(x, lr, fS);
            boolean[][] now = exact.masks(x);
            for (int i = 0; i < BATCH; i++) {
                for (int k = 0; k < HIDDEN; k++) {
                    maskChanges += now[i][k] != masks[i][k] ? 1 : 0;
                }
            }
            masks = now;
            worst = Math.max(worst, exact.distance(store));
        }
        System.out.printf("%s, %s: %d steps, %d mask changes on the way, penalty %.4f at the end; largest relative distance "
                + "of the engine's weights from the exact trajectory %.2e%n", penalty.getClass().getSimpleName(), method, STEPS,
                maskChanges, exact.penalty(x, f), worst);
        assertTrue(maskChanges >= 20, "the trajectory must cross kinks to test anything: " + maskChanges);
        assertTrue(worst < 1e-3, "the engine's weights left the exact trajectory: relative distance " + worst);
    }

    /** The one-hidden-layer ReLU discriminator and its penalty gradient in closed form, in double precision. */
    private static final class Exact {
        final double[][] w; // [2][HIDDEN]
        final double[] b;
        final double[] a;
        double c;

        Exact(ParameterStore store) {
            INDArray w0 = store.params().get("d/fc0/W");
            w = w0 == null ? new double[2][HIDDEN] : w0.castTo(DataType.DOUBLE).toDoubleMatrix();
            b = store.params().get("d/fc0/b") == null ? new double[HIDDEN]
                    : store.params().get("d/fc0/b").castTo(DataType.DOUBLE).toDoubleVector();
            a = store.params().get("d/out/W") == null ? new double[HIDDEN]
                    : store.params().get("d/out/W").castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
            c = store.params().get("d/out/b") == null ? 0 : store.params().get("d/out/b").getDouble(0);
        }

        boolean[][] masks(double[][] x) {
            boolean[][] m = new boolean[x.length][HIDDEN];
            for (int i = 0; i < x.length; i++) {
                for (int k = 0; k < HIDDEN; k++) {
                    m[i][k] = x[i][0] * w[0][k] + x[i][1] * w[1][k] + b[k] > 0;
                }
            }
            return m;
        }

        /** grad_x D at each point. */
        double[][] inputGradients(double[][] x) {
            boolean[][] m = masks(x);
            double[][] g = new double[x.length][2];
            for (int i = 0; i < x.length; i++) {
                for (int k = 0; k < HIDDEN; k++) {
                    if (m[i][k]) {
                        g[i][0] += a[k] * w[0][k];
                        g[i][1] += a[k] * w[1][k];
                    }
                }
            }
            return g;
        }

        double penalty(double[][] x, F f) {
            double sum = 0;
            for (double[] g : inputGradients(x)) {
                sum += f.at(g[0] * g[0] + g[1] * g[1]);
            }
            return sum / x.length;
        }

        /** One step of gradient descent on mean_i f(s_i), with f'(s) given. */
        void step(double[][] x, double lr, F fS) {
            boolean[][] m = masks(x);
            double[][] g = inputGradients(x);
            double[] da = new double[HIDDEN];
            double[][] dw = new double[2][HIDDEN];
            for (int i = 0; i < x.length; i++) {
                double coef = fS.at(g[i][0] * g[i][0] + g[i][1] * g[i][1]) / x.length;
                for (int k = 0; k < HIDDEN; k++) {
                    if (m[i][k]) {
                        da[k] += coef * 2 * (w[0][k] * g[i][0] + w[1][k] * g[i][1]);
                        dw[0][k] += coef * 2 * a[k] * g[i][0];
                        dw[1][k] += coef * 2 * a[k] * g[i][1];
                    }
                }
            }
            for (int k = 0; k < HIDDEN; k++) {
                a[k] -= lr * da[k];
                w[0][k] -= lr * dw[0][k];
                w[1][k] -= lr * dw[1][k];
            }
        }

        /** |engine - exact| / |exact| over all of D's weights. */
        double distance(ParameterStore store) {
            double num = 0;
            double den = 0;
            double[][] ew = store.params().get("d/fc0/W").castTo(DataType.DOUBLE).toDoubleMatrix();
            double[] ea = store.params().get("d/out/W").castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
            double[] eb = store.params().get("d/fc0/b").castTo(DataType.DOUBLE).toDoubleVector();
            double ec = store.params().get("d/out/b").getDouble(0);
            for (int k = 0; k < HIDDEN; k++) {
                for (int j = 0; j < 2; j++) {
                    num += Math.pow(ew[j][k] - w[j][k], 2);
                    den += w[j][k] * w[j][k];
                }
                num += Math.pow(ea[k] - a[k], 2) + Math.pow(eb[k] - b[k], 2);
                den += a[k] * a[k] + b[k] * b[k];
            }
            num += Math.pow(ec - c, 2);
            den += c * c;
            return Math.sqrt(num / den);
        }
    }
}
