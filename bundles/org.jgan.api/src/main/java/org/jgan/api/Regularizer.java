package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A term added to one player's objective, defined in the graph. Registered with {@value GanComponent#NAME}. The
 * engine multiplies the term by the run's weight for it (which carries annealing and lazy-regularization scaling),
 * so implementations return the unweighted term and never count steps themselves.
 */
@ConsumerType
public interface Regularizer extends GanComponent {

    /** The player whose objective the term belongs to. */
    Side side(Options options);

    /**
     * Whether the term is added to the given player's objective; by default only to {@link #side(Options)}'s.
     * Override for terms of both players (e.g. historical averaging, Salimans et al. 2016). The engine calls
     * {@link #define} once per player it applies to, with {@link RegularizationContext#side()} set accordingly.
     *
     * @since 1.2
     */
    default boolean appliesTo(Side player, Options options) {
        return side(options) == player;
    }

    /**
     * Structured latent codes the term needs in z (InfoGAN); none by default. The engine lays them out and draws
     * them; {@link RegularizationContext#code(String)} returns each one's columns.
     *
     * @since 1.3
     */
    default java.util.List<LatentCode> latentCodes(Options options) {
        return java.util.List.of();
    }

    /**
     * @return a scalar term to add to {@link RegularizationContext#side()}'s loss (before weighting)
     */
    SDVariable define(RegularizationContext context, Options options);
}
