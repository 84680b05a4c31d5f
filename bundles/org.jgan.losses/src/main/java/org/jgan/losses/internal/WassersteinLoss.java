package org.jgan.losses.internal;

import org.jgan.api.AdversarialLoss;
import org.jgan.api.GanName;
import org.jgan.api.LossTerms;
import org.jgan.api.Options;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.service.component.annotations.Component;

/**
 * Wasserstein GAN (Arjovsky et al. 2017, eq. 3): the critic f (the discriminator's raw output) estimates the
 * Kantorovich-Rubinstein dual, max_f E_data[f(x)] - E_z[f(G(z))], over 1-Lipschitz f:
 * <pre>
 *   L_D = E_z[f(G(z))] - E_data[f(x)]
 *   L_G = -E_z[f(G(z))]
 * </pre>
 * It needs a Lipschitz constraint: weight clipping ({@code clip}), a gradient penalty ({@code wgan-gp}) or
 * spectral normalization.
 */
@Component(service = AdversarialLoss.class)
@GanName("wasserstein")
public final class WassersteinLoss implements AdversarialLoss {

    @Override
    public String description() {
        return "Wasserstein GAN critic loss (Arjovsky et al. 2017); pair it with clip, wgan-gp or spectral normalization";
    }

    @Override
    public LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options o) {
        return new LossTerms(fakeLogits.mean().sub(realLogits.mean()), fakeLogits.mean().neg());
    }
}
