package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Instance norm with a gain and bias per sample (StyleGAN's AdaIN, as {@code StyleLayers.adain} of the StyleGAN
 * bundle writes its ops) or per channel, run by a plan as {@link BatchNormFusion}'s instance-norm kernels
 * ({@link InstanceNormKernels}), against float64 references that SameDiff computes in doubles from the textbook form
 * {@code y_s (x - mu) / sqrt(sigma^2 + eps) + y_b}, mu and sigma^2 per sample and channel (its own reverse mode for the
 * gradients).
 */
class InstanceNormFusionTest {

    private static final double EPS = 1e-8;
    private static final String FORWARD = BatchNormFusion.INSTANCE_FORWARD + "/per-sample";
    private static final String BACKWARD = BatchNormFusion.INSTANCE_BACKWARD + "/per-sample";

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

    /** AdaIN's ops in the order {@code StyleLayers.adain} builds them. */
    private static SDVariable adain(SameDiff sd, SDVariable x, SDVariable ys, SDVariable yb, long c) {
        SDVariable mean = x.mean(true, 2, 3);
        SDVariable centered = x.sub(mean);
        SDVariable inv = sd.math.rsqrt(centered.mul(centered).mean(true, 2, 3).add(EPS));
        SDVariable scale = sd.reshape(ys, -1, c, 1, 1).mul(inv);
        return centered.mul(scale).add(sd.reshape(yb, -1, c, 1, 1));
    }

    /**
     * A layer's input x = 1.5 in, styles y_s = cond W_s + b_s + 1 and y_b = cond W_b + b_b ({@code rows} rows of
     * conditioning: the batch's or one, broadcast), a loss on y; the plan's y and gradients.
     */
    private static final class Case {
        final int n;
        final int c;
        final int h;
        final int rows;
        final int k = 7;
        /** x's placeholder value (set anew for a second call of the same plan). */
        INDArray xa;
        final INDArray ca;
        final INDArray ws;
        final INDArray bs;
        final INDArray wb;
        final INDArray bb;
        final INDArray weight;
        final SameDiff sd = SameDiff.create();
        final SDVariable y;
        final List<String> wrt = List.of("x", "cond", "ws", "bs", "wb", "bb");

        Case(int n, int c, int h, int rows, boolean xReadAgain) {
            this.n = n;
            this.c = c;
            this.h = h;
            this.rows = rows;
            xa = Nd4j.randn(DataType.FLOAT, n, c, h, h).muli(1.3).addi(Nd4j.rand(DataType.FLOAT, n, c, 1, 1));
            ca = Nd4j.randn(DataType.FLOAT, rows, k);
            ws = Nd4j.randn(DataType.FLOAT, k, c).muli(0.3);
            bs = Nd4j.randn(DataType.FLOAT, c).muli(0.1);
            wb = Nd4j.randn(DataType.FLOAT, k, c).muli(0.3);
            bb = Nd4j.randn(DataType.FLOAT, c);
            weight = Nd4j.randn(DataType.FLOAT, n, c, h, h).muli(0.5);
            SDVariable in = sd.placeHolder("x", DataType.FLOAT, -1, c, h, h);
            SDVariable cond = sd.placeHolder("cond", DataType.FLOAT, -1, k);
            SDVariable x = in.mul(1.5);
            SDVariable ys = cond.mmul(sd.var("ws", ws)).add(sd.var("bs", bs)).add(1);
            SDVariable yb = cond.mmul(sd.var("wb", wb)).add(sd.var("bb", bb));
            y = adain(sd, x, ys, yb, c);
            SDVariable loss = y.mul(sd.constant(weight)).sum().add(y.mul(y).sum().mul(0.05));
            if (xReadAgain) {
                loss = loss.add(x.mul(x).sum().mul(0.01));
            }
            loss.markAsLoss();
            sd.createGradFunction("x", "cond");
        }

        Map<String, INDArray> planned() {
            List<String> names = new ArrayList<>(List.of(y.name()));
            wrt.forEach(v -> names.add(sd.getVariable(v).getGradient().name()));
            return GraphPlan.output(sd.getFunction("grad"), Map.of("x", xa, "cond", ca), names, Set.of());
        }

