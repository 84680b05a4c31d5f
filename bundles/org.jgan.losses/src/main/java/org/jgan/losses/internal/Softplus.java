package org.jgan.losses.internal;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** Numerically stable softplus for any logit magnitude, with the right gradient everywhere. */
final class Softplus {

    private Softplus() {
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
