package org.jgan.engine.internal.penalty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;
import org.jgan.api.DataShape;
import org.jgan.api.GradientPenalty;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.mlp.internal.MlpArchitecture;
import org.jgan.regularizers.internal.DraganPenalty;
import org.jgan.regularizers.internal.R1Penalty;
import org.jgan.regularizers.internal.R2Penalty;
import org.jgan.regularizers.internal.RothFRegularizer;
import org.jgan.regularizers.internal.RothJsRegularizer;
import org.jgan.regularizers.internal.WganGpPenalty;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first-order parameter gradient of every input-gradient penalty against a double-precision reference: the
 * same tanh MLP discriminator written out in Java doubles, its input gradient by hand-written backpropagation,
 * the exact penalty, and central finite differences over every parameter.
 */
class GradientPenaltyAccuracyTest {

    private static final int IN = 3, HIDDEN = 8, BATCH = 8;

    /** The per-sample penalty f(psi, s) of each component, in double precision, by group. */
    interface Reference {
        double f(int group, double psi, double s);
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    @Test
    void r1() {
        check(new R1Penalty(), Map.of("gamma", "10"), 1, (g, psi, s) -> 5 * s);
    }

    @Test
    void r2() {
        check(new R2Penalty(), Map.of("gamma", "3"), 1, (g, psi, s) -> 1.5 * s);
    }

    @Test
    void wganGp() {
        check(new WganGpPenalty(), Map.of(), 1, (g, psi, s) -> 10 * Math.pow(Math.sqrt(s + 1e-12) - 1, 2));
    }

    @Test
    void dragan() {
        check(new DraganPenalty(), Map.of("lambda", "4"), 1, (g, psi, s) -> 4 * Math.pow(Math.sqrt(s + 1e-12) - 1, 2));
    }

    @Test
    void rothJs() {
        check(new RothJsRegularizer(), Map.of("gamma", "2"), 2, (g, psi, s) -> g == 0
                ? Math.pow(1 - sigmoid(psi), 2) * s : Math.pow(sigmoid(psi), 2) * s);
    }

    @Test
    void rothF() {
        for (String f : List.of("kl", "reverse-kl", "pearson", "squared-hellinger", "js")) {
            DoubleBinaryOperator w = switch (f) {
                case "kl" -> (v, s) -> Math.exp(v - 1) * s;
                case "reverse-kl" -> (v, s) -> s;
                case "pearson" -> (v, s) -> 0.5 * s;
                case "squared-hellinger" -> (v, s) -> 2 * Math.exp(v) * s;
                default -> (v, s) -> sigmoid(v) * s;
            };
            check(new RothFRegularizer(), Map.of("divergence", f, "gamma", "2"), 1, (g, psi, s) -> w.applyAsDouble(psi, s));
        }
    }

    private static void check(GradientPenalty penalty, Map<String, String> options, int groups, Reference ref) {
        Networks nets = new MlpArchitecture().create(new DataShape(IN), 2, 0, Options.resolve("architecture",
                new MlpArchitecture().options(), Map.of("hidden", Integer.toString(HIDDEN), "dLayers", "2",
                        "activation", "tanh", "init", "normal", "initStd", "0.5")));
        check("tanh MLP", penalty, options, groups, ref, nets, new DataShape(IN), BATCH, Mlp::new);
    }

    static void check(String network, GradientPenalty penalty, Map<String, String> options, int groups, Reference ref,
            Networks nets, DataShape shape, int batch, java.util.function.Function<ParameterStore, DoubleNet> reference) {
        final int in = Math.toIntExact(shape.size());
        Options opts = Options.resolve("penalty", penalty.options(), options);
        ParameterStore store = new ParameterStore(42);
        ComponentCatalog.Entry entry = new ComponentCatalog.Entry(Kind.PENALTY, "p", penalty, "test", "0");
        RunSpec.RegularizerChoice choice = new RunSpec.RegularizerChoice(entry, opts, 1, 1, false, 0.01);
        InputGradientPenalty engine = new InputGradientPenalty(choice, groups, nets, shape, 0, store, List.of());
        List<INDArray> points = new ArrayList<>();
        List<double[][]> pointsD = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(7);
        for (int g = 0; g < groups; g++) {
            double[][] x = new double[batch][in];
            for (double[] row : x) {
                for (int j = 0; j < in; j++) {
                    row[j] = rng.nextGaussian();
                }
            }
            pointsD.add(x);
            points.add(Nd4j.create(x).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).reshape(shape.batched(batch)));
        }
        // an evaluation on other points first: a result must depend on its own input only (training evaluates the
        // penalty on a new batch every step)
        List<INDArray> other = new ArrayList<>();
        points.forEach(p -> other.add(p.mul(0.5).add(0.3)));
        engine.evaluate(other, null, 1.0);
        InputGradientPenalty.Result got = engine.evaluate(points, null, 1.0);