        /** y and the gradients (by the names in {@link #wrt}) in float64. */
        Map<String, INDArray> reference(boolean xReadAgain) {
            SameDiff ref = SameDiff.create();
            SDVariable x = ref.var("x", xa.castTo(DataType.DOUBLE)).mul(1.5);
            SDVariable rc = ref.var("cond", ca.castTo(DataType.DOUBLE));
            SDVariable m = x.mean(true, 2, 3);
            SDVariable v = x.sub(m).mul(x.sub(m)).mean(true, 2, 3);
            SDVariable g = rc.mmul(ref.var("ws", ws.castTo(DataType.DOUBLE)))
                    .add(ref.var("bs", bs.castTo(DataType.DOUBLE))).add(1);
            SDVariable b = rc.mmul(ref.var("wb", wb.castTo(DataType.DOUBLE)))
                    .add(ref.var("bb", bb.castTo(DataType.DOUBLE)));
            SDVariable ry = x.sub(m).div(ref.math.sqrt(v.add(EPS))).mul(ref.reshape(g, rows, c, 1, 1))
                    .add(ref.reshape(b, rows, c, 1, 1));
            SDVariable loss = ry.mul(ref.constant(weight.castTo(DataType.DOUBLE))).sum()
                    .add(ry.mul(ry).sum().mul(0.05));
            if (xReadAgain) {
                loss = loss.add(x.mul(x).sum().mul(0.01));
            }
            loss.markAsLoss();
            Map<String, INDArray> out = new HashMap<>(ref.calculateGradients(Map.of(), wrt));
            out.put("y", ref.output(Map.of(), ry.name()).get(ry.name()));
            return out;
        }

        void assertMatches(Map<String, INDArray> got, boolean xReadAgain) {
            Map<String, INDArray> want = reference(xReadAgain);
            double yErr = relative(got.get(y.name()).castTo(DataType.DOUBLE), want.get("y"));
            assertTrue(yErr < 2e-6, "y " + yErr);
            for (String w : wrt) {
                INDArray expected = want.get(w);
                double rel = relative(got.get(sd.getVariable(w).getGradient().name()).castTo(DataType.DOUBLE)
                        .reshape(expected.shape()), expected);
                assertTrue(rel < 2e-5, "gradient of " + w + ": " + rel);
            }
        }
    }

    private static long calls(String kernel) {
        return GraphPlan.kernelCalls().getOrDefault(kernel, 0L);
    }

    /** Largest difference relative to the reference's largest magnitude. */
    private static double relative(INDArray got, INDArray want) {
        double scale = Math.max(1e-12, want.amaxNumber().doubleValue());
        return got.sub(want).amaxNumber().doubleValue() / scale;
    }

    @ParameterizedTest(name = "[{0}, {1}, {2}, {2}], {3} rows of styles")
    @CsvSource({
            "32, 32, 32, 32",   // StyleGAN's layers at 32x32
            "32, 32, 4, 32",    // and at 4x4
            "4, 8, 64, 4",      // 64x64: several chunks of float sums per channel
            "6, 5, 3, 6",       // H W odd: the sums' tails
            "1, 4, 5, 1",       // a batch of one
            "6, 5, 3, 1"})      // one row of styles broadcast over the batch
    void adainMatchesFloat64(int n, int c, int h, int rows) {
        Case k = new Case(n, c, h, rows, false);
        long forward = calls(FORWARD);
        long backward = calls(BACKWARD);
        Map<String, INDArray> got = k.planned();
        assertEquals(1, calls(FORWARD) - forward, "fused forward kernels");
        assertEquals(1, calls(BACKWARD) - backward, "fused backward kernels");
        k.assertMatches(got, false);
        // the plan's second call, on other data
        k.xa = Nd4j.randn(DataType.FLOAT, n, c, h, h).muli(0.7).subi(0.3);
        k.assertMatches(k.planned(), false);
        assertEquals(2, calls(BACKWARD) - backward, "fused backward kernels");
    }

