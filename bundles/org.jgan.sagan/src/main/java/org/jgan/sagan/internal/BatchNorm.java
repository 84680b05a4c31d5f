package org.jgan.sagan.internal;

import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Batch normalization (Ioffe and Szegedy 2015) of an NCHW tensor per channel, over the batch and spatial axes:
 * <pre>
 *   training graphs:  y = gamma (x - mu_B) / sqrt(var_B + eps) + beta      (mu_B, var_B: this batch's statistics)
 *   sampling graphs:  y = gamma (x - mu_run) / sqrt(var_run + eps) + beta  (the running statistics)
 *   after each training step of the player:  mu_run <- 0.9 mu_run + 0.1 mu_B,  var_run <- 0.9 var_run + 0.1 var_B
 * </pre>
 * var_B is the biased batch variance (as {@code tf.nn.moments} in the DCGAN implementations). gamma (initially 1)
 * is a {@link ParamKind#OTHER} parameter, beta (initially 0) a {@link ParamKind#BIAS}; the running statistics are
 * state buffers (initially 0 and 1). Written with elementary ops, so the gradient flows through mu_B and var_B and
 * needs first-order backward passes only. When one graph applies the network twice (D on data and on samples),
 * the update registered last wins; D's running statistics are used only by graphs that are not training.
 */
final class BatchNorm {

    static final double MOMENTUM = 0.9;
    static final double EPS = 1e-5;

    private BatchNorm() {
    }

    /**
     * @param name     parameter name prefix, e.g. {@code conv1/bn}
     * @param x        activations {@code [batch, channels, H, W]}
     * @param channels number of channels
     */
    static SDVariable apply(NetworkScope scope, String name, SDVariable x, long channels) {
        SameDiff sd = scope.sd();
        SDVariable gamma = scope.param(name + "/gamma", ParamKind.OTHER, Initializer.ones(), channels);
        SDVariable beta = scope.param(name + "/beta", ParamKind.BIAS, Initializer.zeros(), channels);
        SDVariable runMean = scope.buffer(name + "/mean", Initializer.zeros(), channels);
        SDVariable runVar = scope.buffer(name + "/var", Initializer.ones(), channels);
        SDVariable mean;
        SDVariable var;
        if (scope.training()) {
            mean = x.mean(true, 0, 2, 3);
            SDVariable centered = x.sub(mean);
            // c * c rather than square(c): the backward pass of square goes through a generic power derivative
            var = centered.mul(centered).mean(true, 0, 2, 3);
            scope.updateBuffer(runMean, runMean.mul(MOMENTUM).add(sd.reshape(mean, channels).mul(1 - MOMENTUM)));
            scope.updateBuffer(runVar, runVar.mul(MOMENTUM).add(sd.reshape(var, channels).mul(1 - MOMENTUM)));
        } else {
            mean = perChannel(sd, runMean, channels);
            var = perChannel(sd, runVar, channels);
        }
        // y = (x - mu) * s + beta with s = gamma / sqrt(var + eps), written as x * s + (beta - mu * s) so that the
        // only op on the full tensor besides the statistics is one multiply and one add. The per-channel factor is
        // broadcast by an add (zeros + s) before the multiply: ND4J 1.0.0-M2.1's backward pass of a broadcasting
        // multiply is about 20x slower than that of a broadcasting add followed by an elementwise multiply.
        SDVariable scale = perChannel(sd, gamma, channels).mul(sd.math.rsqrt(var.add(EPS)));
        SDVariable shift = perChannel(sd, beta, channels).sub(mean.mul(scale));
        return x.mul(sd.zerosLike(x).add(scale)).add(shift);
    }

    private static SDVariable perChannel(SameDiff sd, SDVariable v, long channels) {
        return sd.reshape(v, 1, channels, 1, 1);
    }
}
