package org.jgan.sagan.internal;

import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.NetworkScope;
import org.jgan.layers.ResidualBlock;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The self-attention block of SAGAN (Zhang et al. 2018, section 3, eq. 1-3) on an NCHW feature map
 * {@code x [B, C, H, W]} with N = H W positions:
 * <pre>
 *   f(x) = W_f x,  g(x) = W_g x,  h(x) = W_h x        1x1 convolutions C -> C/k  (k = 8 in the paper)
 *   s_ij = f(x_i)^T g(x_j)
 *   beta_{j,i} = exp(s_ij) / sum_i exp(s_ij)           softmax over the positions i, for each output position j
 *   o_j = v( sum_i beta_{j,i} h(x_i) )                 v: 1x1 convolution C/k -> C
 *   y_j = gamma o_j + x_j                              gamma a learnable scalar, initially 0
 * </pre>
 * With gamma = 0 the block is the identity, so the network first relies on local features and learns to use
 * non-local evidence gradually (the paper's motivation). The 1x1 convolutions have no bias, as in the authors'
 * code; their weights are {@link ParamKind#WEIGHT} (spectrally normalized with the rest of the network), gamma is
 * {@link ParamKind#OTHER}. The authors' code also max-pools g and h by 2 to save memory; this block does not
 * (the paper's equations have no pooling, and at 8x8 to 32x32 the attention map is small).
 */
final class SelfAttention {

    private SelfAttention() {
    }

    /**
     * @param name      parameter name prefix, e.g. {@code attention}
     * @param x         feature map {@code [B, channels, size, size]}
     * @param channels  C
     * @param size      H = W
     * @param reduction k: f, g and h have {@code max(1, C / k)} channels
     * @return y, same shape as x
     */
    static SDVariable apply(NetworkScope scope, String name, SDVariable x, long channels, long size, int reduction) {
        SameDiff sd = scope.sd();
        long inner = Math.max(1, channels / reduction);
        long n = size * size;
        SDVariable f = sd.reshape(conv1x1(scope, name + "/f", x, channels, inner), -1, inner, n);
        SDVariable g = sd.reshape(conv1x1(scope, name + "/g", x, channels, inner), -1, inner, n);
        SDVariable h = sd.reshape(conv1x1(scope, name + "/h", x, channels, inner), -1, inner, n);
        // t[b, j, i] = g_j . f_i = s_ij; softmax over i, the last dimension, gives beta[b, j, i] = beta_{j,i}. (With
        // the positions i on dimension 1 instead, ND4J's softmax and its backward pass ran oneDNN's reference kernel:
        // 136 ms against 21 ms on [32, 256, 256].)
        SDVariable t = sd.mmul(sd.permute(g, 0, 2, 1), f);
        SDVariable beta = sd.nn.softmax(t, 2);
        // o[b, c, j] = sum_i h[b, c, i] beta[b, j, i]
        SDVariable o = sd.reshape(sd.mmul(h, beta, false, true, false), -1, inner, size, size);
        o = conv1x1(scope, name + "/v", o, inner, channels);
        SDVariable gamma = scope.param(name + "/gamma", ParamKind.OTHER, Initializer.zeros(), 1);
        return o.mul(gamma).add(x);
    }

    private static SDVariable conv1x1(NetworkScope scope, String name, SDVariable x, long in, long out) {
        return ResidualBlock.conv(scope, name, x, in, out, 1, false);
    }
}
