package org.jgan.biggan.internal;

import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.NetworkScope;
import org.jgan.layers.BatchNorm;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Conditional batch normalization as in BigGAN (Brock et al. 2018, section 3 and appendix B; de Vries et al. 2017,
 * Dumoulin et al. 2017): the batch statistics of {@link BatchNorm}, then a per-sample gain and bias that are linear
 * functions of a conditioning vector c {@code [batch, K]}:
 * <pre>
 *   y = (x - mu) / sqrt(var + eps) * (1 + c W_gain + b_gain) + (c W_bias + b_bias)
 * </pre>
 * In BigGAN c is the concatenation of the shared class embedding and the block's chunk of z. The projections
 * {@code W_gain, W_bias [K, C]} are {@link ParamKind#WEIGHT}s (spectrally normalized in BigGAN), their biases
 * {@link ParamKind#BIAS}. The gain is centred on 1 (BigGAN-PyTorch's {@code 1 + gain}), so the layer starts close
 * to plain standardization.
 */
final class ConditionalBatchNorm {

    private ConditionalBatchNorm() {
    }

    /**
     * @param x         activations {@code [batch, channels, H, W]}
     * @param cond      conditioning vectors {@code [batch, condSize]}
     */
    static SDVariable apply(NetworkScope scope, String name, SDVariable x, long channels, SDVariable cond,
            long condSize) {
        SameDiff sd = scope.sd();
        SDVariable[] m = BatchNorm.moments(scope, name, x, channels);
        SDVariable gain = linear(scope, name + "/gain", cond, condSize, channels).add(1);
        SDVariable bias = linear(scope, name + "/bias", cond, condSize, channels);
        SDVariable inv = sd.math.rsqrt(m[1].add(BatchNorm.EPS));
        // per-sample scale and shift [batch, C, 1, 1]: y = x * s + (bias - mu * s), s = gain / sqrt(var + eps)
        SDVariable scale = sd.reshape(gain, -1, channels, 1, 1).mul(inv);
        SDVariable shift = sd.reshape(bias, -1, channels, 1, 1).sub(m[0].mul(scale));
        return x.mul(scale).add(shift);
    }

    private static SDVariable linear(NetworkScope scope, String name, SDVariable in, long inSize, long out) {
        SDVariable w = scope.param(name + "/W", ParamKind.WEIGHT, Initializer.glorotUniform(inSize, out), inSize, out);
        SDVariable b = scope.param(name + "/b", ParamKind.BIAS, Initializer.zeros(), out);
        return in.mmul(w).add(b);
    }
}
