package org.jgan.regularizers.internal;

import java.util.List;
import org.jgan.api.GanName;
import org.jgan.api.GradientPenalty;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.nd4j.autodiff.samediff.SDVariable;
import org.osgi.service.component.annotations.Component;

/**
 * The Jensen-Shannon GAN regularizer of Roth et al. 2017 (eq. 20), computed, as the paper recommends, from the
 * gradient of the discriminator's logit psi with D = sigmoid(psi):
 * <pre>
 *   Omega_JS(P, Q; psi) = E_P[(1 - D(x))^2 |grad psi(x)|^2] + E_Q[D(x)^2 |grad psi(x)|^2]
 *   L_D = -(E_P log D + E_Q log(1 - D)) + gamma/2 Omega_JS
 * </pre>
 * Pair it with the non-saturating generator loss (the paper's Algorithm 1). gamma = 2 with annealing
 * ({@code regularizer.roth.anneal=true}) is the paper's image setting; annealing decays the term's weight
 * exponentially over the run (section 4.2).
 */
@Component(service = GradientPenalty.class)
@GanName("roth")
public final class RothJsRegularizer implements GradientPenalty {

    @Override
    public String description() {
        return "Roth et al. 2017 JS-GAN regularizer: gamma/2 (E_P (1-D)^2 |grad psi|^2 + E_Q D^2 |grad psi|^2)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.ofDouble("gamma", 2.0, 0, 1e9, "Regularization strength gamma (noise variance)"));
    }

    @Override
    public List<SDVariable> points(RegularizationContext context, Options options) {
        return List.of(context.real(), context.fake());
    }

    @Override
    public SDVariable perSample(RegularizationContext context, int group, SDVariable logits, SDVariable squaredNorm,
            Options options) {
        SDVariable d = context.sd().nn.sigmoid(logits);
        SDVariable weight = group == 0 ? context.sd().math.square(d.rsub(1.0)) : context.sd().math.square(d);
        return weight.mul(squaredNorm).mul(options.getDouble("gamma") / 2);
    }
}
