package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The generator and discriminator of one run, as graph-building functions. Implementations hold only the run's
 * hyperparameters; all trainable state lives in the {@link NetworkScope}.
 */
@ConsumerType
public interface Networks {

    /**
     * Builds G(z).
     *
     * @param scope  the generator's scope
     * @param z      latent batch {@code [batch, latent]}
     * @param labels one-hot class labels {@code [batch, classes]}, or {@code null} for unconditional runs
     * @return samples {@code [batch, dims...]} of the run's {@link DataShape}
     */
    SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels);

    /**
     * Builds D(x).
     *
     * @param scope  the discriminator's scope
     * @param x      data batch {@code [batch, dims...]}
     * @param labels one-hot class labels {@code [batch, classes]}, or {@code null}
     * @return logits {@code [batch, 1]} and optionally features
     */
    Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels);

    /**
     * Whether the discriminator judges the samples of a batch independently: row i of D's logits and features
     * depends on row i of {@code x} and of {@code labels} alone (no batch statistics as batch norm's, no minibatch
     * standard deviation or minibatch discrimination, no random input with a batch axis). Then the engine may run D
     * once on the data batch and G(z) stacked along the batch axis, and split its logits and features, instead of
     * running it on each (as the BigGAN authors' training code does): the same values and gradients up to float
     * rounding, in one call per layer at twice the batch. A network whose rows are independent only under some options
     * says so for those.
     * {@code ArchitectureContract} checks the answer against the gradient of one row's critique with respect to the
     * other rows' inputs and against other values in those rows.
     *
     * @return true where row i of D's critique depends on row i of its inputs alone; false (the default) is always
     *         safe
     * @since 1.14
     */
    default boolean independentSamples() {
        return false;
    }
}
