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
 * DRAGAN (Kodali et al. 2017, eq. 2 and their reference code): {@code lambda E[(|grad D(x + delta)| - 1)^2]} at
 * data perturbed by {@code delta = c * std(x) * u}, {@code u ~ U[0, 1)} per entry, c = 0.5, lambda = 10.
 */
@Component(service = GradientPenalty.class)
@GanName("dragan")
public final class DraganPenalty implements GradientPenalty {

    @Override
    public String description() {
        return "DRAGAN: lambda E(|grad D(x + delta)| - 1)^2 around the data (Kodali et al. 2017)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofDouble("lambda", 10, 0, 1e9, "Penalty weight lambda"),
                OptionSpec.ofDouble("c", 0.5, 0, 1e3, "Perturbation scale in units of the batch's standard deviation"));
    }

    @Override
    public List<SDVariable> points(RegularizationContext context, Options options) {
        SDVariable x = context.real();
        long[] shape = x.getShape().clone();
        shape[0] = -1;
        SDVariable u = context.uniform("dragan_perturbation", shape);
        SDVariable std = context.sd().standardDeviation(x, false);
        return List.of(x.add(u.mul(std).mul(options.getDouble("c"))));
    }

    @Override
    public SDVariable perSample(RegularizationContext context, int group, SDVariable logits, SDVariable squaredNorm,
            Options options) {
        return UnitGradientNorm.penalty(context.sd(), squaredNorm, options.getDouble("lambda"));
    }
}
