package org.jgan.losses.internal;

import java.util.List;
import org.jgan.api.AdversarialLoss;
import org.jgan.api.GanName;
import org.jgan.api.LossTerms;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.service.component.annotations.Component;

/**
 * f-GAN (Nowozin et al. 2016) in the variational form used by Roth et al. 2017 (eq. 3):
 * {@code F(P, Q; psi) = E_P[psi(x)] - E_Q[f*(psi(x))]}, with {@code psi = g_f(V)} the output activation applied to
 * the discriminator's raw output V and {@code f*} the Fenchel conjugate of f (Nowozin et al., table 2):
 * <pre>
 *   divergence          g_f(v)                 f*(g_f(v))
 *   kl                  v                      exp(v - 1)
 *   reverse-kl          -exp(-v)               v - 1
 *   pearson             v                      v^2 / 4 + v
 *   squared-hellinger   1 - exp(-v)            exp(v) - 1
 *   js                  log 2 - softplus(-v)   softplus(v) - log 2
 * </pre>
 * The discriminator maximises F: {@code L_D = -F}. The generator minimises F ({@code generator=minimax}:
 * {@code L_G = -E_Q[f*(g_f(V))]}) or, with Nowozin et al.'s alternative update ({@code generator=alternative}),
 * maximises {@code E_Q[g_f(V)]}. The compositions are written in closed form, so they stay finite at logits of
 * +-50.
 */
@Component(service = AdversarialLoss.class)
@GanName("fgan")
public final class FDivergenceLoss implements AdversarialLoss {

    static final List<String> DIVERGENCES = List.of("kl", "reverse-kl", "pearson", "squared-hellinger", "js");

    @Override
    public String description() {
        return "f-GAN variational divergence minimisation (Nowozin et al. 2016), the form regularized by Roth et al. 2017";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofChoice("divergence", "js", DIVERGENCES, "The f-divergence"),
                OptionSpec.ofChoice("generator", "minimax", List.of("minimax", "alternative"),
                        "Generator objective: minimise F, or maximise E_Q[g_f(V)]"));
    }

    @Override
    public LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options o) {
        String f = o.getString("divergence");
        SDVariable f1 = activation(sd, f, realLogits).mean().sub(conjugateOfActivation(sd, f, fakeLogits).mean());
        SDVariable g = o.getString("generator").equals("minimax")
                ? conjugateOfActivation(sd, f, fakeLogits).mean().neg()
                : activation(sd, f, fakeLogits).mean().neg();
        return new LossTerms(f1.neg(), g);
    }

    /** g_f(v). */
    static SDVariable activation(SameDiff sd, String f, SDVariable v) {
        return switch (f) {
            case "kl", "pearson" -> v;
            case "reverse-kl" -> sd.math.exp(v.neg()).neg();
            case "squared-hellinger" -> sd.math.exp(v.neg()).rsub(1.0);
            case "js" -> Softplus.of(sd, v.neg()).rsub(Math.log(2));
            default -> throw new IllegalArgumentException("unknown divergence '" + f + "'; expected one of " + DIVERGENCES);
        };
    }

    /** f*(g_f(v)) in closed form. */
    static SDVariable conjugateOfActivation(SameDiff sd, String f, SDVariable v) {
        return switch (f) {
            case "kl" -> sd.math.exp(v.sub(1.0));
            case "reverse-kl" -> v.sub(1.0);
            case "pearson" -> v.mul(v).mul(0.25).add(v);
            case "squared-hellinger" -> sd.math.exp(v).sub(1.0);
            case "js" -> Softplus.of(sd, v).sub(Math.log(2));
            default -> throw new IllegalArgumentException("unknown divergence '" + f + "'; expected one of " + DIVERGENCES);
        };
    }
}
