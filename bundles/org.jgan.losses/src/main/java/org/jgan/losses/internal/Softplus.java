package org.jgan.losses.internal;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** Numerically stable softplus for any logit magnitude. */
final class Softplus {

    private Softplus() {
    }

    /**
     * softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows (e^-|x| is at most 1), and keeps
     * full precision for large negative x. Note softplus(-x) = -log(sigmoid(x)).
     */
    static SDVariable of(SameDiff sd, SDVariable x) {
        return sd.nn.relu(x, 0).add(sd.math.log1p(sd.math.exp(sd.math.abs(x).neg())));
    }
}
