package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.Side;
import org.jgan.layers.BatchNorm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link BatchNormFusion}: the layer {@link BatchNorm} writes, run by a plan as its two fused kernels, against float64
 * references that SameDiff computes from the textbook form {@code gamma (x - m) / sqrt(v + eps) + beta} in doubles
 * (its own reverse mode for the gradients), on the shapes of the conv GAN's and BigGAN's layers.
 */
class BatchNormFusionTest {

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

    /** A graph applying the layer to {@code applications} inputs (shared gamma and beta) and a loss on the outputs. */
    private static final class Case {
        final SameDiff sd = SameDiff.create();
        final GraphScope scope = new GraphScope(sd, Side.DISCRIMINATOR, true, new ParameterStore(7), List.of());
        final List<SDVariable> inputs = new ArrayList<>();
        final List<SDVariable> outputs = new ArrayList<>();
        final Map<String, INDArray> feed = new HashMap<>();
        final INDArray gamma;
        final INDArray beta;
        final List<INDArray> weights = new ArrayList<>();
        SDVariable loss;

        Case(long n, long c, long h, long w, int applications, Extra extra) {
            this.extra = extra;
            for (int a = 0; a < applications; a++) {
                SDVariable in = sd.placeHolder("in" + a, DataType.FLOAT, -1, c, h, w);
                // the layer's input is an op's output, as in a network (a convolution's)
                SDVariable x = in.mul(1.5);
                SDVariable y = BatchNorm.apply(scope, "bn", x, c);
                INDArray wy = Nd4j.randn(DataType.FLOAT, n, c, h, w).muli(0.5);
                weights.add(wy);
                SDVariable term = y.mul(sd.constant(wy)).sum().add(y.mul(y).sum().mul(0.05));
                if (extra == Extra.X) {
                    term = term.add(x.mul(x).sum().mul(0.01));
                } else if (extra == Extra.MEAN) {
                    term = term.add(meanOf(sd, x).mul(meanOf(sd, x)).sum().mul(0.3));
                }
                loss = loss == null ? term : loss.add(term);
                inputs.add(in);
                outputs.add(y);
                feed.put(in.name(), Nd4j.randn(DataType.FLOAT, n, c, h, w).muli(1.7).addi(0.4 + a));
            }
            loss.markAsLoss();
            // parameters away from their initial ones and 1
            gamma = Nd4j.rand(DataType.FLOAT, c).addi(0.5);
            beta = Nd4j.randn(DataType.FLOAT, c);
            sd.getVariable(ParameterStore.prefix(Side.DISCRIMINATOR) + "bn/gamma").getArr().assign(gamma);
            sd.getVariable(ParameterStore.prefix(Side.DISCRIMINATOR) + "bn/beta").getArr().assign(beta);
            sd.createGradFunction(inputs.stream().map(SDVariable::name).toArray(String[]::new));
        }

        String gammaName() {
            return ParameterStore.prefix(Side.DISCRIMINATOR) + "bn/gamma";
        }

        String betaName() {
            return ParameterStore.prefix(Side.DISCRIMINATOR) + "bn/beta";
        }

        /** The plan's outputs, running statistics' new values and gradients, by name. */
        Map<String, INDArray> planned() {
            List<String> names = new ArrayList<>();
            outputs.forEach(o -> names.add(o.name()));
            scope.bufferUpdates().forEach(u -> names.add(u.newValue()));
            inputs.forEach(i -> names.add(sd.getVariable(i.name()).getGradient().name()));
            names.add(sd.getVariable(gammaName()).getGradient().name());
            names.add(sd.getVariable(betaName()).getGradient().name());
            Map<String, INDArray> got = GraphPlan.output(sd.getFunction("grad"), feed, names, Set.of());
            Map<String, INDArray> r = new HashMap<>();
            got.forEach((k, v) -> r.put(k, v.castTo(DataType.DOUBLE)));
            return r;
        }

