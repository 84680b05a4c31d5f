package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Optional for {@link Networks} whose generator takes a style per layer (StyleGAN, Karras et al. 2018): the engine
 * builds style-mixing grids with it (section 3.1 and figure 3 of the paper), where the layers before a crossover take
 * their style from one latent and the layers from it on from another. Networks that implement it are asked for this
 * generator in sampling graphs only ({@link NetworkScope#training()} false); it must use the parameters and state
 * buffers of {@link Networks#generator}, so a checkpoint restores it.
 *
 * @since 1.10
 */
@ConsumerType
public interface StyleMixer {

    /** L, the number of style inputs of the generator, in order from the coarsest layer. */
    int styleLayers();

    /**
     * Builds G with the styles of layers {@code 0 .. crossover - 1} from {@code z} and of layers
     * {@code crossover .. L - 1} from {@code z2}, each mapped (and truncated, where the generator truncates at
     * sampling time) as {@link Networks#generator} maps its latent.
     *
     * @param scope     the generator's scope (a sampling graph)
     * @param z         latent batch {@code [batch, latent]} of the coarse styles
     * @param z2        latent batch of the same shape for the remaining styles
     * @param crossover the first layer that takes its style from {@code z2}, 1 .. L - 1
     * @param labels    one-hot class labels {@code [batch, classes]}, or {@code null}
     * @return samples {@code [batch, dims...]}
     */
    SDVariable mixedGenerator(NetworkScope scope, SDVariable z, SDVariable z2, int crossover, SDVariable labels);
}
