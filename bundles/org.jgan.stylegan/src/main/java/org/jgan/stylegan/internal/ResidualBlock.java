package org.jgan.stylegan.internal;

import org.jgan.api.NetworkScope;
import org.jgan.layers.Resampling;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The discriminator's residual blocks (as in {@code resnet}, without normalization, with equalized weights;
 * StyleGAN2's residual D, Karras et al. 2019, figure 7c), NCHW, with LeakyReLU 0.2 as in StyleGAN; as in
 * StyleGAN2 the sum of the two paths is scaled by 1/sqrt(2), which keeps the activations' scale from growing block
 * by block:
 * <pre>
 *   down:   x -> lrelu -> conv3x3 -> lrelu -> conv3x3 -> avgpool2x2    + conv1x1(avgpool2x2(x))
 *   first:  x -> conv3x3 -> lrelu -> conv3x3 -> avgpool2x2             + conv1x1(avgpool2x2(x))
 * </pre>
 */
final class ResidualBlock {

    static final double SLOPE = 0.2;
    static final double RESIDUAL_SCALE = 1 / Math.sqrt(2);

    private ResidualBlock() {
    }

    /** On a {@code size x size} input. */
    static SDVariable down(NetworkScope scope, String name, SDVariable x, long in, long out, long size) {
        SameDiff sd = scope.sd();
        SDVariable shortcut = conv(scope, name + "/shortcut", avgPool(sd, x, in, size), in, out, 1, false);
        SDVariable h = conv(scope, name + "/conv1", lrelu(scope, x), in, in, 3, true);
        return avgPool(sd, conv(scope, name + "/conv2", lrelu(scope, h), in, out, 3, true), out, size).add(shortcut)
                .mul(RESIDUAL_SCALE);
    }

    /** On a {@code size x size} input. */
    static SDVariable first(NetworkScope scope, String name, SDVariable x, long in, long out, long size) {
        SameDiff sd = scope.sd();
        SDVariable shortcut = conv(scope, name + "/shortcut", avgPool(sd, x, in, size), in, out, 1, false);
        SDVariable h = lrelu(scope, conv(scope, name + "/conv1", x, in, out, 3, true));
        return avgPool(sd, conv(scope, name + "/conv2", h, out, out, 3, true), out, size).add(shortcut)
                .mul(RESIDUAL_SCALE);
    }

    static SDVariable lrelu(NetworkScope scope, SDVariable x) {
        return scope.leakyRelu(x, SLOPE);
    }

    /**
     * A stride-1 "same" convolution with a square kernel, its weight {@link Equalized} (gain sqrt(2) for 3x3 kernels
     * followed by LeakyReLU, 1 for 1x1 ones: shortcuts and toRGB).
     */
    static SDVariable conv(NetworkScope scope, String name, SDVariable x, long in, long out, int kernel,
            boolean bias) {
        SDVariable w = Equalized.weight(scope, name + "/W", kernel == 1 ? 1 : Equalized.LRELU_GAIN, 1,
                (long) kernel * kernel * in, kernel, kernel, in, out);
        return conv(scope, name, x, w, kernel, out, bias);
    }

    /** A stride-1 "same" convolution with a given weight {@code [k, k, in, out]}. */
    static SDVariable conv(NetworkScope scope, String name, SDVariable x, SDVariable w, int kernel, long out,
            boolean bias) {
        return org.jgan.layers.ResidualBlock.conv(scope, name, x, w, kernel, out, bias);
    }

    static SDVariable avgPool(SameDiff sd, SDVariable x, long channels, long size) {
        return Resampling.avgPool2x2(sd, x, channels, size, size);
    }
}