        /** The same quantities in float64, from the textbook form, by SameDiff (not through plans). */
        Map<String, INDArray> reference() {
            SameDiff ref = SameDiff.create();
            SDVariable g = ref.var("gamma", gamma.castTo(DataType.DOUBLE));
            SDVariable b = ref.var("beta", beta.castTo(DataType.DOUBLE));
            long c = gamma.length();
            SDVariable total = null;
            List<String[]> stats = new ArrayList<>();
            for (int a = 0; a < inputs.size(); a++) {
                SDVariable in = ref.var("in" + a, feed.get("in" + a).castTo(DataType.DOUBLE));
                SDVariable x = in.mul(1.5);
                SDVariable m = x.mean(true, 0, 2, 3);
                SDVariable v = x.sub(m).mul(x.sub(m)).mean(true, 0, 2, 3);
                SDVariable y = x.sub(m).div(ref.math.sqrt(v.add(BatchNorm.EPS))).mul(ref.reshape(g, 1, c, 1, 1))
                        .add(ref.reshape(b, 1, c, 1, 1));
                SDVariable term = y.mul(ref.constant(weights.get(a).castTo(DataType.DOUBLE))).sum()
                        .add(y.mul(y).sum().mul(0.05));
                if (extra == Extra.X) {
                    term = term.add(x.mul(x).sum().mul(0.01));
                } else if (extra == Extra.MEAN) {
                    term = term.add(m.mul(m).sum().mul(0.3));
                }
                total = total == null ? term : total.add(term);
                stats.add(new String[] {y.name(), m.name(), v.name()});
            }
            total.markAsLoss();
            List<String> vars = new ArrayList<>(List.of("gamma", "beta"));
            for (int a = 0; a < inputs.size(); a++) {
                vars.add("in" + a);
            }
            Map<String, INDArray> grads = ref.calculateGradients(Map.of(), vars);
            Map<String, INDArray> out = new HashMap<>();
            for (int a = 0; a < inputs.size(); a++) {
                Map<String, INDArray> o = ref.output(Map.of(), stats.get(a));
                out.put(outputs.get(a).name(), o.get(stats.get(a)[0]));
                out.put("mean" + a, o.get(stats.get(a)[1]).reshape(c));
                out.put("var" + a, o.get(stats.get(a)[2]).reshape(c));
                out.put(sd.getVariable("in" + a).getGradient().name(), grads.get("in" + a));
            }
            out.put(sd.getVariable(gammaName()).getGradient().name(), grads.get("gamma"));
            out.put(sd.getVariable(betaName()).getGradient().name(), grads.get("beta"));
            return out;
        }

        final Extra extra;

        /** The batch mean the layer computed from x (the mean over axes 0, 2, 3 reading x). */
        private static SDVariable meanOf(SameDiff sd, SDVariable x) {
            return sd.getOps().values().stream()
                    .filter(o -> o.getOp().opName().equals("reduce_mean") && o.getInputsToOp().equals(List.of(x.name())))
                    .map(o -> sd.getVariable(o.getOutputsOfOp().get(0))).findFirst().orElseThrow();
        }

        /** dL/dx alone (the backward kernel leaves the other outputs unwritten). */
        INDArray inputGradient() {
            String g = sd.getVariable(inputs.get(0).name()).getGradient().name();
            return GraphPlan.output(sd.getFunction("grad"), feed, List.of(g), Set.of()).get(g).castTo(DataType.DOUBLE);
        }
    }

    /** Another term of the loss on a value of the layer's. */
    private enum Extra { NONE, X, MEAN }

    private static long calls(String kernel) {
        return GraphPlan.kernelCalls().getOrDefault(kernel, 0L);
    }

    /** Largest difference relative to the reference's largest magnitude. */
    private static double relative(INDArray got, INDArray want) {
        double scale = Math.max(1e-12, want.amaxNumber().doubleValue());
        return got.sub(want).amaxNumber().doubleValue() / scale;
    }

