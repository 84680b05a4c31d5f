package org.jgan.biggan.internal;

import org.jgan.api.NetworkScope;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * BigGAN's truncation trick (Brock et al. 2018, section 4.1): at sampling time, components of z ~ N(0, I) whose
 * magnitude exceeds a threshold t are resampled until they fall within [-t, t], i.e. each such component is drawn
 * from N(0, 1) truncated to [-t, t]; components already within are kept.
 * <p>
 * In the graph the resampling runs a fixed number of {@link #ROUNDS} with fresh N(0, 1) draws
 * ({@link NetworkScope#noise}); a component still outside after them is set to 0, the mode of the truncated
 * distribution. For t >= 0.5 that happens with probability {@code P(|n| > t)^ROUNDS <= 0.62^32 < 3e-7} per
 * component. At t = 0 no draw is ever within, so every component becomes 0: G(0), the mean latent, the same limit
 * as StyleGAN's truncation with psi = 0.
 */
final class Truncation {

    /** Resampling rounds. */
    static final int ROUNDS = 32;

    private Truncation() {
    }

    /**
     * @param z         latent batch {@code [batch, size]}
     * @param threshold t >= 0
     * @return the truncated latent batch, same shape
     */
    static SDVariable resample(NetworkScope scope, SDVariable z, long size, double threshold) {
        SameDiff sd = scope.sd();
        SDVariable out = z;
        for (int r = 0; r < ROUNDS; r++) {
            SDVariable keep = within(sd, out, threshold);
            SDVariable draw = scope.noise("truncation" + r, -1, size);
            out = out.mul(keep).add(draw.mul(keep.rsub(1)));
        }
        return out.mul(within(sd, out, threshold));
    }

    /** 1 where |v| <= t, else 0. */
    private static SDVariable within(SameDiff sd, SDVariable v, double threshold) {
        return sd.lte(sd.math.abs(v), threshold).castTo(DataType.FLOAT);
    }
}