        // gamma = 2 for the Roth regularizers, so their gamma/2 factor is 1 and the references omit it
        DoubleNet net = reference.apply(store);
        assertEquals(net.penalty(pointsD, ref), got.value(), 1e-4 * Math.max(1, Math.abs(got.value())),
                penalty.description() + " " + options + ": value");
        double num = 0;
        double den = 0;
        for (String name : store.names(org.jgan.api.Side.DISCRIMINATOR)) {
            INDArray param = store.params().get(name);
            // a parameter the penalty's gradient is 0 for by construction may have no entry (D's output bias when
            // the term ignores the logit): the finite differences must find 0 too
            INDArray engineGrad = got.gradients().getOrDefault(name, Nd4j.zeros(param.dataType(), param.shape()));
            double[] flat = param.dup().data().asDouble();
            for (int k = 0; k < flat.length; k++) {
                double h = net.step();
                double orig = net.get(name, k);
                net.set(name, k, orig + h);
                double plus = net.penalty(pointsD, ref);
                net.set(name, k, orig - h);
                double minus = net.penalty(pointsD, ref);
                net.set(name, k, orig);
                double fd = (plus - minus) / (2 * h);
                double e = engineGrad.reshape(-1).getDouble(k);
                num += (e - fd) * (e - fd);
                den += fd * fd;
            }
        }
        double rel = Math.sqrt(num / den);
        System.out.printf("%s, %s %s: relative error of the parameter gradient %.2e%n", network,
                penalty.getClass().getSimpleName(), options, rel);
        assertTrue(rel <= 1e-3, network + ", " + penalty.description() + " " + options + ": relative error " + rel);
    }

    /**
     * A discriminator in double precision with the exact penalty {@code sum_groups mean_i f(psi_i, |g_i|^2)},
     * {@code g = grad_X sum_j psi(X)_j} (per-sample gradients when rows do not interact).
     */
    abstract static class DoubleNet {
        final Map<String, double[]> p = new java.util.HashMap<>();

        DoubleNet(ParameterStore store) {
            for (String n : store.names(org.jgan.api.Side.DISCRIMINATOR)) {
                p.put(n, store.params().get(n).dup().data().asDouble());
            }
        }

        double get(String n, int k) {
            return p.get(n)[k];
        }

        void set(String n, int k, double v) {
            p.get(n)[k] = v;
        }

        /** Parameter step of the outer finite difference. */
        double step() {
            return 1e-6;
        }

        /** Per row of the batch: [psi, rows of grad_X sum_j psi_j]. */
        abstract double[][] forward(double[][] x);

        double penalty(List<double[][]> groups, Reference f) {
            double total = 0;
            for (int g = 0; g < groups.size(); g++) {
                double sum = 0;
                for (double[] psiAndGrad : forward(groups.get(g))) {
                    double s = 0;
                    for (int j = 1; j < psiAndGrad.length; j++) {
                        s += psiAndGrad[j] * psiAndGrad[j];
                    }
                    sum += f.f(g, psiAndGrad[0], s);
                }
                total += sum / groups.get(g).length;
            }
            return total;
        }
    }

    /** The discriminator tanh(x W0 + b0) -> tanh(. W1 + b1) -> . W2 + b2 in double precision. */
    static final class Mlp extends DoubleNet {

        Mlp(ParameterStore store) {
            super(store);
        }

        @Override
        double[][] forward(double[][] batch) {
            double[][] out = new double[batch.length][];
            for (int i = 0; i < batch.length; i++) {
                out[i] = forward(batch[i]);
            }
            return out;
        }

        /** [psi, d psi / d x_0 .. d psi / d x_{IN-1}]. */
        double[] forward(double[] x) {
            double[] w0 = p.get("d/fc0/W"), b0 = p.get("d/fc0/b"), w1 = p.get("d/fc1/W"), b1 = p.get("d/fc1/b");
            double[] w2 = p.get("d/out/W"), b2 = p.get("d/out/b");
            double[] h1 = new double[HIDDEN];
            for (int j = 0; j < HIDDEN; j++) {
                double a = b0[j];
                for (int i = 0; i < IN; i++) {
                    a += x[i] * w0[i * HIDDEN + j];
                }
                h1[j] = Math.tanh(a);
            }
            double[] h2 = new double[HIDDEN];
            for (int j = 0; j < HIDDEN; j++) {
                double a = b1[j];
                for (int i = 0; i < HIDDEN; i++) {
                    a += h1[i] * w1[i * HIDDEN + j];
                }
                h2[j] = Math.tanh(a);
            }
            double psi = b2[0];
            for (int i = 0; i < HIDDEN; i++) {
                psi += h2[i] * w2[i];
            }
            double[] d2 = new double[HIDDEN];
            for (int i = 0; i < HIDDEN; i++) {
                d2[i] = w2[i] * (1 - h2[i] * h2[i]);
            }
            double[] d1 = new double[HIDDEN];
            for (int i = 0; i < HIDDEN; i++) {
                double a = 0;
                for (int j = 0; j < HIDDEN; j++) {
                    a += w1[i * HIDDEN + j] * d2[j];
                }
                d1[i] = a * (1 - h1[i] * h1[i]);
            }
            double[] out = new double[IN + 1];
            out[0] = psi;
            for (int i = 0; i < IN; i++) {
                double a = 0;
                for (int j = 0; j < HIDDEN; j++) {
                    a += w0[i * HIDDEN + j] * d1[j];
                }
                out[i + 1] = a;
            }
            return out;
        }
    }
}
