package org.jgan.losses.internal;

import org.jgan.api.AdversarialLoss;
import org.jgan.api.GanName;
import org.jgan.api.LossTerms;
import org.jgan.api.Options;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.service.component.annotations.Component;

/**
 * Hinge adversarial loss (Lim and Ye 2017, Geometric GAN; used by Miyato et al. 2018 and SAGAN, Zhang et al.
 * 2018):
 * <pre>
 *   L_D = E_data[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]
 *   L_G = -E_z[D(G(z))]
 * </pre>
 */
@Component(service = AdversarialLoss.class)
@GanName("hinge")
public final class HingeLoss implements AdversarialLoss {

    @Override
    public String description() {
        return "Hinge loss (Lim and Ye 2017; SN-GAN, SAGAN): D margin 1, G maximises D(G(z))";
    }

    @Override
    public LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options o) {
        SDVariable d = sd.nn.relu(realLogits.rsub(1.0), 0).mean().add(sd.nn.relu(fakeLogits.add(1.0), 0).mean());
        return new LossTerms(d, fakeLogits.mean().neg());
    }
}
