package org.jgan.resnet.internal;

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

/** The ResNet networks of one run (Gulrajani et al. 2017); see {@link ResnetArchitecture} for the plan. */
final class ResnetNetworks implements Networks {

    static final String NAME = "resnet";
    /** Blocks of the discriminator at every resolution. */
    static final int D_BLOCKS = 4;
    /** D halves the resolution while its feature map is wider than this. */
    static final int D_SMALLEST = 8;

    /**
     * @param channels width C of every block
     * @param gNorm    batch norm in G's blocks and before its output convolution
     * @param dNorm    batch norm in D's blocks after the first
     */
    record Layout(int channels, boolean gNorm, boolean dNorm) {
    }

    private final Resolution res;
    private final int latent;
    private final int classes;
    private final Layout layout;

    ResnetNetworks(Resolution res, int latent, int classes, Layout layout) {
        this.res = res;
        this.latent = latent;
        this.classes = classes;
        this.layout = layout;
    }

    @Override
    public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        NetworkChecks.shape(NAME, z, "latent batch z", -1, latent);
        long c = layout.channels();
        int s = res.start();
        SDVariable h = labels == null ? z : sd.concat(1, z, labels);
        long in = latent + classes;
        SDVariable w = scope.param("fc/W", ParamKind.WEIGHT, Initializer.glorotUniform(in, c * s * s), in, c * s * s);
        SDVariable b = scope.param("fc/b", ParamKind.BIAS, Initializer.zeros(), c * s * s);
        h = sd.reshape(h.mmul(w).add(b), -1, c, s, s);
        for (int i = 1; i <= res.doublings(); i++) {
            boolean last = i == res.doublings();
            h = ResidualBlock.up(scope, "up" + i, h, c, c, (long) s << (i - 1), layout.gNorm(),
                    !(last && layout.gNorm()));
        }
        h = ResidualBlock.preActivation(scope, "out/bn", h, c, layout.gNorm());
        return sd.math.tanh(conv3Glorot(scope, "out", h, c, res.channels()));
    }

    /** D's rows are independent unless its blocks have batch norm ({@code dNorm=batch}). */
    @Override
    public boolean independentSamples() {
        return !layout.dNorm();
    }

    @Override
    public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        int size = res.size();
        NetworkChecks.shape(NAME, x, "data batch x", -1, res.channels(), size, size);
        long c = layout.channels();
        SDVariable h = labels == null ? x : sd.concat(1, x, NetworkChecks.labelMaps(sd, labels, classes, size));
        h = ResidualBlock.first(scope, "block1", h, res.channels() + classes, c, size);
        size /= 2;
        for (int i = 2; i <= D_BLOCKS; i++) {
            if (size > D_SMALLEST) {
                h = ResidualBlock.down(scope, "block" + i, h, c, c, size, layout.dNorm());
                size /= 2;
            } else {
                h = ResidualBlock.plain(scope, "block" + i, h, c, layout.dNorm());
            }
        }
        SDVariable features = scope.relu(h).mean(2, 3);
        SDVariable w = scope.param("out/W", ParamKind.WEIGHT, Initializer.glorotUniform(c, 1), c, 1);
        SDVariable b = scope.param("out/b", ParamKind.BIAS, Initializer.zeros(), 1);
        return new Critique(features.mmul(w).add(b), features);
    }

    /** G's output layer: conv3x3 with Glorot initialisation (their he_init=False before tanh). */
    private static SDVariable conv3Glorot(NetworkScope scope, String name, SDVariable x, long in, long out) {
        return ResidualBlock.conv(scope, name, x, in, out, 3, true, Initializer.glorotUniform(9 * in, 9 * out));
    }



}
