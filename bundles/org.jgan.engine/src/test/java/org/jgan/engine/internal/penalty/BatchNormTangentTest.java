package org.jgan.engine.internal.penalty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.Side;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.layers.BatchNorm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A batch-norm layer's tangent ({@link Tangents}' whole-layer rule) and the plan's two kernels for it and for the
 * reverse pass through layer and tangent: the gradients of {@code L = psi' + w psi} ({@code psi = sum(W y)},
 * {@code psi'} its derivative along x', {@code y = BN(1.5 in)}) with respect to the input, the tangent x', gamma and
 * beta, against float64 references that share nothing with either: SameDiff's reverse mode on the textbook layer
 * {@code gamma (x - m) / sqrt(v + eps) + beta} in doubles, and central differences of its gradients along x'
 * ({@code d/dtheta psi' = (grad_theta psi(in + h x') - grad_theta psi(in - h x')) / 2h}, {@code d/dx' psi' = grad_in
 * psi}).
 */
class BatchNormTangentTest {

    private static final String FORWARD = "batch_norm_tangent";
    private static final String BACKWARD = "batch_norm_tangent_bp";

    private boolean own;
    private boolean fuse;

    @BeforeEach
    void arithmeticOfItsOwn() {
        own = GraphPlan.ownArithmetic(true);
        fuse = GraphPlan.fuseBatchNorm(true);
    }

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(own);
        GraphPlan.fuseBatchNorm(fuse);
    }

    private static final class Case {
        final SameDiff sd = SameDiff.create();
        final GraphScope scope = new GraphScope(sd, Side.DISCRIMINATOR, true, new ParameterStore(11), List.of());
        final INDArray in;
        final INDArray xdot;
        final INDArray weights;
        final INDArray gamma;
        final INDArray beta;
        final double w;
        /** psi = sum(W tanh(y)): dL/dy gets a part of its own (second order through tanh's tangent). */
        final boolean tanh;
        /** Another term of the loss on the layer's input, 0.01 sum(x^2): the layer's gradients are not its own. */
        final boolean shortcut;
        final String psi;
        final String y;
        final String gammaName = ParameterStore.prefix(Side.DISCRIMINATOR) + "bn/gamma";
        final String betaName = ParameterStore.prefix(Side.DISCRIMINATOR) + "bn/beta";
        final Tangents.Result tangents;

        Case(long n, long c, long h, long wd, double w, long seed) {
            this(n, c, h, wd, w, seed, false, 0, false);
        }

        Case(long n, long c, long h, long wd, double w, long seed, boolean tanh, double offset, boolean shortcut) {
            this.w = w;
            this.tanh = tanh;
            this.shortcut = shortcut;
            Nd4j.getRandom().setSeed(seed);
            in = Nd4j.randn(DataType.FLOAT, n, c, h, wd).muli(1.7).addi(0.4 + offset);
            xdot = Nd4j.randn(DataType.FLOAT, n, c, h, wd);
            weights = Nd4j.randn(DataType.FLOAT, n, c, h, wd).muli(0.5);
            gamma = Nd4j.rand(DataType.FLOAT, c).addi(0.5);
            beta = Nd4j.randn(DataType.FLOAT, c);
            SDVariable input = sd.var("in", in.dup());
            SDVariable tangent = sd.var("xdot", xdot.dup());
            // the layer's input is an op's output, as in a network (a convolution's)
            SDVariable x = input.mul(1.5);
            SDVariable y = BatchNorm.apply(scope, "bn", x, c);
            this.y = y.name();
            SDVariable p = (tanh ? sd.math.tanh(y) : y).mul(sd.constant(weights)).sum();
            psi = p.name();
            List<String> path = new ArrayList<>();
            GraphPath.ops(sd, "in", psi).forEach(o -> path.addAll(o.getOutputsOfOp()));
            tangents = Tangents.extend(sd, "in", tangent, psi, GraphPath.shapes(sd, Map.of(), path));
            SDVariable loss = tangents.of(psi);
            if (w != 0) {
                loss = loss.add(p.mul(w));
            }
            if (shortcut) {
                loss = loss.add(x.mul(x).sum().mul(0.01));
            }
            loss.markAsLoss();
            sd.getVariable(gammaName).getArr().assign(gamma);
            sd.getVariable(betaName).getArr().assign(beta);
            sd.createGradFunction();
        }

        List<String> gradientNames() {
            List<String> names = new ArrayList<>();
            for (String v : List.of("in", "xdot", gammaName, betaName)) {
                SDVariable g = sd.getVariable(v).getGradient();
                if (g != null) {
                    names.add(g.name());
                }
            }
            return names;
        }

        /** The plan's gradients by variable (in, xdot, gamma, beta), with {@code given} forward values fed. */
        Map<String, INDArray> planned(Set<String> given) {
            Map<String, INDArray> feed = new HashMap<>();
            if (!given.isEmpty()) {
                feed.putAll(GraphPlan.output(sd, Map.of(), new ArrayList<>(given)));
            }
            List<String> requested = new ArrayList<>(gradientNames());
            String yDot = tangents.of(y).name();
            requested.add(yDot);
            Map<String, INDArray> got = GraphPlan.output(sd.getFunction("grad"), feed, requested, given);
            Map<String, INDArray> r = new HashMap<>();
            r.put("ydot", got.get(yDot).castTo(DataType.DOUBLE));
            for (String v : List.of("in", "xdot", gammaName, betaName)) {
                SDVariable g = sd.getVariable(v).getGradient();
                r.put(v, g == null ? null : got.get(g.name()).castTo(DataType.DOUBLE));
            }
            return r;
        }

        /** The forward values on the way from the input to psi (those a critic pass computes). */
        Set<String> forwardValues() {
            Set<String> values = new HashSet<>();
            for (SameDiffOp op : GraphPath.ops(sd, "in", psi)) {
                values.addAll(op.getOutputsOfOp());
            }
            return values;
        }

        /**
         * grad psi with respect to gamma, beta and the input ("y": the layer's output), in float64, from the textbook
         * layer at {@code at}.
         */
        Map<String, INDArray> textbook(INDArray at) {
            SameDiff ref = SameDiff.create();
            long c = gamma.length();
            SDVariable g = ref.var("gamma", gamma.castTo(DataType.DOUBLE));
            SDVariable b = ref.var("beta", beta.castTo(DataType.DOUBLE));
            SDVariable x = ref.var("in", at).mul(1.5);
            SDVariable m = x.mean(true, 0, 2, 3);
            SDVariable v = x.sub(m).mul(x.sub(m)).mean(true, 0, 2, 3);
            SDVariable y = x.sub(m).div(ref.math.sqrt(v.add(BatchNorm.EPS))).mul(ref.reshape(g, 1, c, 1, 1))
                    .add(ref.reshape(b, 1, c, 1, 1));
            (tanh ? ref.math.tanh(y) : y).mul(ref.constant(weights.castTo(DataType.DOUBLE))).sum().markAsLoss();
            Map<String, INDArray> r = new HashMap<>(ref.calculateGradients(Map.of(), "gamma", "beta", "in"));
            r.put("y", ref.output(Map.of(), y.name()).get(y.name()));
            return r;
        }

        /** The float64 reference of the plan's gradients. */
        Map<String, INDArray> reference() {
            double h = 1e-4;
            INDArray x0 = in.castTo(DataType.DOUBLE);
            INDArray step = xdot.castTo(DataType.DOUBLE).mul(h);
            Map<String, INDArray> plus = textbook(x0.add(step));
            Map<String, INDArray> minus = textbook(x0.sub(step));
            Map<String, INDArray> at = textbook(x0);
            Map<String, INDArray> r = new HashMap<>();
            r.put("in", plus.get("in").sub(minus.get("in")).div(2 * h).add(at.get("in").mul(w)));
            if (shortcut) {
                // d/din 0.01 sum((1.5 in)^2)
                r.get("in").addi(x0.mul(0.045));
            }
            r.put(gammaName, plus.get("gamma").sub(minus.get("gamma")).div(2 * h).add(at.get("gamma").mul(w)));
            r.put(betaName, plus.get("beta").sub(minus.get("beta")).div(2 * h).add(at.get("beta").mul(w)));
            r.put("xdot", at.get("in"));
            r.put("ydot", plus.get("y").sub(minus.get("y")).div(2 * h));
            return r;
        }
    }

    private static long calls(String kernel) {
        return GraphPlan.kernelCalls().getOrDefault(kernel, 0L);
    }

    /** Largest difference relative to the reference's largest magnitude. */
    private static double relative(INDArray got, INDArray want) {
        double scale = Math.max(1e-12, want.amaxNumber().doubleValue());
        return got.reshape(want.shape()).sub(want).amaxNumber().doubleValue() / scale;
    }

    private static void compare(Case k, Map<String, INDArray> got, double tolerance) {
        Map<String, INDArray> want = k.reference();
        for (String v : List.of("ydot", "in", "xdot", k.gammaName)) {
            assertNotNull(got.get(v), "no gradient of " + v);
            double rel = relative(got.get(v), want.get(v));
            assertTrue(rel < tolerance, "gradient of " + v + ": " + rel);
        }
        if (k.w == 0 && !k.tanh) {
            // beta moves psi, not its derivative
            assertTrue(got.get(k.betaName) == null || got.get(k.betaName).amaxNumber().doubleValue() == 0,
                    "beta's gradient without the first-order term");
        } else {
            double rel = relative(got.get(k.betaName), want.get(k.betaName));
            assertTrue(rel < tolerance, "gradient of beta: " + rel);
        }
    }

    @ParameterizedTest(name = "[{0}, {1}, {2}, {3}], w = {4}, tanh {5}, offset {6}")
    @CsvSource({
            "32, 32, 7, 7, 0, false, 0",     // the conv GAN's D: R1, R2, WGAN-GP, DRAGAN (no first-order term)
            "32, 32, 7, 7, 0.7, false, 0",   // with the first-order term (Roth et al.; the D step's loss on R1)
            "8, 16, 8, 8, 0, false, 0",      // DCGAN's second layer at 32x32
            "5, 3, 3, 5, 1.3, false, 0",     // odd sizes
            "16, 8, 5, 5, 0, true, 0",       // dL/dy of its own, not proportional to dL/dy'
            "16, 8, 5, 5, 0.7, true, 0",
            "32, 32, 7, 7, 0, false, 30"})   // inputs 18 deviations off zero
    void theKernelsGradientsMatchFloat64(long n, long c, long h, long w, double weight, boolean tanh, double offset) {
        Case k = new Case(n, c, h, w, weight, 42, tanh, offset, false);
        assertTrue(k.tangents.unsupported().isEmpty(), k.tangents.unsupported().toString());
        String backward = weight == 0 && !tanh ? BACKWARD : BACKWARD + "/primal";
        long f0 = calls(FORWARD);
        long b0 = calls(backward);
        Map<String, INDArray> got = k.planned(Set.of());
        assertEquals(1, calls(FORWARD) - f0, "fused tangent kernels");
        assertEquals(1, calls(backward) - b0, "fused backward kernels");
        compare(k, got, 2e-6);
    }

    /**
     * The whole-layer rule alone, as SameDiff's ops and reverse mode run it in float (the kernels off), against the
     * same references.
     */
    @ParameterizedTest(name = "w = {0}")
    @CsvSource({"0", "0.7"})
    void theWholeLayerRuleAsOpsMatchesFloat64(double weight) {
        GraphPlan.fuseBatchNorm(false);
        Case k = new Case(16, 8, 5, 5, weight, 7);
        long f0 = calls(FORWARD);
        Map<String, INDArray> got = k.planned(Set.of());
        assertEquals(0, calls(FORWARD) - f0, "fused tangent kernels with the fusion off");
        compare(k, got, 2e-6);
    }

    /**
     * As a penalty's tangent pass runs it: the forward values given. The plan reads x, m and v of the layer and not the
     * centred input, its rsqrt or scale, which the elementary backward pass reads ({@link Critic#reads} asks
     * {@link GraphPlan#reads} for them, so the critic pass no longer computes them).
     */
    @Test
    void givenForwardValuesTheKernelsReadTheStatisticsAlone() {
        Case k = new Case(16, 8, 5, 5, 0, 3);
        Set<String> values = k.forwardValues();
        Set<String> reads = GraphPlan.reads(k.sd.getFunction("grad"), k.gradientNames(), values);
        String centered = centered(k.sd);
        assertFalse(reads.contains(centered), "the plan reads the centred input " + centered + ": " + reads);
        GraphPlan.fuseBatchNorm(false);
        Set<String> elementary = GraphPlan.reads(k.sd.getFunction("grad"), k.gradientNames(), values);
        GraphPlan.fuseBatchNorm(true);
        assertTrue(elementary.contains(centered), "the elementary pass reads " + elementary);
        // x, m and v
        assertEquals(3, reads.size(), "the plan reads " + reads);
        long b0 = calls(BACKWARD);
        Map<String, INDArray> got = k.planned(reads);
        assertEquals(1, calls(BACKWARD) - b0, "fused backward kernels");
        compare(k, got, 2e-6);
    }

    /**
     * Another op on the loss's path reads the layer's input: the layer's gradients are not its own, so the plan keeps
     * the rule's ops and the layer's (no kernel), with the right gradients.
     */
    @Test
    void anotherReaderOfTheInputKeepsTheOps() {
        Case k = new Case(16, 8, 5, 5, 0, 5, false, 0, true);
        long f0 = calls(FORWARD);
        long b0 = calls(BACKWARD) + calls(BACKWARD + "/primal");
        Map<String, INDArray> got = k.planned(Set.of());
        assertEquals(0, calls(FORWARD) - f0, "fused tangent kernels");
        assertEquals(0, calls(BACKWARD) + calls(BACKWARD + "/primal") - b0, "fused backward kernels");
        compare(k, got, 2e-6);
    }

    /**
     * Gamma's gradient alone: the backward kernel writes neither input gradient (nothing reads them) and still gives
     * gamma's.
     */
    @Test
    void gammasGradientAlone() {
        Case k = new Case(16, 8, 5, 5, 0.4, 9);
        String g = k.sd.getVariable(k.gammaName).getGradient().name();
        long b0 = calls(BACKWARD + "/primal");
        INDArray got = GraphPlan.output(k.sd.getFunction("grad"), Map.of(), List.of(g), Set.of()).get(g)
                .castTo(DataType.DOUBLE);
        assertEquals(1, calls(BACKWARD + "/primal") - b0, "fused backward kernels");
        INDArray want = k.reference().get(k.gammaName);
        assertTrue(relative(got, want) < 2e-6, "gradient of gamma: " + relative(got, want));
    }

    /** The layer's centred input {@code c = x - m} (x the output of the op reading the input). */
    private static String centered(SameDiff sd) {
        String x = sd.getOps().values().stream().filter(o -> o.getInputsToOp().equals(List.of("in")))
                .map(o -> o.getOutputsOfOp().get(0)).findFirst().orElseThrow();
        for (SameDiffOp op : sd.getOps().values()) {
            if (op.getOp().opName().equals("subtract") && op.getInputsToOp().get(0).equals(x)) {
                SameDiffOp second = producer(sd, op.getInputsToOp().get(1));
                if (second != null && second.getOp().opName().equals("reduce_mean")) {
                    return op.getOutputsOfOp().get(0);
                }
            }
        }
        throw new AssertionError("no centred input");
    }

    private static SameDiffOp producer(SameDiff sd, String v) {
        return sd.getOps().values().stream().filter(o -> o.getOutputsOfOp().contains(v)).findFirst().orElse(null);
    }
}
