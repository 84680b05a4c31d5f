package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.annotation.versioning.ProviderType;

/** What a {@link Regularizer} may use when it defines its term in a training graph. */
@ProviderType
public interface RegularizationContext {

    SameDiff sd();

    /** The player whose objective the term is added to. */
    Side side();

    /** Data batch {@code [batch, dims...]}. */
    SDVariable real();

    /** Generated batch {@code [batch, dims...]}. */
    SDVariable fake();

    /** One-hot labels {@code [batch, classes]}, or {@code null} for unconditional runs. */
    SDVariable labels();

    /** The discriminator on {@link #real()}. */
    Critique realCritique();

    /** The discriminator on {@link #fake()}. */
    Critique fakeCritique();

    /** Applies the discriminator (same parameters) to another batch, e.g. noisy or interpolated inputs. */
    Critique discriminate(SDVariable x);

    /**
     * A fresh standard-normal tensor of the given shape, redrawn every step from the run's seeded stream
     * (for explicit noise). A dimension of -1 stands for the batch size.
     */
    SDVariable noise(String name, long... shape);

    /**
     * The scope of {@link #side()}'s network in this graph: its parameters
     * ({@link NetworkScope#parameters(NetworkScope.ParamKind)}, e.g. for weight penalties) and state buffers
     * updated after each step of the player (e.g. running averages of the parameters).
     *
     * @since 1.2
     */
    NetworkScope scope();

    /**
     * A fresh tensor of independent U[0, 1) draws, redrawn every step from the run's seeded stream (for random
     * interpolation). A dimension of -1 stands for the batch size.
     *
     * @since 1.1
     */
    SDVariable uniform(String name, long... shape);

    /**
     * The scope of either network in this graph. The other player's parameters are constants of this graph: a
     * term may create parameters in the discriminator's scope (an auxiliary head such as InfoGAN's Q) and the
     * discriminator's optimizer trains them in its own steps.
     *
     * @since 1.3
     */
    NetworkScope scope(Side network);

    /**
     * The columns of z holding a latent code declared by a regularizer of the run,
     * {@code [batch, width]} (one-hot for categorical codes).
     *
     * @throws IllegalArgumentException when no regularizer of the run declared the code
     * @since 1.3
     */
    SDVariable code(String name);

    /**
     * The shape of a variable of this graph for a batch of the run's batch size, found by evaluating it once on zero inputs (SameDiff
     * does not infer shapes while a graph is built). For sizing parameters that depend on an architecture's
     * outputs, e.g. a head on {@link Critique#features()}.
     *
     * @since 1.3
     */
    long[] shapeOf(SDVariable variable);

    /**
     * The name of the run's adversarial loss component (for example {@code fgan}), for a term that depends on the
     * loss: Roth et al. 2017's f-GAN regularizer weighs by the loss's f-divergence. Available in
     * {@link GradientPenalty#perSample} too.
     *
     * @since 1.8
     */
    String lossName();

    /**
     * The resolved options of the run's adversarial loss (every default filled in).
     *
     * @since 1.8
     */
    Options lossOptions();
}
