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
 * R2 (Mescheder et al. 2018, eq. 10): {@code gamma/2 E_z[|grad_x D(G(z))|^2]}, the gradient penalised on
 * generated samples.
 */
@Component(service = GradientPenalty.class)
@GanName("r2")
public final class R2Penalty implements GradientPenalty {

    @Override
    public String description() {
        return "R2: gamma/2 E_z |grad D(G(z))|^2 on generated samples (Mescheder et al. 2018)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.ofDouble("gamma", 10, 0, 1e9, "Penalty weight gamma"));
    }

    @Override
    public List<SDVariable> points(RegularizationContext context, Options options) {
        return List.of(context.fake());
    }

    @Override
    public SDVariable perSample(RegularizationContext context, int group, SDVariable logits, SDVariable squaredNorm,
            Options options) {
        return squaredNorm.mul(options.getDouble("gamma") / 2);
    }
}
