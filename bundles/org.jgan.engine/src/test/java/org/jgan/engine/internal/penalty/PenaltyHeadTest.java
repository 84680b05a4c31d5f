package org.jgan.engine.internal.penalty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.bytedeco.javacpp.Pointer;
import org.jgan.api.DataShape;
import org.jgan.api.GradientPenalty;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Side;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.mlp.internal.MlpArchitecture;
import org.jgan.regularizers.internal.DraganPenalty;
import org.jgan.regularizers.internal.R1Penalty;
import org.jgan.regularizers.internal.RothJsRegularizer;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The penalty's head graph against the coefficients written out here in float64, and the allocations of a penalized
 * evaluation.
 */
class PenaltyHeadTest {

    /** f(group, psi, s) and its partial derivatives, in float64. */
    private interface Term {
        double[] valueAndPartials(int group, double psi, double s);
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    @Test
    void r1() {
        check(new R1Penalty(), Map.of("gamma", "3"), 0, (g, psi, s) -> new double[] {1.5 * s, 0, 1.5});
    }

    @Test
    void dragan() {
        // lambda (sqrt(s + 1e-12) - 1)^2, as UnitGradientNorm writes it
        check(new DraganPenalty(), Map.of("lambda", "4"), 0, (g, psi, s) -> {
            double r = Math.sqrt(s + 1e-12);
            return new double[] {4 * (r - 1) * (r - 1), 0, 4 * (r - 1) / r};
        });
    }

    @Test
    void rothJsBothGroups() {
        // gamma/2 (1 - D)^2 s on the data's group, gamma/2 D^2 s on the generator's, D = sigmoid(psi)
        Term t = (g, psi, s) -> {
            double d = sigmoid(psi);
            double w = g == 0 ? (1 - d) * (1 - d) : d * d;
            double dw = g == 0 ? -2 * (1 - d) * d * (1 - d) : 2 * d * d * (1 - d);
            return new double[] {w * s, dw * s, w};
        };
        check(new RothJsRegularizer(), Map.of("gamma", "2"), 0, t);
        check(new RothJsRegularizer(), Map.of("gamma", "2"), 1, t);
    }

    /**
     * A group of one point first, then other sizes and one again: SameDiff copied the first {@code [1, 1]} logits
     * into the variable's initial array of that shape instead of taking them, so a head that kept its own array
     * fed the logits 0 for as long as groups had one point.
     */
    @Test
    void groupsOfOnePointAndChangingSizes() {
        Term t = (g, psi, s) -> {
            double d = sigmoid(psi);
            return new double[] {(1 - d) * (1 - d) * s, -2 * d * (1 - d) * (1 - d) * s, (1 - d) * (1 - d)};
        };
        check(new RothJsRegularizer(), Map.of("gamma", "2"), 0, t, 1, 1, 5, 1, 5);
    }

    /**
     * One head on logits and image-shaped input gradients: the unscaled sum, {@code a = c f_psi} and
     * {@code u = 2 c f_s g} within float32 rounding of the float64 values; then a second call with other values
     * (the head refills its arrays).
     */
    private static void check(GradientPenalty penalty, Map<String, String> options, int group, Term term) {
        check(penalty, options, group, term, 6, 6, 6);
    }

