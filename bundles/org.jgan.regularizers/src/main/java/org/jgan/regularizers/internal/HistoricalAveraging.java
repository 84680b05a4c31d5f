package org.jgan.regularizers.internal;

import java.util.List;
import java.util.Map;
import org.jgan.api.GanName;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Regularizer;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.osgi.service.component.annotations.Component;

/**
 * Historical averaging (Salimans et al. 2016, section 3.3): each player's cost gets
 * {@code || theta - (1/t) sum_{i=1..t} theta[i] ||^2}, theta[i] its parameters at past step i. The running mean
 * and the step count t are state buffers of the player's network (saved in checkpoints), updated after each of its
 * steps; the term is 0 before the first step.
 */
@Component(service = Regularizer.class)
@GanName("historical-averaging")
public final class HistoricalAveraging implements Regularizer {

    @Override
    public String description() {
        return "Historical averaging |theta - mean of past theta|^2 of each player (Salimans et al. 2016)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.ofChoice("players", "both", List.of("both", "generator", "discriminator"),
                "Players whose cost gets the term (Salimans et al.: both)"));
    }

    @Override
    public Side side(Options options) {
        return options.getString("players").equals("generator") ? Side.GENERATOR : Side.DISCRIMINATOR;
    }

    @Override
    public boolean appliesTo(Side player, Options options) {
        return options.getString("players").equals("both") || side(options) == player;
    }

    @Override
    public SDVariable define(RegularizationContext context, Options options) {
        SameDiff sd = context.sd();
        NetworkScope scope = context.scope();
        SDVariable count = scope.buffer("hist/count", Initializer.zeros(), 1);
        SDVariable t = count.sum(); // as a scalar
        SDVariable started = t.gt(0).castTo(DataType.FLOAT);
        SDVariable nextT = t.add(1);
        SDVariable total = null;
        for (Map.Entry<String, SDVariable> e : scope.parameters(null).entrySet()) {
            SDVariable theta = e.getValue();
            SDVariable mean = scope.buffer("hist/" + e.getKey(), Initializer.zeros(), theta.getShape());
            SDVariable term = sd.math.square(theta.sub(mean)).sum();
            total = total == null ? term : total.add(term);
            // running mean of theta[1..t]: mean + (theta - mean) / t
            scope.updateBuffer(mean, mean.add(theta.sub(mean).div(nextT)));
        }
        scope.updateBuffer(count, count.add(1));
        if (total == null) {
            throw new IllegalArgumentException("regularizer 'historical-averaging': the "
                    + context.side().name().toLowerCase(java.util.Locale.ROOT) + " has no parameters");
        }
        return total.mul(started);
    }
}
