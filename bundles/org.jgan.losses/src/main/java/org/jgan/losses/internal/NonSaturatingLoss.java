package org.jgan.losses.internal;

import java.util.List;
import org.jgan.api.OptionSpec;
import org.jgan.api.AdversarialLoss;
import org.jgan.api.GanName;
import org.jgan.api.LossTerms;
import org.jgan.api.Options;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.service.component.annotations.Component;

/**
 * The non-saturating GAN loss (Goodfellow et al. 2014, section 3, "maximize log D(G(z))"). With logits
 * {@code l = logit D}:
 * <pre>
 *   L_D = E_data[ softplus(-l(x)) ] + E_z[ softplus(l(G(z))) ]      = -E log D(x) - E log(1 - D(G(z)))
 *   L_G = E_z[ softplus(-l(G(z))) ]                                   = -E log D(G(z))
 * </pre>
 * The generator gets strong gradients early in training, when D rejects its samples confidently.
 */
@Component(service = AdversarialLoss.class)
@GanName("nonsaturating")
public final class NonSaturatingLoss implements AdversarialLoss {

    @Override
    public String description() {
        return "Non-saturating GAN loss: G minimises -log D(G(z)) (Goodfellow et al. 2014)";
    }

    @Override
    public List<OptionSpec> options() {
        return Softplus.LABEL_OPTIONS;
    }

    @Override
    public LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options options) {
        SDVariable d = Softplus.discriminatorTerm(sd, realLogits, fakeLogits, options.getDouble("realLabel"));
        SDVariable g = Softplus.of(sd, fakeLogits.neg()).mean();
        return new LossTerms(d, g);
    }
}
