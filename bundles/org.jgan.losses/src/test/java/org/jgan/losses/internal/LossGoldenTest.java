package org.jgan.losses.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jgan.api.AdversarialLoss;
import org.jgan.api.LossTerms;
import org.jgan.api.Options;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Losses against values computed by hand, including saturated logits. */
class LossGoldenTest {

    /** log(1 + e^x) in double precision, stable. */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    static double[] evaluate(AdversarialLoss loss, double[] real, double[] fake) {
        SameDiff sd = SameDiff.create();
        SDVariable r = sd.constant("r", Nd4j.create(real, real.length, 1).castTo(DataType.FLOAT));
        SDVariable f = sd.constant("f", Nd4j.create(fake, fake.length, 1).castTo(DataType.FLOAT));
        LossTerms t = loss.define(sd, r, f, Options.none("loss"));
        Map<String, INDArray> out = sd.output(Map.of(), t.discriminator().name(), t.generator().name());
        return new double[] {out.get(t.discriminator().name()).getDouble(0), out.get(t.generator().name()).getDouble(0)};
    }

    @Test
    void nonSaturatingMatchesHandComputedValues() {
        // real logits 0 and 2, fake logits 0 and -1:
        // L_D = mean(softplus(-0), softplus(-2)) + mean(softplus(0), softplus(-1))
        //     = (0.693147 + 0.126928)/2 + (0.693147 + 0.313262)/2 = 0.913242
        // L_G = mean(softplus(-0), softplus(1)) = (0.693147 + 1.313262)/2 = 1.003204
        double[] v = evaluate(new NonSaturatingLoss(), new double[] {0, 2}, new double[] {0, -1});
        assertEquals(0.913242, v[0], 1e-5);
        assertEquals(1.003204, v[1], 1e-5);
    }

    @Test
    void minimaxMatchesHandComputedValues() {
        // L_G = -mean(softplus(0), softplus(-1)) = -(0.693147 + 0.313262)/2 = -0.503204
        double[] v = evaluate(new MinimaxLoss(), new double[] {0, 2}, new double[] {0, -1});
        assertEquals(0.913242, v[0], 1e-5);
        assertEquals(-0.503204, v[1], 1e-5);
    }

    @Test
    void saturatedLogitsStayFinite() {
        double[] real = {50, -50};
        double[] fake = {-50, 50};
        for (AdversarialLoss loss : new AdversarialLoss[] {new NonSaturatingLoss(), new MinimaxLoss()}) {
            double[] v = evaluate(loss, real, fake);
            assertTrue(Double.isFinite(v[0]) && Double.isFinite(v[1]), loss.description() + " gave " + v[0] + ", " + v[1]);
        }
        double[] ns = evaluate(new NonSaturatingLoss(), real, fake);
        // L_D = (softplus(-50) + softplus(50))/2 + (softplus(-50) + softplus(50))/2 = 50 (+ 2e-22)
        assertEquals(50.0, ns[0], 1e-4);
        assertEquals((softplus(50) + softplus(-50)) / 2, ns[1], 1e-4);
        double[] mm = evaluate(new MinimaxLoss(), real, fake);
        assertEquals(-(softplus(-50) + softplus(50)) / 2, mm[1], 1e-4);
    }

    @Test
    void gradientOfNonSaturatingGeneratorLossIsMinusSigmoidOfMinusLogit() {
        // d/dl softplus(-l) / n = -sigmoid(-l) / n; at l = -50 (confident rejection) it is -1/n: no vanishing.
        SameDiff sd = SameDiff.create();
        SDVariable f = sd.var("f", Nd4j.create(new double[] {-50, 0}, 2, 1).castTo(DataType.FLOAT));
        SDVariable r = sd.constant("r", Nd4j.zeros(DataType.FLOAT, 2, 1));
        LossTerms t = new NonSaturatingLoss().define(sd, r, f, Options.none("loss"));
        sd.setLossVariables(t.generator());
        INDArray g = sd.calculateGradients(Map.of(), "f").get("f");
        assertEquals(-0.5, g.getDouble(0), 1e-6);
        assertEquals(-0.25, g.getDouble(1), 1e-6);
        SameDiff sd2 = SameDiff.create();
        SDVariable f2 = sd2.var("f", Nd4j.create(new double[] {-50, 0}, 2, 1).castTo(DataType.FLOAT));
        LossTerms t2 = new MinimaxLoss().define(sd2, sd2.constant("r", Nd4j.zeros(DataType.FLOAT, 2, 1)), f2,
                Options.none("loss"));
        sd2.setLossVariables(t2.generator());
        INDArray g2 = sd2.calculateGradients(Map.of(), "f").get("f");
        // d/dl -softplus(l)/n = -sigmoid(l)/n: vanishes at l = -50 (the saturation the non-saturating loss avoids)
        assertEquals(0.0, g2.getDouble(0), 1e-6);
        assertEquals(-0.25, g2.getDouble(1), 1e-6);
    }
}