    @ParameterizedTest(name = "[{0}, {1}, {2}, {3}] applied {4}x")
    @CsvSource({
            "32, 32, 7, 7, 1",     // the conv GAN's D and G
            "32, 16, 14, 14, 2",   // G's second layer; D applied to data and samples
            "8, 32, 32, 32, 1",    // BigGAN's resolution
            "64, 128, 1, 1, 1",    // the MLP's batch norm on [batch, width, 1, 1]
            "5, 3, 3, 5, 2"})      // odd sizes
    void outputsStatisticsAndGradientsMatchFloat64(long n, long c, long h, long w, int applications) {
        Case k = new Case(n, c, h, w, applications, Extra.NONE);
        long forward = calls(BatchNormFusion.FORWARD);
        long backward = calls(BatchNormFusion.BACKWARD);
        Map<String, INDArray> got = k.planned();
        assertEquals(applications, calls(BatchNormFusion.FORWARD) - forward, "fused forward kernels");
        assertEquals(applications, calls(BatchNormFusion.BACKWARD) - backward, "fused backward kernels");
        Map<String, INDArray> want = k.reference();
        for (SDVariable y : k.outputs) {
            assertTrue(relative(got.get(y.name()), want.get(y.name())) < 2e-6, "y " + relative(got.get(y.name()), want.get(y.name())));
        }
        // the running statistics' new values: 0.9 * initial + 0.1 * the batch's (initial mean 0, variance 1)
        List<GraphScope.BufferUpdate> updates = k.scope.bufferUpdates();
        assertEquals(2 * applications, updates.size());
        for (int i = 0; i < updates.size(); i++) {
            GraphScope.BufferUpdate u = updates.get(i);
            int a = i / 2;
            INDArray expected = u.buffer().endsWith("/mean") ? want.get("mean" + a).mul(1 - BatchNorm.MOMENTUM)
                    : want.get("var" + a).mul(1 - BatchNorm.MOMENTUM).add(BatchNorm.MOMENTUM);
            INDArray actual = got.get(u.newValue());
            assertTrue(relative(actual.reshape(expected.shape()), expected) < 1e-6, u.buffer() + " "
                    + relative(actual.reshape(expected.shape()), expected));
        }
        for (String g : want.keySet()) {
            if (g.startsWith("mean") || g.startsWith("var") || k.outputs.stream().anyMatch(o -> o.name().equals(g))) {
                continue;
            }
            double rel = relative(got.get(g).reshape(want.get(g).shape()), want.get(g));
            assertTrue(rel < 2e-5, "gradient " + g + ": " + rel);
        }
    }

    /**
     * Another term of the loss on x or on the batch mean: the layer's gradients are not its own, so its ops run (the
     * forward ones too: the elementary backward pass reads their intermediates), with the right gradient.
     */
    @ParameterizedTest
    @CsvSource({"X", "MEAN"})
    void anotherOpOnTheLossPathKeepsTheLayersOps(Extra extra) {
        Case k = new Case(16, 8, 5, 5, 1, extra);
        long forward = calls(BatchNormFusion.FORWARD);
        long backward = calls(BatchNormFusion.BACKWARD);
        Map<String, INDArray> got = k.planned();
        assertEquals(0, calls(BatchNormFusion.FORWARD) - forward, "fused forward kernels");
        assertEquals(0, calls(BatchNormFusion.BACKWARD) - backward, "fused backward kernels");
        Map<String, INDArray> want = k.reference();
        for (String g : List.of(k.sd.getVariable("in0").getGradient().name(),
                k.sd.getVariable(k.gammaName()).getGradient().name())) {
            assertTrue(relative(got.get(g).reshape(want.get(g).shape()), want.get(g)) < 2e-5, g);
        }
    }

    @Test
    void theInputGradientAlone() {
        Case k = new Case(16, 8, 5, 5, 1, Extra.NONE);
        long backward = calls(BatchNormFusion.BACKWARD);
        INDArray got = k.inputGradient();
        assertEquals(1, calls(BatchNormFusion.BACKWARD) - backward, "fused backward kernels");
        INDArray want = k.reference().get(k.sd.getVariable("in0").getGradient().name());
        assertTrue(relative(got, want) < 2e-5, "dL/dx " + relative(got, want));
    }

