package org.jgan.api;

import java.util.Objects;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * The two players' objectives, each a scalar to minimise.
 *
 * @param discriminator the discriminator's loss
 * @param generator     the generator's loss
 */
public record LossTerms(SDVariable discriminator, SDVariable generator) {
    public LossTerms {
        Objects.requireNonNull(discriminator, "discriminator");
        Objects.requireNonNull(generator, "generator");
    }
}
