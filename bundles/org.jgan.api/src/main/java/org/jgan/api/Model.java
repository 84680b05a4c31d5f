package org.jgan.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A model family trained by the runtime beside the GANs, registered with {@value GanComponent#NAME} and chosen by a
 * run's {@code model=NAME} (its options under {@code model.X}). The default, {@code model=gan}, is the engine's own
 * two-player game of the run's loss and regularizers; a model component replaces it with one objective that one joint
 * update minimizes over both networks of the run's architecture: the generator, which is what sampling, the metrics and
 * the latent tools use unchanged, and the second network (the discriminator's trunk and whatever head the model adds in
 * its scope), which such a model uses for something other than judging samples, such as a VAE's encoder.
 * <p>
 * An iteration of a model run is one such update: gradients of {@link Objective#loss} with respect to every parameter
 * of both networks at once, then each network's optimizer steps (learning rates {@code lrG} and {@code lrD}). The run
 * folder, checkpoints, exact resume, live settings, EMA, samples and metrics are those of a GAN run.
 *
 * @since 1.13
 */
@ConsumerType
public interface Model extends GanComponent {

    /**
     * Builds the objective of one update into the context's graph.
     *
     * @param context the step's inputs and both networks
     * @param options this model's checked options
     * @return the scalar to minimize and the values to report beside it
     */
    Objective define(ModelContext context, Options options);
}