    /**
     * Instance norm with a learned gain and bias per channel ({@code [C]} parameters reshaped to
     * {@code [1, C, 1, 1]}), as an {@code InstanceNorm} layer would write it.
     */
    @Test
    void perChannelGainAndBias() {
        int n = 5;
        int c = 6;
        int h = 4;
        SameDiff sd = SameDiff.create();
        INDArray xa = Nd4j.randn(DataType.FLOAT, n, c, h, h).muli(2).addi(0.7);
        INDArray ga = Nd4j.rand(DataType.FLOAT, c).addi(0.5);
        INDArray ba = Nd4j.randn(DataType.FLOAT, c);
        INDArray weight = Nd4j.randn(DataType.FLOAT, n, c, h, h);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, c, h, h).mul(1.0);
        SDVariable gamma = sd.var("gamma", ga);
        SDVariable beta = sd.var("beta", ba);
        SDVariable mean = x.mean(true, 2, 3);
        SDVariable centered = x.sub(mean);
        SDVariable inv = sd.math.rsqrt(centered.mul(centered).mean(true, 2, 3).add(EPS));
        SDVariable y = centered.mul(sd.reshape(gamma, 1, c, 1, 1).mul(inv)).add(sd.reshape(beta, 1, c, 1, 1));
        y.mul(sd.constant(weight)).sum().markAsLoss();
        sd.createGradFunction("x");
        long forward = calls(BatchNormFusion.INSTANCE_FORWARD);
        long backward = calls(BatchNormFusion.INSTANCE_BACKWARD);
        List<String> names = List.of(y.name(), sd.getVariable("x").getGradient().name(),
                sd.getVariable("gamma").getGradient().name(), sd.getVariable("beta").getGradient().name());
        Map<String, INDArray> got = GraphPlan.output(sd.getFunction("grad"), Map.of("x", xa), names, Set.of());
        assertEquals(1, calls(BatchNormFusion.INSTANCE_FORWARD) - forward, "fused forward kernels");
        assertEquals(1, calls(BatchNormFusion.INSTANCE_BACKWARD) - backward, "fused backward kernels");

        SameDiff ref = SameDiff.create();
        SDVariable rx = ref.var("x", xa.castTo(DataType.DOUBLE));
        SDVariable rg = ref.var("gamma", ga.castTo(DataType.DOUBLE));
        SDVariable rb = ref.var("beta", ba.castTo(DataType.DOUBLE));
        SDVariable m = rx.mean(true, 2, 3);
        SDVariable v = rx.sub(m).mul(rx.sub(m)).mean(true, 2, 3);
        SDVariable ry = rx.sub(m).div(ref.math.sqrt(v.add(EPS))).mul(ref.reshape(rg, 1, c, 1, 1))
                .add(ref.reshape(rb, 1, c, 1, 1));
        ry.mul(ref.constant(weight.castTo(DataType.DOUBLE))).sum().markAsLoss();
        Map<String, INDArray> want = ref.calculateGradients(Map.of(), "x", "gamma", "beta");
        assertTrue(relative(got.get(y.name()).castTo(DataType.DOUBLE), ref.output(Map.of(), ry.name())
                .get(ry.name())) < 2e-6, "y");
        for (String w : List.of("x", "gamma", "beta")) {
            double rel = relative(got.get(sd.getVariable(w).getGradient().name()).castTo(DataType.DOUBLE)
                    .reshape(want.get(w).shape()), want.get(w));
            assertTrue(rel < 2e-5, "gradient of " + w + ": " + rel);
        }
    }

    /** Another term of the loss on x: the layer's gradient of x is not its own, so its ops run, as they should. */
    @Test
    void anotherReaderOfTheInputKeepsTheLayersOps() {
        Case k = new Case(6, 5, 4, 6, true);
        long forward = calls(FORWARD);
        long backward = calls(BACKWARD);
        Map<String, INDArray> got = k.planned();
        assertEquals(0, calls(FORWARD) - forward, "fused forward kernels");
        assertEquals(0, calls(BACKWARD) - backward, "fused backward kernels");
        k.assertMatches(got, true);
    }

    @Test
    void offItRunsTheElementaryOps() {
        GraphPlan.fuseBatchNorm(false);
        Case k = new Case(6, 5, 4, 6, false);
        long forward = calls(FORWARD);
        Map<String, INDArray> got = k.planned();
        assertEquals(0, calls(FORWARD) - forward);
        k.assertMatches(got, false);
    }

    @Test
    void withSameDiffsOwnSumsTheGraphKeepsItsOps() {
        GraphPlan.ownArithmetic(false);
        Case k = new Case(6, 5, 4, 6, false);
        long forward = calls(FORWARD);
        k.planned();
        assertEquals(0, calls(FORWARD) - forward, "the exact mode gives SameDiff's bits");
    }
}
