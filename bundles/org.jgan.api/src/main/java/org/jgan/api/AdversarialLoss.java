package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * An adversarial loss: a pure function of the discriminator's logits on real and generated batches. Registered
 * with {@value GanComponent#NAME}. Implementations must stay finite for logits of any magnitude (use
 * {@code softplus} forms, not {@code log(sigmoid)}).
 */
@ConsumerType
public interface AdversarialLoss extends GanComponent {

    /**
     * @param sd         the graph
     * @param realLogits {@code [batch, 1]} logits on data
     * @param fakeLogits {@code [batch, 1]} logits on generated samples
     * @param options    this loss's checked options
     * @return both players' scalar losses (batch means)
     */
    LossTerms define(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits, Options options);
}
