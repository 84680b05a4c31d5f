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
 * WGAN-GP (Gulrajani et al. 2017, Algorithm 1): {@code lambda E[(|grad D(x_hat)| - 1)^2]} at random
 * interpolates {@code x_hat = e x + (1 - e) G(z)}, {@code e ~ U[0, 1]} per sample; lambda = 10.
 */
@Component(service = GradientPenalty.class)
@GanName("wgan-gp")
public final class WganGpPenalty implements GradientPenalty {

    @Override
    public String description() {
        return "WGAN-GP: lambda E(|grad D(x_hat)| - 1)^2 on random interpolates of data and samples (Gulrajani et al. 2017)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.ofDouble("lambda", 10, 0, 1e9, "Penalty weight lambda"));
    }

    @Override
    public List<SDVariable> points(RegularizationContext context, Options options) {
        long[] shape = context.real().getShape().clone();
        long[] perSample = new long[shape.length];
        java.util.Arrays.fill(perSample, 1);
        perSample[0] = -1;
        SDVariable e = context.uniform("wgan_gp_mix", perSample);
        return List.of(context.real().mul(e).add(context.fake().mul(e.rsub(1.0))));
    }

    @Override
    public SDVariable perSample(RegularizationContext context, int group, SDVariable logits, SDVariable squaredNorm,
            Options options) {
        return UnitGradientNorm.penalty(context.sd(), squaredNorm, options.getDouble("lambda"));
    }
}
