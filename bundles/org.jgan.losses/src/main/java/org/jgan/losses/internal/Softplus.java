package org.jgan.losses.internal;

import java.util.List;
import org.jgan.api.OptionSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** Numerically stable softplus for any logit magnitude, with the right gradient everywhere. */
final class Softplus {

    /**
     * One-sided label smoothing (Salimans et al. 2016, section 3.4): the discriminator's target on real data is
     * alpha instead of 1, on generated data it stays 0.
     */
    static final List<OptionSpec> LABEL_OPTIONS = List.of(OptionSpec.ofDouble("realLabel", 1, 0.5, 1,
            "Discriminator target on real data; below 1 for one-sided label smoothing (Salimans et al. 2016: 0.9)"));

    private Softplus() {
    }

    /**
     * The discriminator's cross-entropy with target alpha on data and 0 on samples:
     * {@code E_data[alpha softplus(-l) + (1 - alpha) softplus(l)] + E_z[softplus(l)]}, i.e.
     * {@code -E_data[alpha log D + (1 - alpha) log(1 - D)] - E_z[log(1 - D)]}; alpha = 1 is Goodfellow et al.'s.
     */
    static SDVariable discriminatorTerm(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, double alpha) {
        SDVariable real = Softplus.of(sd, realLogits.neg());
        if (alpha != 1) {
            real = real.mul(alpha).add(Softplus.of(sd, realLogits).mul(1 - alpha));
        }
        return real.mean().add(Softplus.of(sd, fakeLogits).mean());
    }

    /**
     * softplus(x) = log(1 + e^x) = x/2 + (|x|/2 + log1p(e^-|x|)). Never overflows (e^-|x| is at most 1) and keeps
     * full precision for large negative x. Written around |x| so that the kink of |x| at 0 cancels: the bracket
     * has zero slope at |x| = 0, so the gradient there is exactly 1/2 = sigmoid(0) whatever subgradient |x| takes
     * (the max(x, 0) + log1p(e^-|x|) form gets 0 there). Note softplus(-x) = -log(sigmoid(x)).
     */
    static SDVariable of(SameDiff sd, SDVariable x) {
        SDVariable abs = sd.math.abs(x);
        return x.mul(0.5).add(abs.mul(0.5)).add(sd.math.log1p(sd.math.exp(abs.neg())));
    }
}