    /**
     * A plan that also requests the gradient of the layer's {@code rsqrt} (another output of the op that gives gamma's
     * reshape its gradient) would have that op and the backward kernel write the same variable: it runs the layer's
     * ops, with the right gradients.
     */
    @Test
    void aRequestedInnerGradientKeepsTheLayersOps() {
        Case k = new Case(16, 8, 5, 5, 1, Extra.NONE);
        String rsqrt = k.sd.getOps().values().stream().filter(o -> o.getOp().opName().equals("rsqrt"))
                .map(o -> o.getOutputsOfOp().get(0)).findFirst().orElseThrow();
        String dx = k.sd.getVariable("in0").getGradient().name();
        String dGamma = k.sd.getVariable(k.gammaName()).getGradient().name();
        long backward = calls(BatchNormFusion.BACKWARD);
        Map<String, INDArray> got = GraphPlan.output(k.sd.getFunction("grad"), k.feed,
                List.of(dx, dGamma, k.sd.getVariable(rsqrt).getGradient().name()), Set.of());
        assertEquals(0, calls(BatchNormFusion.BACKWARD) - backward, "the plan compiled without the fusion");
        Map<String, INDArray> want = k.reference();
        for (String g : List.of(dx, dGamma)) {
            INDArray a = got.get(g).castTo(DataType.DOUBLE);
            assertTrue(relative(a.reshape(want.get(g).shape()), want.get(g)) < 2e-5, g);
        }
    }

