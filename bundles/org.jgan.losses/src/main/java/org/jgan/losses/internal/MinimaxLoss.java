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
 * The original minimax (saturating) GAN game of Goodfellow et al. 2014, eq. 1:
 * {@code min_G max_D E_data[log D(x)] + E_z[log(1 - D(G(z)))]}. With logits {@code l}:
 * <pre>
 *   L_D = E_data[ softplus(-l(x)) ] + E_z[ softplus(l(G(z))) ]
 *   L_G = -E_z[ softplus(l(G(z))) ]                                   = E log(1 - D(G(z)))
 * </pre>
 * Its generator gradient vanishes when D rejects samples confidently; see the non-saturating loss.
 */
@Component(service = AdversarialLoss.class)
@GanName("minimax")
public final class MinimaxLoss implements AdversarialLoss {

    @Override
    public String description() {
        return "Minimax (saturating) GAN loss: G minimises log(1 - D(G(z))) (Goodfellow et al. 2014, eq. 1)";
    }

    @Override
    public List<OptionSpec> options() {
        return Softplus.LABEL_OPTIONS;
    }

    @Override
    public LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options options) {
        SDVariable d = Softplus.discriminatorTerm(sd, realLogits, fakeLogits, options.getDouble("realLabel"));
        SDVariable g = Softplus.of(sd, fakeLogits).mean().neg();
        return new LossTerms(d, g);
    }
}
