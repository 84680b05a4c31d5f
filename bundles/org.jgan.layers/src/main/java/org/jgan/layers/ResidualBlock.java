package org.jgan.layers;

import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;

/**
 * The pre-activation residual blocks of Gulrajani et al. 2017 (after He et al. 2016), NCHW:
 * <pre>
 *   up:     x -> [BN] -> ReLU -> upsample -> conv3x3 -> [BN] -> ReLU -> conv3x3      + upsample(conv1x1(x))
 *   down:   x -> [BN] -> ReLU -> conv3x3 -> [BN] -> ReLU -> conv3x3 -> avgpool2x2    + conv1x1(avgpool2x2(x))
 *   plain:  x -> [BN] -> ReLU -> conv3x3 -> [BN] -> ReLU -> conv3x3                  + x
 *   first:  x -> conv3x3 -> ReLU -> conv3x3 -> avgpool2x2                            + conv1x1(avgpool2x2(x))
 * </pre>
 * Upsampling is nearest-neighbour. "first" is the discriminator's input block (their OptimizedResBlockDisc1): no
 * activation or normalization on the raw image. A 1x1 convolution commutes with nearest upsampling and average
 * pooling, so the shortcuts apply it at the lower resolution. Convolutions have weights {@code [kH, kW, inC, outC]}
 * (YXIO); a convolution whose output goes only into batch norm has no bias (beta plays its part), nor has the 1x1
 * shortcut (its output is added to the main path's biased one). 3x3 convolutions start from He et al. 2015 normal
 * values, 1x1 shortcuts from Glorot uniform (Gulrajani et al.'s code: He-style resp. Glorot-style uniform).
 */
public final class ResidualBlock {

    private ResidualBlock() {
    }

    /**
     * @param outputBias false when the block's output goes only into batch norm (G's last block)
     */
    public static SDVariable up(NetworkScope scope, String name, SDVariable x, long in, long out, boolean norm,
            boolean outputBias) {
        return up(scope, name, x, in, out, 0, norm, outputBias);
    }

    /**
     * As {@link #up(NetworkScope, String, SDVariable, long, long, boolean, boolean)} on a {@code size x size} input,
     * upsampled by {@link Resampling#upsample2x} (0: size unknown, upsampled by the {@code upsampling2d} op).
     */
    public static SDVariable up(NetworkScope scope, String name, SDVariable x, long in, long out, long size,
            boolean norm, boolean outputBias) {
        SameDiff sd = scope.sd();
        SDVariable shortcut = upsample(sd, conv(scope, name + "/shortcut", x, in, out, 1, false), out, size);
        SDVariable h = preActivation(scope, name + "/bn1", x, in, norm);
        h = conv(scope, name + "/conv1", upsample(sd, h, in, size), in, out, 3, !norm);
        h = preActivation(scope, name + "/bn2", h, out, norm);
        return conv(scope, name + "/conv2", h, out, out, 3, outputBias).add(shortcut);
    }

    public static SDVariable down(NetworkScope scope, String name, SDVariable x, long in, long out, boolean norm) {
        return down(scope, name, x, in, out, 0, norm);
    }

    /**
     * As {@link #down(NetworkScope, String, SDVariable, long, long, boolean)} on a {@code size x size} input, pooled
     * by {@link Resampling#avgPool2x2} (0: size unknown, pooled by the {@code avgpool2d} op).
     */
    public static SDVariable down(NetworkScope scope, String name, SDVariable x, long in, long out, long size,
            boolean norm) {
        SameDiff sd = scope.sd();
        SDVariable shortcut = conv(scope, name + "/shortcut", avgPool(sd, x, in, size), in, out, 1, false);
        SDVariable h = preActivation(scope, name + "/bn1", x, in, norm);
        h = conv(scope, name + "/conv1", h, in, in, 3, !norm);
        h = preActivation(scope, name + "/bn2", h, in, norm);
        return avgPool(sd, conv(scope, name + "/conv2", h, in, out, 3, true), out, size).add(shortcut);
    }

