package org.jgan.losses.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        return evaluate(loss, Map.of(), real, fake);
    }

    static double[] evaluate(AdversarialLoss loss, Map<String, String> options, double[] real, double[] fake) {
        SameDiff sd = SameDiff.create();
        SDVariable r = sd.constant("r", Nd4j.create(real, real.length, 1).castTo(DataType.FLOAT));
        SDVariable f = sd.constant("f", Nd4j.create(fake, fake.length, 1).castTo(DataType.FLOAT));
        LossTerms t = loss.define(sd, r, f, Options.resolve("loss", loss.options(), options));
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
    void relativisticPairingMatchesHandComputedValues() {
        // real logits 0 and 2 paired with fake logits 0 and -1: differences 0 and 3
        // L_D = mean(softplus(-0), softplus(-3)) = (0.693147 + 0.048587)/2 = 0.370867
        // L_G = mean(softplus(0), softplus(3)) = (0.693147 + 3.048587)/2 = 1.870867
        double[] v = evaluate(new RelativisticPairingLoss(), new double[] {0, 2}, new double[] {0, -1});
        assertEquals(0.370867, v[0], 1e-5);
        assertEquals(1.870867, v[1], 1e-5);
        // the pairing is row by row: the same logits paired the other way give other values
        double[] swapped = evaluate(new RelativisticPairingLoss(), new double[] {0, 2}, new double[] {-1, 0});
        assertEquals((softplus(-1) + softplus(-2)) / 2, swapped[0], 1e-5);
        // saturated differences stay finite: softplus(-100) ~ 0 and softplus(100) = 100
        double[] far = evaluate(new RelativisticPairingLoss(), new double[] {50, 0}, new double[] {-50, 0});
        assertEquals(0.346574, far[0], 1e-5);
        assertEquals(50.346574, far[1], 1e-4);
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
        NonSaturatingLoss ns = new NonSaturatingLoss();
        LossTerms t = ns.define(sd, r, f, Options.resolve("loss", ns.options(), Map.of()));
        sd.setLossVariables(t.generator());
        INDArray g = sd.calculateGradients(Map.of(), "f").get("f");
        assertEquals(-0.5, g.getDouble(0), 1e-6);
        assertEquals(-0.25, g.getDouble(1), 1e-6);
        SameDiff sd2 = SameDiff.create();
        SDVariable f2 = sd2.var("f", Nd4j.create(new double[] {-50, 0}, 2, 1).castTo(DataType.FLOAT));
        MinimaxLoss mm = new MinimaxLoss();
        LossTerms t2 = mm.define(sd2, sd2.constant("r", Nd4j.zeros(DataType.FLOAT, 2, 1)), f2,
                Options.resolve("loss", mm.options(), Map.of()));
        sd2.setLossVariables(t2.generator());
        INDArray g2 = sd2.calculateGradients(Map.of(), "f").get("f");
        // d/dl -softplus(l)/n = -sigmoid(l)/n: vanishes at l = -50 (the saturation the non-saturating loss avoids)
        assertEquals(0.0, g2.getDouble(0), 1e-6);
        assertEquals(-0.25, g2.getDouble(1), 1e-6);
    }

    @Test
    void oneSidedLabelSmoothingChangesOnlyTheRealTerm() {
        // alpha = 0.9, real logits 0 and 2, fake logits 0 and -1:
        // real part = mean(0.9 softplus(-0) + 0.1 softplus(0), 0.9 softplus(-2) + 0.1 softplus(2))
        //           = (0.693147 + 0.9 * 0.126928 + 0.1 * 2.126928) / 2 = 0.5100376
        // fake part = (0.693147 + 0.313262) / 2 = 0.5032044; L_D = 1.0132420; L_G unchanged
        double realPart = (softplus(0) + 0.9 * softplus(-2) + 0.1 * softplus(2)) / 2;
        assertEquals(0.5100376, realPart, 1e-6);
        for (AdversarialLoss loss : new AdversarialLoss[] {new NonSaturatingLoss(), new MinimaxLoss()}) {
            double[] plain = evaluate(loss, REAL, FAKE);
            double[] smooth = evaluate(loss, Map.of("realLabel", "0.9"), REAL, FAKE);
            assertEquals(1.0132420, smooth[0], 1e-5, loss.description());
            assertEquals(plain[1], smooth[1], 1e-7, loss.description() + ": L_G must not change");
            double[] big = evaluate(loss, Map.of("realLabel", "0.9"), new double[] {50, -50}, new double[] {-50, 50});
            // real part at +-50: (0.1 * 50 + 0.9 * 50) / 2 = 25; fake part (0 + 50) / 2 = 25
            assertEquals(50.0, big[0], 1e-3, loss.description() + " at +-50");
        }
        assertThrows(IllegalArgumentException.class,
                () -> evaluate(new NonSaturatingLoss(), Map.of("realLabel", "1.5"), REAL, FAKE));
    }

    private static final double[] REAL = {0, 2};
    private static final double[] FAKE = {0, -1};

    private static void golden(AdversarialLoss loss, Map<String, String> options, double d, double g) {
        double[] v = evaluate(loss, options, REAL, FAKE);
        assertEquals(d, v[0], 1e-5, loss.description() + " " + options + " L_D");
        assertEquals(g, v[1], 1e-5, loss.description() + " " + options + " L_G");
        double[] big = evaluate(loss, options, new double[] {50, -50}, new double[] {-50, 50});
        assertTrue(Double.isFinite(big[0]) && Double.isFinite(big[1]), options + " at +-50: " + big[0] + ", " + big[1]);
    }

    @Test
    void leastSquaresWassersteinAndHingeMatchHandComputedValues() {
        // LSGAN: L_D = 1/2 (mean((0-1)^2, (2-1)^2) + mean(0^2, (-1)^2)) = 0.75; L_G = 1/2 mean(1, 4) = 1.25
        golden(new LeastSquaresLoss(), Map.of(), 0.75, 1.25);
        // LSGAN with the -1/1/0 coding (Mao et al. eq. 8 variant): L_D = 1/2 (mean(1,1) + mean(1, 0)) = 0.75,
        // L_G = 1/2 mean(0, 1) = 0.25
        golden(new LeastSquaresLoss(), Map.of("a", "-1", "b", "1", "c", "0"), 0.75, 0.25);
        // WGAN: L_D = mean(0, -1) - mean(0, 2) = -1.5; L_G = 0.5
        golden(new WassersteinLoss(), Map.of(), -1.5, 0.5);
        // hinge: L_D = mean(1, 0) + mean(1, 0) = 1; L_G = 0.5
        golden(new HingeLoss(), Map.of(), 1.0, 0.5);
    }

    @Test
    void fganDivergencesMatchHandComputedValues() {
        FDivergenceLoss f = new FDivergenceLoss();
        // KL: F = mean(0, 2) - mean(e^-1, e^-2) = 1 - 0.251607
        golden(f, Map.of("divergence", "kl"), -0.748393, -0.251607);
        // reverse KL: F = mean(-1, -e^-2) - mean(-1, -2) = -0.567668 + 1.5
        golden(f, Map.of("divergence", "reverse-kl"), -0.932332, 1.5);
        // Pearson chi^2: F = 1 - mean(0, 1/4 - 1) = 1.375
        golden(f, Map.of("divergence", "pearson"), -1.375, 0.375);
        // squared Hellinger: F = mean(0, 1 - e^-2) - mean(0, e^-1 - 1) = 0.432332 + 0.316060
        golden(f, Map.of("divergence", "squared-hellinger"), -0.748393, 0.316060);
        // JS: F = E log D(x) + E log(1 - D(G(z))) + 2 log 2 = -0.913242 + 1.386294 (the GAN loss above)
        golden(f, Map.of("divergence", "js"), -0.473052, 0.189943);
        // alternative generator: L_G = -E_Q[g_f(V)]; for JS, -mean(log 2 - softplus(0), log 2 - softplus(1))
        golden(f, Map.of("divergence", "js", "generator", "alternative"), -0.473052,
                -((Math.log(2) - softplus(0)) + (Math.log(2) - softplus(1))) / 2);
    }
}