    private static void check(GradientPenalty penalty, Map<String, String> options, int group, Term term,
            int... sizes) {
        PenaltyHead head = new PenaltyHead(penalty, choice(penalty, options), null, group);
        try {
            SplittableRandom rng = new SplittableRandom(3 + group);
            for (int call = 0; call < sizes.length; call++) {
                int n = sizes[call];
                double c = 0.7 / n * (call + 1);
                double[] psi = new double[n];
                double[][] g = new double[n][2 * 3 * 4];
                for (int i = 0; i < n; i++) {
                    psi[i] = 3 * rng.nextDouble() - 1.5;
                    for (int j = 0; j < g[i].length; j++) {
                        g[i][j] = rng.nextGaussian() * (i + 1) / 4;
                    }
                }
                // float32 inputs, and the references on the same rounded values
                INDArray psiF = Nd4j.create(psi, new long[] {n, 1}, DataType.FLOAT);
                INDArray gF = Nd4j.create(g).castTo(DataType.FLOAT).reshape(n, 2, 3, 4);
                psi = psiF.castTo(DataType.DOUBLE).data().asDouble();
                double[] gFlat = gF.castTo(DataType.DOUBLE).data().asDouble();
                // every other call in F order, the last a view at an offset into a longer batch: the head reads
                // the values, not the buffer's order or start
                INDArray given = call % 2 == 1 ? gF.dup('f') : gF;
                if (call == sizes.length - 1) {
                    INDArray longer = Nd4j.zeros(DataType.FLOAT, n + 1, 2, 3, 4);
                    longer.get(NDArrayIndex.interval(1, n + 1)).assign(gF);
                    given = longer.get(NDArrayIndex.interval(1, n + 1));
                    assertTrue(given.offset() > 0, "a view at an offset");
                }
                PenaltyHead.Result r = head.run(psiF, given, c);
                double total = 0;
                double worstA = 0;
                double worstU = 0;
                double largestU = 0;
                double absoluteU = 0;
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < 24; j++) {
                        s += gFlat[24 * i + j] * gFlat[24 * i + j];
                    }
                    double[] f = term.valueAndPartials(group, psi[i], s);
                    total += f[0];
                    if (r.a() != null) {
                        double error = Math.abs(r.a().getDouble(i, 0) - c * f[1]);
                        worstA = Math.max(worstA, error / Math.max(1e-3, c * Math.abs(f[1])));
                    } else {
                        assertEquals(0, f[1], "a penalty that ignores the logits has no coefficient a");
                    }
                    INDArray uRow = r.u().reshape(n, 24);
                    for (int j = 0; j < 24; j++) {
                        double expected = 2 * c * f[2] * gFlat[24 * i + j];
                        largestU = Math.max(largestU, Math.abs(expected));
                        worstU = Math.max(worstU, Math.abs(uRow.getDouble(i, j) - expected));
                        absoluteU += Math.abs(expected);
                    }
                }
                assertEquals(total, r.total(), 1e-5 * Math.abs(total), "the unscaled sum, call " + call + ", " + n
                        + " points");
                assertTrue(worstA <= 1e-5, "a = c f_psi, relative error " + worstA);
                assertTrue(worstU <= 1e-5 * largestU, "u = 2 c f_s g: error " + worstU + " of " + largestU);
                assertEquals(absoluteU, r.uAbsoluteSum(), 1e-5 * absoluteU, "sum |u|");
                assertEquals(List.of((long) n, 2L, 3L, 4L), Arrays.stream(r.u().shape()).boxed().toList(),
                        "u in the points' shape");
            }
        } finally {
            head.release();
        }
    }

    /**
     * {@code sum |u|} decides whether there is a second-order term: 0 for input gradients that are all 0, undefined
     * or infinite where one is.
     */
    @Test
    void theAbsoluteSumFindsUndefinedAndZeroDirections() {
        PenaltyHead head = new PenaltyHead(new R1Penalty(), choice(new R1Penalty(), Map.of()), null, 0);
        try {
            INDArray psi = Nd4j.zeros(DataType.FLOAT, 3, 1);
            double c = 0.5;
            // R1 (gamma 10): u = 2 c (gamma / 2) g = 5 g
            assertEquals(5 * 6, head.run(psi, Nd4j.create(new float[] {1, -2, 3}, 3, 1), c).uAbsoluteSum(), 1e-5);
            assertEquals(0, head.run(psi, Nd4j.zeros(DataType.FLOAT, 3, 1), c).uAbsoluteSum());
            assertTrue(Double.isNaN(head.run(psi, Nd4j.create(new float[] {1, Float.NaN, 3}, 3, 1), c)
                    .uAbsoluteSum()));
            INDArray infinite = Nd4j.create(new float[] {1, Float.NEGATIVE_INFINITY, 0}, 3, 1);
            assertTrue(Double.isInfinite(head.run(psi, infinite, c).uAbsoluteSum()));
            assertFalse(PenaltyHead.usable(Nd4j.zeros(DataType.FLOAT, 4, 1)));
            assertTrue(PenaltyHead.usable(Nd4j.create(new float[] {0, 0, -1e-30f}, 3, 1)));
            assertFalse(PenaltyHead.usable(Nd4j.create(new float[] {1, Float.NaN}, 2, 1)));
            assertFalse(PenaltyHead.usable(Nd4j.create(new float[] {1, Float.POSITIVE_INFINITY}, 2, 1)));
        } finally {
            head.release();
        }
    }

    /**
     * A term that ignores the squared norm has no second-order term: u is 0, its sum 0, whatever the gradient holds
     * (an infinite element included); a group of no points is refused with a message naming the shapes.
     */
    @Test
    void aTermWithoutTheNormAndAnEmptyGroup() {
        GradientPenalty logitOnly = new GradientPenalty() {
            @Override
            public String description() {
                return "psi^2 alone";
            }

            @Override
            public List<SDVariable> points(RegularizationContext context, Options options) {
                return List.of(context.real());
            }

            @Override
            public SDVariable perSample(RegularizationContext context, int group, SDVariable logits,
                    SDVariable squaredNorm, Options options) {
                return logits.mul(logits);
            }
        };
        PenaltyHead head = new PenaltyHead(logitOnly, choice(logitOnly, Map.of()), null, 0);
        try {
            INDArray psi = Nd4j.create(new float[] {1, -2, 0.5f}, 3, 1);
            INDArray g = Nd4j.create(new float[] {1, Float.POSITIVE_INFINITY, 3, 4, 5, 6}, 3, 2);
            PenaltyHead.Result r = head.run(psi, g, 0.5);
            assertEquals(5.25, r.total(), 1e-6, "sum of psi^2");
            assertEquals(0, r.uAbsoluteSum());
            assertEquals(0, r.u().amaxNumber().doubleValue(), "u is 0");
            // a = c f_psi = 0.5 * 2 psi
            assertEquals(-2, r.a().getDouble(1, 0), 1e-6);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> head.run(Nd4j.create(DataType.FLOAT, 0, 1), Nd4j.create(DataType.FLOAT, 0, 2), 0.5));
            assertTrue(e.getMessage().contains("[0, 2]") && e.getMessage().contains("at least one"), e.getMessage());
        } finally {
            head.release();
        }
    }

    /**
     * A penalized evaluation with tangents, after the first, allocates almost nothing native: the head's graph runs
     * on arrays it keeps, its squared norms and {@code u} are written into arrays it keeps, and the gradients are the
     * tangent plan's. Each separate array operation of the old evaluation allocated its result, and every gradient
     * was copied: measured 71 native pointers a call on this MLP with R1 and 67 with Roth-JS, 5 and 7 when the head
     * became a graph over the input gradients (its {@code reduce_sum} ops allocated one each inside ND4J, as in
     * {@code GraphPlanTest}, and the check of {@code u} one; 3 a call with R1 just before the next change), none
     * since the squared norms, {@code u} and its check are the head's own passes (none in 20 calls of either; at
     * most one a call allowed).
     */
    @Test
    void aPenalizedEvaluationAllocatesLittlePerCall() {
        for (GradientPenalty p : List.of(new R1Penalty(), new RothJsRegularizer())) {
            DataShape shape = new DataShape(2);
            Networks nets = new MlpArchitecture().create(shape, 2, 0, Options.resolve("architecture",
                    new MlpArchitecture().options(), Map.of("hidden", "16", "dLayers", "2")));
            ParameterStore store = new ParameterStore(5);
            InputGradientPenalty engine = new InputGradientPenalty(choice(p, Map.of()), 1, nets, shape, 0, store,
                    List.of());
            try {
                assertEquals(InputGradientPenalty.Method.TANGENT, engine.method());
                List<INDArray> points = List.of(Nd4j.randn(DataType.FLOAT, 32, 2));
                for (int call = 0; call < 3; call++) {
                    engine.evaluate(points, null, 1.0);
                }
                long before = Pointer.totalCount();
                InputGradientPenalty.Result last = null;
                for (int call = 0; call < 20; call++) {
                    last = engine.evaluate(points, null, 1.0);
                }
                long grown = Pointer.totalCount() - before;
                Set<String> expected = new TreeSet<>(store.names(Side.DISCRIMINATOR));
                if (p instanceof R1Penalty) {
                    // R1's term ignores the logit, so its gradient is the second-order term's alone, and psi' of a
                    // ReLU network is linear in the tangent with no bias in it (the biases move only the masks):
                    // the biases' penalty gradients are 0 by construction and have no entry
                    expected.removeIf(name -> name.endsWith("/b"));
                }
                assertEquals(expected, new TreeSet<>(last.gradients().keySet()), "the parameters with gradients");
                assertTrue(grown <= 20, p.getClass().getSimpleName() + ": 20 evaluations added " + grown
                        + " native pointers; expected at most 20");
            } finally {
                engine.release();
            }
        }
    }

    /**
     * The difference with a weight so small that the float32 squares of u's rows underflow to 0: the second-order
     * term is left out (a step of 1 / 0 made every gradient NaN while the penalty's value stayed finite).
     */
    @Test
    void theDifferenceLeavesOutADirectionTooShortToStepAlong() {
        DataShape shape = new DataShape(2);
        Networks nets = new MlpArchitecture().create(shape, 2, 0, Options.resolve("architecture",
                new MlpArchitecture().options(), Map.of("hidden", "16", "dLayers", "2")));
        InputGradientPenalty engine = new InputGradientPenalty(choice(new RothJsRegularizer(), Map.of()), 1, nets,
                shape, 0, new ParameterStore(5), List.of(), InputGradientPenalty.Method.DIFFERENCE);
        try {
            assertEquals(InputGradientPenalty.Method.DIFFERENCE, engine.method());
            InputGradientPenalty.Result r = engine.evaluate(List.of(Nd4j.randn(DataType.FLOAT, 32, 2)), null, 1e-30);
            assertTrue(Double.isFinite(r.value()));
            // the first-order term's weights (about 1e-32) are normal floats: it stays
            assertFalse(r.gradients().isEmpty(), "the first-order term's gradients");
            r.gradients().forEach((name, g) -> assertTrue(Double.isFinite(g.sumNumber().doubleValue()),
                    name + ": " + g));
        } finally {
            engine.release();
        }
    }

    /**
     * A loss term carried on Roth et al.'s two point groups needs groups of one size (the tangent passes share one
     * array of weights of 1 sized for the last group's critic pass): groups of 32 and 16 rows are refused in one line
     * naming both, before any pass runs.
     */
    @Test
    void aLossTermRidesOnPointGroupsOfOneSize() {
        DataShape shape = new DataShape(2);
        Networks nets = new MlpArchitecture().create(shape, 2, 0, Options.resolve("architecture",
                new MlpArchitecture().options(), Map.of("hidden", "16", "dLayers", "2")));
        InputGradientPenalty engine = new InputGradientPenalty(choice(new RothJsRegularizer(), Map.of()), 2, nets,
                shape, 0, new ParameterStore(5), List.of());
        try {
            List<INDArray> points = List.of(Nd4j.randn(DataType.FLOAT, 32, 2), Nd4j.randn(DataType.FLOAT, 16, 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.evaluate(points, null, 1.0, logits -> logits, -1));
            assertTrue(e.getMessage().contains("[32, 16]"), e.getMessage());
            // without a loss term, groups of different sizes are evaluated one after the other, as before
            assertTrue(Double.isFinite(engine.evaluate(points, null, 1.0).value()));
        } finally {
            engine.release();
        }
    }

    private static RunSpec.RegularizerChoice choice(GradientPenalty penalty, Map<String, String> options) {
        ComponentCatalog.Entry entry = new ComponentCatalog.Entry(Kind.PENALTY, "p", penalty, "test", "0");
        return new RunSpec.RegularizerChoice(entry, Options.resolve("penalty", penalty.options(), options), 1, 1,
                false, 0.01);
    }
}
