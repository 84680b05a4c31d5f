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
}
