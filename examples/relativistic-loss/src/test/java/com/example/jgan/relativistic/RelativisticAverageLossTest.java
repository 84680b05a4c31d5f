package com.example.jgan.relativistic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jgan.api.LossTerms;
import org.jgan.api.Options;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/** Golden values computed by hand, and finite values at logits of +-50. */
class RelativisticAverageLossTest {

    private static double softplus(double x) {
        return Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);
    }

    private static double[] losses(double[] real, double[] fake, double relativism) {
        SameDiff sd = SameDiff.create();
        SDVariable r = sd.constant("r", Nd4j.createFromArray(real).reshape(real.length, 1).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT));
        SDVariable f = sd.constant("f", Nd4j.createFromArray(fake).reshape(fake.length, 1).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT));
        RelativisticAverageLoss loss = new RelativisticAverageLoss();
        LossTerms t = loss.define(sd, r, f, Options.resolve("relativistic", loss.options(), Map.of("relativism", String.valueOf(relativism))));
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> out = sd.output(Map.of(), t.discriminator().name(),
                t.generator().name());
        return new double[] {out.get(t.discriminator().name()).getDouble(0), out.get(t.generator().name()).getDouble(0)};
    }

    @Test
    void matchesTheRaSganEquationsOnHandComputedLogits() {
        double[] real = {2, 0};
        double[] fake = {-1, 1};
        // mean real 1, mean fake 0: r = (2, 0), f = (-2, 0)
        double d = (softplus(-2) + softplus(0)) / 2 + (softplus(-2) + softplus(0)) / 2;
        double g = (softplus(2) + softplus(0)) / 2 + (softplus(2) + softplus(0)) / 2;
        double[] l = losses(real, fake, 1);
        assertEquals(d, l[0], 1e-5);
        assertEquals(g, l[1], 1e-5);
    }

    @Test
    void relativismZeroIsTheStandardNonSaturatingLoss() {
        double[] l = losses(new double[] {1.5}, new double[] {-0.5}, 0);
        assertEquals(softplus(-1.5) + softplus(-0.5), l[0], 1e-5);
        assertEquals(softplus(0.5), l[1], 1e-5);
    }

    @Test
    void extremeLogitsStayFinite() {
        double[] l = losses(new double[] {50, -50}, new double[] {-50, 50}, 1);
        assertTrue(Double.isFinite(l[0]) && Double.isFinite(l[1]), l[0] + " " + l[1]);
        // r = (50, -50), f = (-50, 50): each softplus of +-50 is 50 or ~0
        assertEquals(50, l[0], 1e-3);
        assertEquals(50, l[1], 1e-3);
    }
}
