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
 * The relativistic pairing GAN loss (RpGAN; Jolicoeur-Martineau 2019, "The relativistic discriminator", with
 * f = softplus; the loss of R3GAN, Huang et al. 2024). Each generated sample is paired with the data sample of
 * the same row and D judges the difference of their logits {@code l}:
 * <pre>
 *   L_D = E_{x, z}[ softplus(-(l(x) - l(G(z)))) ]
 *   L_G = E_{x, z}[ softplus(-(l(G(z)) - l(x))) ]
 * </pre>
 * so that D has to rank every real sample above its generated partner rather than classify each alone. Huang et
 * al. derive it, with R1 and R2, as a loss that addresses the classic loss's mode dropping and non-convergence.
 */
@Component(service = AdversarialLoss.class)
@GanName("rpgan")
public final class RelativisticPairingLoss implements AdversarialLoss {

    @Override
    public String description() {
        return "Relativistic pairing loss: softplus of the paired logit differences (Jolicoeur-Martineau 2019; "
                + "R3GAN, Huang et al. 2024)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of();
    }

    @Override
    public LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options options) {
        SDVariable margin = realLogits.sub(fakeLogits);
        return new LossTerms(Softplus.of(sd, margin.neg()).mean(), Softplus.of(sd, margin).mean());
    }
}
