package org.jgan.regularizers.internal;

import java.util.List;
import org.jgan.api.Critique;
import org.jgan.api.GanName;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Regularizer;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDVariable;
import org.osgi.service.component.annotations.Component;

/**
 * Feature matching (Salimans et al. 2016, section 3.1): the generator matches the expected discriminator features
 * of the data, {@code || E_data f(x) - E_z f(G(z)) ||_2^2}, f the discriminator's intermediate layer (the
 * {@link Critique#features()} of the architecture). As the generator's whole objective set the engine's
 * {@code gAdvWeight=0} (preset {@code feature-matching}); with a positive weight it is added to the adversarial
 * term.
 */
@Component(service = Regularizer.class)
@GanName("feature-matching")
public final class FeatureMatching implements Regularizer {

    @Override
    public String description() {
        return "Feature matching |E f(x) - E f(G(z))|^2 on D's features, a generator objective (Salimans et al. 2016)";
    }

    @Override
    public List<org.jgan.api.OptionSpec> options() {
        return List.of();
    }

    @Override
    public Side side(Options options) {
        return Side.GENERATOR;
    }

    @Override
    public SDVariable define(RegularizationContext context, Options options) {
        SDVariable real = context.realCritique().features();
        SDVariable fake = context.fakeCritique().features();
        if (real == null || fake == null) {
            throw new IllegalArgumentException("regularizer 'feature-matching' needs discriminator features, and "
                    + "the run's architecture returns none; expected an architecture whose discriminator returns "
                    + "features (e.g. mlp)");
        }
        SDVariable diff = real.mean(0).sub(fake.mean(0));
        return context.sd().math.square(diff).sum();
    }
}
