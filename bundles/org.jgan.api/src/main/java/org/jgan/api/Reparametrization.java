package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A transformation of every weight of one player as it enters the graph, e.g. spectral normalization
 * (Miyato et al. 2018). The trainable value stays the raw weight; the network uses the returned variable.
 * Registered with {@value GanComponent#NAME}.
 */
@ConsumerType
public interface Reparametrization extends GanComponent {

    Side side(Options options);

    /**
     * Whether the reparametrization applies to the given network; by default only to {@link #side(Options)}'s.
     * Override to apply to both networks (e.g. spectral normalization of G and D, Zhang et al. 2018).
     *
     * @since 1.2
     */
    default boolean appliesTo(Side network, Options options) {
        return side(options) == network;
    }

    /**
     * @param scope  the network's scope (for buffers such as a power-iteration vector)
     * @param name   the weight's name within the network
     * @param weight the raw weight
     * @return the weight the network uses
     */
    SDVariable apply(NetworkScope scope, String name, SDVariable weight, Options options);
}