    /**
     * Conditional batch norm (BigGAN's, {@code ConditionalBatchNorm}): the statistics of {@link BatchNorm#moments},
     * then a per-sample gain and bias, linear in a conditioning vector; the same two kernels with gamma and beta per
     * sample. Against float64 from SameDiff in doubles on the textbook form
     * {@code (x - m) / sqrt(v + eps) (1 + c W_g + b_g) + (c W_b + b_b)}. With conditioning vectors for one row only,
     * the gain and bias are one row broadcast over the batch.
     */
    @ParameterizedTest(name = "[{0}, {1}, {2}, {2}], {3} rows of gain")
    @CsvSource({"32, 32, 8, 32", "6, 5, 3, 6", "1, 4, 3, 1", "6, 5, 3, 1"})
    void perSampleGainAndBiasMatchFloat64(int n, int c, int h, int rows) {
        int k = 7;
        SameDiff sd = SameDiff.create();
        GraphScope scope = new GraphScope(sd, Side.GENERATOR, true, new ParameterStore(7), List.of());
        INDArray xa = Nd4j.randn(DataType.FLOAT, n, c, h, h).muli(1.3).addi(0.2);
        INDArray ca = Nd4j.randn(DataType.FLOAT, rows, k);
        INDArray wg = Nd4j.randn(DataType.FLOAT, k, c).muli(0.3);
        INDArray bg = Nd4j.randn(DataType.FLOAT, c).muli(0.1);
        INDArray wb = Nd4j.randn(DataType.FLOAT, k, c).muli(0.3);
        INDArray bb = Nd4j.randn(DataType.FLOAT, c);
        INDArray weight = Nd4j.randn(DataType.FLOAT, n, c, h, h).muli(0.5);
        SDVariable in = sd.placeHolder("x", DataType.FLOAT, -1, c, h, h);
        SDVariable cond = sd.placeHolder("cond", DataType.FLOAT, -1, k);
        SDVariable x = in.mul(1.5);
        SDVariable[] stats = BatchNorm.moments(scope, "cbn", x, c);
        SDVariable gain = cond.mmul(sd.var("wg", wg)).add(sd.var("bg", bg)).add(1);
        SDVariable bias = cond.mmul(sd.var("wb", wb)).add(sd.var("bb", bb));
        SDVariable scale = sd.reshape(gain, -1, c, 1, 1).mul(sd.math.rsqrt(stats[1].add(BatchNorm.EPS)));
        SDVariable shift = sd.reshape(bias, -1, c, 1, 1).sub(stats[0].mul(scale));
        SDVariable y = x.mul(scale).add(shift);
        y.mul(sd.constant(weight)).sum().add(y.mul(y).sum().mul(0.05)).markAsLoss();
        List<String> wrt = List.of("x", "cond", "wg", "bg", "wb", "bb");
        sd.createGradFunction("x", "cond");
        List<String> names = new ArrayList<>(List.of(y.name()));
        wrt.forEach(v -> names.add(sd.getVariable(v).getGradient().name()));
        long forward = calls(BatchNormFusion.FORWARD + "/per-sample");
        long backward = calls(BatchNormFusion.BACKWARD + "/per-sample");
        Map<String, INDArray> got = GraphPlan.output(sd.getFunction("grad"), Map.of("x", xa, "cond", ca), names,
                Set.of());
        assertEquals(1, calls(BatchNormFusion.FORWARD + "/per-sample") - forward, "fused forward kernels");
        assertEquals(1, calls(BatchNormFusion.BACKWARD + "/per-sample") - backward, "fused backward kernels");

        SameDiff ref = SameDiff.create();
        SDVariable rx = ref.var("x", xa.castTo(DataType.DOUBLE));
        SDVariable rc = ref.var("cond", ca.castTo(DataType.DOUBLE));
        SDVariable xs = rx.mul(1.5);
        SDVariable m = xs.mean(true, 0, 2, 3);
        SDVariable v = xs.sub(m).mul(xs.sub(m)).mean(true, 0, 2, 3);
        SDVariable g = rc.mmul(ref.var("wg", wg.castTo(DataType.DOUBLE))).add(ref.var("bg", bg.castTo(DataType.DOUBLE)))
                .add(1);
        SDVariable b = rc.mmul(ref.var("wb", wb.castTo(DataType.DOUBLE)))
                .add(ref.var("bb", bb.castTo(DataType.DOUBLE)));
        SDVariable ry = xs.sub(m).div(ref.math.sqrt(v.add(BatchNorm.EPS))).mul(ref.reshape(g, rows, c, 1, 1))
                .add(ref.reshape(b, rows, c, 1, 1));
        ry.mul(ref.constant(weight.castTo(DataType.DOUBLE))).sum().add(ry.mul(ry).sum().mul(0.05)).markAsLoss();
        Map<String, INDArray> grads = ref.calculateGradients(Map.of(), wrt);
        double yErr = relative(got.get(y.name()).castTo(DataType.DOUBLE),
                ref.output(Map.of(), ry.name()).get(ry.name()));
        assertTrue(yErr < 2e-6, "y " + yErr);
        for (String w : wrt) {
            INDArray want = grads.get(w);
            double rel = relative(got.get(sd.getVariable(w).getGradient().name()).castTo(DataType.DOUBLE)
                    .reshape(want.shape()), want);
            assertTrue(rel < 2e-5, "gradient of " + w + ": " + rel);
        }
    }

    @Test
    void offItRunsTheElementaryOps() {
        GraphPlan.fuseBatchNorm(false);
        Case k = new Case(16, 8, 5, 5, 1, Extra.NONE);
        long forward = calls(BatchNormFusion.FORWARD);
        Map<String, INDArray> got = k.planned();
        assertEquals(0, calls(BatchNormFusion.FORWARD) - forward);
        Map<String, INDArray> want = k.reference();
        String g = k.sd.getVariable("in0").getGradient().name();
        assertTrue(relative(got.get(g), want.get(g)) < 2e-5);
    }

    @Test
    void withSameDiffsOwnSumsTheGraphKeepsItsOps() {
        GraphPlan.ownArithmetic(false);
        Case k = new Case(16, 8, 5, 5, 1, Extra.NONE);
        long forward = calls(BatchNormFusion.FORWARD);
        k.planned();
        assertEquals(0, calls(BatchNormFusion.FORWARD) - forward, "the exact mode gives SameDiff's bits");
    }
}
