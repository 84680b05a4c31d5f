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
 * Least squares GAN (Mao et al. 2017, eq. 2) on the discriminator's raw output D (its "logit"):
 * <pre>
 *   L_D = 1/2 E_data[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2]
 *   L_G = 1/2 E_z[(D(G(z)) - c)^2]
 * </pre>
 * with the paper's 0-1 coding a = 0, b = c = 1 by default.
 */
@Component(service = AdversarialLoss.class)
@GanName("lsgan")
public final class LeastSquaresLoss implements AdversarialLoss {

    @Override
    public String description() {
        return "Least squares GAN (Mao et al. 2017): squared distance of D's output to the target codes a, b, c";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofDouble("a", 0, -1e3, 1e3, "Target of D on generated samples"),
                OptionSpec.ofDouble("b", 1, -1e3, 1e3, "Target of D on data"),
                OptionSpec.ofDouble("c", 1, -1e3, 1e3, "Value G wants D to give its samples"));
    }

    @Override
    public LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options o) {
        SDVariable dReal = sd.math.square(realLogits.sub(o.getDouble("b"))).mean();
        SDVariable dFake = sd.math.square(fakeLogits.sub(o.getDouble("a"))).mean();
        SDVariable g = sd.math.square(fakeLogits.sub(o.getDouble("c"))).mean().mul(0.5);
        return new LossTerms(dReal.add(dFake).mul(0.5), g);
    }
}
