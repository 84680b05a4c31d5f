package org.jgan.regularizers.internal;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** The two-sided penalty lambda (|g| - 1)^2 of WGAN-GP and DRAGAN, from the squared norm s = |g|^2. */
final class UnitGradientNorm {

    private UnitGradientNorm() {
    }

    static SDVariable penalty(SameDiff sd, SDVariable squaredNorm, double lambda) {
        // |g| = sqrt(s + tiny): the tiny constant keeps the derivative finite at s = 0.
        SDVariable norm = sd.math.sqrt(squaredNorm.add(1e-12));
        return sd.math.square(norm.sub(1.0)).mul(lambda);
    }
}
