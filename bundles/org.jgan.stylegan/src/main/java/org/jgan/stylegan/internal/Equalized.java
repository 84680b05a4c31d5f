package org.jgan.stylegan.internal;

import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * The equalized learning rate of Karras et al. 2017 (ProGAN, section 4.1), used by StyleGAN (Karras et al. 2018,
 * appendix C) for every weight: the parameter is drawn from N(0, 1 / lrMul^2) and scaled at run time,
 * <pre>
 *   w_hat = w * (gain / sqrt(fanIn)) * lrMul
 * </pre>
 * so every layer starts with He-style weights (for gain sqrt(2)) while an adaptive optimizer, whose steps do not
 * depend on the gradient's scale, moves each layer's effective weights by lr * gain / sqrt(fanIn) * lrMul: the same
 * relative step size for every layer. StyleGAN's mapping network uses lrMul = 0.01; its biases are scaled by lrMul
 * too.
 */
final class Equalized {

    static final double LRELU_GAIN = Math.sqrt(2);

    private Equalized() {
    }

    /** The run-time scaled weight of the given shape. */
    static SDVariable weight(NetworkScope scope, String name, double gain, double lrMul, long fanIn, long... shape) {
        SDVariable w = scope.param(name, ParamKind.WEIGHT, Initializer.normal(1 / lrMul), shape);
        return w.mul(gain / Math.sqrt(fanIn) * lrMul);
    }

    /** A bias of the given size, initially 0, scaled by lrMul at run time. */
    static SDVariable bias(NetworkScope scope, String name, double lrMul, long size) {
        SDVariable b = scope.param(name, ParamKind.BIAS, Initializer.zeros(), size);
        return lrMul == 1 ? b : b.mul(lrMul);
    }
}
