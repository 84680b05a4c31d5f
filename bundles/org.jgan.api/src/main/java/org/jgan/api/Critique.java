package org.jgan.api;

import java.util.Objects;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * What a discriminator says about a batch.
 *
 * @param logits   shape {@code [batch, 1]}: real-vs-fake logits, before any sigmoid
 * @param features shape {@code [batch, F]}: an intermediate representation (for feature matching and similar), or
 *                 {@code null} when the architecture offers none
 */
public record Critique(SDVariable logits, SDVariable features) {
    public Critique {
        Objects.requireNonNull(logits, "logits");
    }
}
