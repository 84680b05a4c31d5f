package org.jgan.mlp.internal;

import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Minibatch discrimination (Salimans et al. 2016, section 3.2). Features {@code f(x_i)} in R^A are multiplied by a
 * tensor T in R^(A x B x C) to rows {@code M_i} in R^(B x C); for each kernel b,
 * {@code c_b(x_i, x_j) = exp(-|M_i,b - M_j,b|_L1)} and {@code o(x_i)_b = sum_j c_b(x_i, x_j)} (j over the whole
 * minibatch, i included). The B values o(x_i) are appended to f(x_i) and fed to the next layer, so the
 * discriminator can tell a batch of near-identical samples (mode collapse) from a varied one.
 */
final class MinibatchDiscrimination {

    private MinibatchDiscrimination() {
    }

    static SDVariable append(NetworkScope scope, SDVariable f, long a, int kernels, int dims) {
        SameDiff sd = scope.sd();
        SDVariable t = scope.param("minibatch/T", ParamKind.OTHER, Initializer.normal(0.05), a, (long) kernels * dims);
        SDVariable m = sd.reshape(f.mmul(t), -1, kernels, dims);
        SDVariable diff = sd.expandDims(m, 1).sub(sd.expandDims(m, 0)); // [n, n, B, C]: M_i - M_j
        SDVariable l1 = scope.abs(diff).sum(3); // [n, n, B]
        SDVariable o = sd.math.exp(l1.neg()).sum(1); // [n, B]: sum over j
        return sd.concat(1, f, o);
    }
}
