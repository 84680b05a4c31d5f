package org.jgan.mlp.internal;

import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Virtual batch normalization (Salimans et al. 2016, section 3.4): each example is normalized with statistics
 * of a reference batch chosen once at the start of training and of the example itself, so an example's output
 * does not depend on the other examples of its minibatch. The reference latent batch is a state buffer drawn from
 * N(0, I) at initialisation and kept in checkpoints; it runs through the same layers alongside the minibatch and
 * is normalized with its own statistics. For example i with pre-activation a_i and reference statistics
 * mu_ref = E_ref[a], q_ref = E_ref[a^2] (per feature), with c = 1 / (R + 1) as in the authors' code:
 * <pre>
 *   mu_i = c a_i + (1 - c) mu_ref,   q_i = c a_i^2 + (1 - c) q_ref,
 *   out_i = gamma (a_i - mu_i) / sqrt(q_i - mu_i^2 + eps) + beta
 * </pre>
 */
final class VirtualBatchNorm {

    private static final double EPS = 1e-5;

    private final NetworkScope scope;
    private final int size;
    private SDVariable reference;

    VirtualBatchNorm(NetworkScope scope, int size, long latent) {
        this.scope = scope;
        this.size = size;
        this.reference = scope.buffer("vbn/z_ref", Initializer.normal(1.0), size, latent);
    }

    /** The reference batch's input to the current layer. */
    SDVariable reference() {
        return reference;
    }

    /** Moves the reference batch to the next layer's input. */
    void advance(SDVariable activated) {
        reference = activated;
    }

    SDVariable normalizeReference(String name, SDVariable aRef, long features) {
        SameDiff sd = scope.sd();
        SDVariable mu = aRef.mean(true, 0);
        SDVariable var = sd.math.square(aRef).mean(true, 0).sub(sd.math.square(mu));
        return affine(name, aRef.sub(mu).div(sd.math.sqrt(var.add(EPS))), features);
    }

    SDVariable normalize(String name, SDVariable a, SDVariable aRef, long features) {
        SameDiff sd = scope.sd();
        double c = 1.0 / (size + 1);
        SDVariable mu = a.mul(c).add(aRef.mean(true, 0).mul(1 - c));
        SDVariable q = sd.math.square(a).mul(c).add(sd.math.square(aRef).mean(true, 0).mul(1 - c));
        SDVariable var = q.sub(sd.math.square(mu));
        return affine(name, a.sub(mu).div(sd.math.sqrt(var.add(EPS))), features);
    }

    private SDVariable affine(String name, SDVariable normalized, long features) {
        SDVariable gamma = scope.param(name + "/gamma", ParamKind.OTHER, Initializer.ones(), features);
        SDVariable beta = scope.param(name + "/beta", ParamKind.BIAS, Initializer.zeros(), features);
        return normalized.mul(gamma).add(beta);
    }
}