    public static SDVariable plain(NetworkScope scope, String name, SDVariable x, long channels, boolean norm) {
        SDVariable h = preActivation(scope, name + "/bn1", x, channels, norm);
        h = conv(scope, name + "/conv1", h, channels, channels, 3, !norm);
        h = preActivation(scope, name + "/bn2", h, channels, norm);
        return conv(scope, name + "/conv2", h, channels, channels, 3, true).add(x);
    }

    public static SDVariable first(NetworkScope scope, String name, SDVariable x, long in, long out) {
        return first(scope, name, x, in, out, 0);
    }

    /**
     * As {@link #first(NetworkScope, String, SDVariable, long, long)} on a {@code size x size} input, pooled by
     * {@link Resampling#avgPool2x2} (0: size unknown, pooled by the {@code avgpool2d} op).
     */
    public static SDVariable first(NetworkScope scope, String name, SDVariable x, long in, long out, long size) {
        SameDiff sd = scope.sd();
        SDVariable shortcut = conv(scope, name + "/shortcut", avgPool(sd, x, in, size), in, out, 1, false);
        SDVariable h = scope.relu(conv(scope, name + "/conv1", x, in, out, 3, true));
        return avgPool(sd, conv(scope, name + "/conv2", h, out, out, 3, true), out, size).add(shortcut);
    }

    /** [BN ->] ReLU. */
    public static SDVariable preActivation(NetworkScope scope, String name, SDVariable x, long channels, boolean norm) {
        return scope.relu(norm ? BatchNorm.apply(scope, name, x, channels) : x);
    }

    /** A stride-1 "same" convolution with a square kernel of side 1 (Glorot init) or 3 (He init). */
    public static SDVariable conv(NetworkScope scope, String name, SDVariable x, long in, long out, int kernel,
            boolean bias) {
        return conv(scope, name, x, in, out, kernel, bias, kernel == 1 ? Initializer.glorotUniform(in, out)
                : Initializer.heNormal((long) kernel * kernel * in));
    }

    /** As {@link #conv(NetworkScope, String, SDVariable, long, long, int, boolean)} with another initializer. */
    public static SDVariable conv(NetworkScope scope, String name, SDVariable x, long in, long out, int kernel,
            boolean bias, Initializer init) {
        SDVariable w = scope.param(name + "/W", ParamKind.WEIGHT, init, kernel, kernel, in, out);
        return conv(scope, name, x, w, kernel, out, bias);
    }

    /** A stride-1 "same" convolution with a given weight {@code [k, k, in, out]} (e.g. a modulated one). */
    public static SDVariable conv(NetworkScope scope, String name, SDVariable x, SDVariable w, int kernel, long out,
            boolean bias) {
        int pad = kernel / 2;
        Conv2DConfig c = Conv2DConfig.builder().kH(kernel).kW(kernel).sH(1).sW(1).pH(pad).pW(pad)
                .paddingMode(PaddingMode.VALID).dataFormat("NCHW").build();
        if (!bias) {
            return scope.sd().cnn().conv2d(x, w, c);
        }
        SDVariable b = scope.param(name + "/b", ParamKind.BIAS, Initializer.zeros(), out);
        return scope.sd().cnn().conv2d(x, w, b, c);
    }

    private static SDVariable upsample(SameDiff sd, SDVariable x, long channels, long size) {
        return size > 0 ? Resampling.upsample2x(sd, x, channels, size, size) : sd.cnn().upsampling2d(x, 2, 2, true);
    }

    private static SDVariable avgPool(SameDiff sd, SDVariable x, long channels, long size) {
        return size > 0 ? Resampling.avgPool2x2(sd, x, channels, size, size) : avgPool(sd, x);
    }

    /** 2x2 average pooling with stride 2 by the {@code avgpool2d} op; {@link Resampling#avgPool2x2} is faster. */
    public static SDVariable avgPool(SameDiff sd, SDVariable x) {
        return sd.cnn().avgPooling2d(x, Pooling2DConfig.builder().kH(2).kW(2).sH(2).sW(2)
                .paddingMode(PaddingMode.VALID).isNHWC(false).build());
    }
}
