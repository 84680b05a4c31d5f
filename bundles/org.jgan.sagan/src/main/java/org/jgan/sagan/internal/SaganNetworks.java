package org.jgan.sagan.internal;

import org.jgan.api.Critique;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.layers.NetworkChecks;
import org.jgan.layers.ResidualBlock;
import org.jgan.layers.Resolution;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** The SAGAN networks of one run (Zhang et al. 2018); see {@link SaganArchitecture} for the plan. */
final class SaganNetworks implements Networks {

    static final String NAME = "sagan";
    /** Blocks of the discriminator at every resolution. */
    static final int D_BLOCKS = 4;
    /** D halves the resolution while its feature map is wider than this. */
    static final int D_SMALLEST = 8;

    private final Resolution res;
    private final int latent;
    private final int classes;
    private final long c;
    private final int attention;
    private final int reduction;

    SaganNetworks(Resolution res, int latent, int classes, int channels, int attention, int reduction) {
        this.res = res;
        this.latent = latent;
        this.classes = classes;
        this.c = channels;
        this.attention = attention;
        this.reduction = reduction;
    }

    @Override
    public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        NetworkChecks.shape(NAME, z, "latent batch z", -1, latent);
        int s = res.start();
        SDVariable h = labels == null ? z : sd.concat(1, z, labels);
        long in = latent + classes;
        SDVariable w = scope.param("fc/W", ParamKind.WEIGHT, Initializer.glorotUniform(in, c * s * s), in, c * s * s);
        SDVariable b = scope.param("fc/b", ParamKind.BIAS, Initializer.zeros(), c * s * s);
        h = sd.reshape(h.mmul(w).add(b), -1, c, s, s);
        for (int i = 1; i <= res.doublings(); i++) {
            h = ResidualBlock.up(scope, "up" + i, h, c, c, s, true, i != res.doublings());
            s *= 2;
            if (s == attention) {
                h = SelfAttention.apply(scope, "attention", h, c, s, reduction);
            }
        }
        h = ResidualBlock.preActivation(scope, "out/bn", h, c, true);
        SDVariable out = ResidualBlock.conv(scope, "out", h, c, res.channels(), 3, true,
                Initializer.glorotUniform(9 * c, 9 * res.channels()));
        return sd.math.tanh(out);
    }

    /**
     * D's rows are independent: spectral normalization acts on the weights, self-attention within each sample's
     * positions.
     */
    @Override
    public boolean independentSamples() {
        return true;
    }

    @Override
    public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        int size = res.size();
        NetworkChecks.shape(NAME, x, "data batch x", -1, res.channels(), size, size);
        SDVariable h = labels == null ? x : sd.concat(1, x, NetworkChecks.labelMaps(sd, labels, classes, size));
        h = ResidualBlock.first(scope, "block1", h, res.channels() + classes, c, size);
        size /= 2;
        boolean attended = false;
        for (int i = 2; i <= D_BLOCKS + 1; i++) {
            if (!attended && size == attention) {
                h = SelfAttention.apply(scope, "attention", h, c, size, reduction);
                attended = true;
            }
            if (i > D_BLOCKS) {
                break;
            }
            if (size > D_SMALLEST) {
                h = ResidualBlock.down(scope, "block" + i, h, c, c, size, false);
                size /= 2;
            } else {
                h = ResidualBlock.plain(scope, "block" + i, h, c, false);
            }
        }
        SDVariable features = scope.relu(h).sum(2, 3);
        SDVariable w = scope.param("out/W", ParamKind.WEIGHT, Initializer.glorotUniform(c, 1), c, 1);
        SDVariable b = scope.param("out/b", ParamKind.BIAS, Initializer.zeros(), 1);
        return new Critique(features.mmul(w).add(b), features);
    }



}
