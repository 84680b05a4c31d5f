package org.jgan.stylegan.internal;

import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The per-layer operations of the style-based generator (Karras et al. 2018, section 2, figure 1b; Karras et al.
 * 2019, section 2.2), on NCHW feature maps:
 * <pre>
 *   style:       y = A(w) = w W_A + b_A                          learned affine transform of w, one per layer
 *   AdaIN:       AdaIN(x, y) = y_s (x - mu(x)) / sigma(x) + y_b   mu, sigma per sample and channel (eq. 1)
 *   noise:       x + B (.) n,   n ~ N(0, 1) [batch, 1, H, W]      B: learned per-channel scale, initially 0
 *   modulated:   w'_ijk = s_i w_ijk,  w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2 + eps)   (StyleGAN2, eq. 1 and 3)
 * </pre>
 * The modulated convolution is computed as StyleGAN2's code does without grouped convolutions: scale the input
 * channels by s, convolve with w, scale the output channels by the demodulation factor
 * {@code d_j = 1 / sqrt(sum_i s_i^2 sum_k w_ijk^2 + eps)}; that equals convolving with w'' (linearity).
 */
final class StyleLayers {

    /** Instance-normalization epsilon of StyleGAN; demodulation epsilon of StyleGAN2. */
    static final double EPS = 1e-8;

    private StyleLayers() {
    }

    /** A(w) {@code [batch, channels]} with bias initially {@code biasInit} (1 for scales, 0 for biases). */
    static SDVariable style(NetworkScope scope, String name, SDVariable w, long wDim, long channels, double biasInit) {
        SDVariable a = Equalized.weight(scope, name + "/W", 1, 1, wDim, wDim, channels);
        SDVariable b = scope.param(name + "/b", ParamKind.BIAS,
                biasInit == 0 ? Initializer.zeros() : (shape, rng) -> Initializer.ones().create(shape, rng)
                        .muli(biasInit), channels);
        return w.mmul(a).add(b);
    }

    /** AdaIN(x, (ys, yb)) with ys, yb {@code [batch, channels]}. */
    static SDVariable adain(SameDiff sd, SDVariable x, SDVariable ys, SDVariable yb, long channels) {
        SDVariable mean = x.mean(true, 2, 3);
        SDVariable centered = x.sub(mean);
        SDVariable inv = sd.math.rsqrt(centered.mul(centered).mean(true, 2, 3).add(EPS));
        SDVariable scale = sd.reshape(ys, -1, channels, 1, 1).mul(inv);
        return centered.mul(scale).add(sd.reshape(yb, -1, channels, 1, 1));
    }

    /** x + B (.) n with a fresh single-channel noise image per sample and layer. */
    static SDVariable noise(NetworkScope scope, String name, SDVariable x, long channels, long size) {
        SameDiff sd = scope.sd();
        SDVariable n = scope.noise(name, -1, 1, size, size);
        SDVariable b = scope.param(name + "/strength", ParamKind.OTHER, Initializer.zeros(), channels);
        return x.add(sd.reshape(b, 1, channels, 1, 1).mul(n));
    }

    /**
     * The modulated (and, when {@code demodulate}, demodulated) 3x3 or 1x1 convolution of StyleGAN2, no bias.
     *
     * @param s styles {@code [batch, in]}
     */
    static SDVariable modulatedConv(NetworkScope scope, String name, SDVariable x, SDVariable s, long in, long out,
            int kernel, boolean demodulate) {
        SameDiff sd = scope.sd();
        SDVariable w = Equalized.weight(scope, name + "/W", kernel == 1 ? 1 : Equalized.LRELU_GAIN, 1,
                (long) kernel * kernel * in, kernel, kernel, in, out);
        SDVariable modulated = x.mul(sd.reshape(s, -1, in, 1, 1));
        SDVariable y = ResidualBlock.conv(scope, name, modulated, w, kernel, out, false);
        if (!demodulate) {
            return y;
        }
        SDVariable wSquared = w.mul(w).sum(0, 1);
        SDVariable d = sd.math.rsqrt(s.mul(s).mmul(wSquared).add(EPS));
        return y.mul(sd.reshape(d, -1, out, 1, 1));
    }
}
