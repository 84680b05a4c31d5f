package com.example.jgan.relativistic;

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
 * Relativistic average standard GAN loss (Jolicoeur-Martineau 2018, "The relativistic discriminator: a key element
 * missing from standard GAN", equations for RaSGAN). With C the critic's logits and
 * {@code r = C(x_r) - E_fake[C(x_f)]}, {@code f = C(x_f) - E_real[C(x_r)]}:
 * <pre>
 *   L_D = -E_real[log sigmoid(r)] - E_fake[log(1 - sigmoid(f))]
 *   L_G = -E_fake[log sigmoid(f)] - E_real[log(1 - sigmoid(r))]
 * </pre>
 * written with {@code -log sigmoid(t) = softplus(-t)} and {@code -log(1 - sigmoid(t)) = softplus(t)} in a form that
 * is finite for any logit. {@code relativism = 0} turns the averages off and gives the standard (non-relativistic,
 * non-saturating) GAN loss, which the tests use as a cross-check.
 */
@Component(service = AdversarialLoss.class)
@GanName("relativistic")
public final class RelativisticAverageLoss implements AdversarialLoss {

    @Override
    public String description() {
        return "Relativistic average GAN loss, RaSGAN (Jolicoeur-Martineau 2018); example third-party bundle";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.ofDouble("relativism", 1, 0, 1,
                "Weight of the other batch's mean critic value subtracted from each logit; 0 = standard GAN loss"));
    }

    @Override
    public LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options o) {
        double a = o.getDouble("relativism");
        SDVariable r = realLogits.sub(fakeLogits.mean().mul(a));
        SDVariable f = fakeLogits.sub(realLogits.mean().mul(a));
        SDVariable d = softplus(sd, r.neg()).mean().add(softplus(sd, f).mean());
        SDVariable g = softplus(sd, f.neg()).mean().add(softplus(sd, r).mean().mul(a));
        return new LossTerms(d, g);
    }

    /** softplus(x) = log(1 + e^x) = x/2 + |x|/2 + log1p(e^-|x|): no overflow for any x. */
    static SDVariable softplus(SameDiff sd, SDVariable x) {
        SDVariable abs = sd.math.abs(x);
        return x.mul(0.5).add(abs.mul(0.5)).add(sd.math.log1p(sd.math.exp(abs.neg())));
    }
}
