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
 * R1 (Mescheder et al. 2018, eq. 9): {@code gamma/2 E_data[|grad_x D(x)|^2]}, the discriminator's gradient
 * penalised on real data only; D is the logit.
 */
@Component(service = GradientPenalty.class)
@GanName("r1")
public final class R1Penalty implements GradientPenalty {

    @Override
    public String description() {
        return "R1: gamma/2 E_data |grad D|^2 on real data (Mescheder et al. 2018)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.ofDouble("gamma", 10, 0, 1e9, "Penalty weight gamma"));
    }

    @Override
    public List<SDVariable> points(RegularizationContext context, Options options) {
        return List.of(context.real());
    }

    @Override
    public SDVariable perSample(RegularizationContext context, int group, SDVariable logits, SDVariable squaredNorm,
            Options options) {
        return squaredNorm.mul(options.getDouble("gamma") / 2);
    }
}
