package org.jgan.layers;

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
public final class BatchNorm {

    public static final double MOMENTUM = 0.9;
    public static final double EPS = 1e-5;

    private BatchNorm() {
    }

    /**
     * @param name     parameter name prefix, e.g. {@code conv1/bn}
     * @param x        activations {@code [batch, channels, H, W]}
     * @param channels number of channels
     */
    public static SDVariable apply(NetworkScope scope, String name, SDVariable x, long channels) {
        SameDiff sd = scope.sd();
        SDVariable gamma = scope.param(name + "/gamma", ParamKind.OTHER, Initializer.ones(), channels);
        SDVariable beta = scope.param(name + "/beta", ParamKind.BIAS, Initializer.zeros(), channels);
        SDVariable[] m = moments(scope, name, x, channels);
        SDVariable mean = m[0];
        SDVariable var = m[1];
        // y = (x - mu) * s + beta with s = gamma / sqrt(var + eps), written as x * s + (beta - mu * s) so that the
        // only ops on the full tensor besides the statistics are one broadcasting multiply and one add. (The engine
        // runs the broadcasting multiply's backward pass as a product and a sum: libnd4j's own multiply_bp is about
        // 20x slower for it, which is why s was once broadcast by adding it to a zero map first, three more passes
        // over the tensor each way.)
        SDVariable scale = perChannel(sd, gamma, channels).mul(sd.math.rsqrt(var.add(EPS)));
        SDVariable shift = perChannel(sd, beta, channels).sub(mean.mul(scale));
        return x.mul(scale).add(shift);
    }

    /**
     * The per-channel mean and biased variance {@code [1, channels, 1, 1]} that normalize x: the batch's in training
     * graphs (registering the running-statistics updates), the running ones otherwise.
     */
    public static SDVariable[] moments(NetworkScope scope, String name, SDVariable x, long channels) {
        SameDiff sd = scope.sd();
        SDVariable runMean = scope.buffer(name + "/mean", Initializer.zeros(), channels);
        SDVariable runVar = scope.buffer(name + "/var", Initializer.ones(), channels);
        if (!scope.training()) {
            return new SDVariable[] {perChannel(sd, runMean, channels), perChannel(sd, runVar, channels)};
        }
        SDVariable mean = x.mean(true, 0, 2, 3);
        SDVariable centered = x.sub(mean);
        // c * c rather than square(c): the backward pass of square goes through a generic power derivative
        SDVariable var = centered.mul(centered).mean(true, 0, 2, 3);
        scope.updateBuffer(runMean, runMean.mul(MOMENTUM).add(sd.reshape(mean, channels).mul(1 - MOMENTUM)));
        scope.updateBuffer(runVar, runVar.mul(MOMENTUM).add(sd.reshape(var, channels).mul(1 - MOMENTUM)));
        return new SDVariable[] {mean, var};
    }

    public static SDVariable perChannel(SameDiff sd, SDVariable v, long channels) {
        return sd.reshape(v, 1, channels, 1, 1);
    }
}
