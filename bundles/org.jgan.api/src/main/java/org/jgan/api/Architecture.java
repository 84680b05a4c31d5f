package org.jgan.api;

import org.osgi.annotation.versioning.ConsumerType;

/** A pair of generator and discriminator network families, registered with {@value GanComponent#NAME}. */
@ConsumerType
public interface Architecture extends GanComponent {

    /**
     * Creates the networks of one run.
     *
     * @param shape   shape of one data sample
     * @param latent  size of the latent vector z
     * @param classes number of classes for conditional models, 0 for unconditional ones
     * @param options this architecture's checked options
     * @throws IllegalArgumentException when the architecture cannot handle the shape, naming both
     */
    Networks create(DataShape shape, int latent, int classes, Options options);
}
