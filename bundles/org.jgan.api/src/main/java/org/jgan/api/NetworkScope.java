package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What an architecture builds a network in: the graph, and the run's parameters of one network (generator or
 * discriminator). The engine builds each network several times (training graphs for both players, the sampling
 * graph); asking for a parameter by the same name returns the same trainable value every time, so weights are shared
 * between graphs and between calls (for example the discriminator applied to real and to generated data).
 */
@ProviderType
public interface NetworkScope {

    /** The graph being built. */
    SameDiff sd();

    /** Which network this scope holds the parameters of. */
    Side network();

    /** True in training graphs, false in the sampling and evaluation graphs (e.g. batch statistics vs running ones). */
    boolean training();

    /**
     * A trainable parameter, created with {@code init} on first use.
     *
     * @param name  unique within the network, e.g. {@code "fc1/W"}
     * @param kind  weights may be reparametrized by the run's {@link Reparametrization}s; biases are not
     * @param init  initial value
     * @param shape parameter shape
     * @throws IllegalArgumentException when the name was used before with another shape
     */
    SDVariable param(String name, ParamKind kind, Initializer init, long... shape);

    /**
     * The trainable parameters of this network created in this scope so far, by name within the network, as raw
     * values (before any {@link Reparametrization}), in creation order.
     *
     * @param kind the role to select, or {@code null} for every parameter
     * @since 1.2
     */
    java.util.Map<String, SDVariable> parameters(ParamKind kind);

    /**
     * A non-trainable state buffer (running statistics, power-iteration vectors), created with {@code init} on
     * first use and saved in checkpoints.
     */
    SDVariable buffer(String name, Initializer init, long... shape);

    /**
     * Asks the engine to assign {@code newValue} to {@code buffer} after each training step of this network's
     * player. Only meaningful when {@link #training()} is true; ignored otherwise.
     */
    void updateBuffer(SDVariable buffer, SDVariable newValue);

    /**
     * A fresh tensor of independent N(0, 1) draws, redrawn for every step and every sampling call from the run's
     * seeded streams (a graph input, not a parameter), for networks with stochastic inputs: StyleGAN's per-layer
     * noise, a second latent for style mixing. A dimension of -1 stands for the batch size. Asking twice for the
     * same name in one graph returns the same tensor. Sampling graphs get draws that depend only on the run's seed
     * and the batch size, so the same latent batch gives the same samples.
     *
     * @throws UnsupportedOperationException where the graph offers no random inputs (the engine's gradient-penalty
     *                                       graphs of the discriminator)
     * @since 1.5
     */
    default SDVariable noise(String name, long... shape) {
        throw new UnsupportedOperationException("this graph offers no random inputs; '" + name + "' was asked for");
    }

    /**
     * Like {@link #noise} with independent U[0, 1) draws (random choices such as a style-mixing crossover layer).
     *
     * @since 1.5
     */
    default SDVariable uniform(String name, long... shape) {
        throw new UnsupportedOperationException("this graph offers no random inputs; '" + name + "' was asked for");
    }

    /**
     * ReLU {@code max(x, 0)}. Build every piecewise-linear activation of a discriminator through these methods
     * ({@link #relu}, {@link #leakyRelu}, {@link #abs}) rather than directly in {@link #sd()}. The engine
     * differentiates a gradient penalty exactly by forward-mode tangents of the graph, which handle these ops either
     * way; but a discriminator with an op that has no tangent rule falls back to a central difference, and there the
     * engine evaluates these ops with their masks (each element's slope, e.g. 0 or 1 for ReLU) held at the point the
     * penalty is taken at, so that the difference stays exact for them. Built directly, the same op then gives a
     * parameter gradient that is wrong whenever a pre-activation changes sign within the step (see
     * docs/regularizers.md). Everywhere else the three methods build the plain op.
     *
     * @since 1.7
     */
    default SDVariable relu(SDVariable x) {
        return sd().nn.relu(x, 0);
    }

    /**
     * Leaky ReLU {@code x > 0 ? x : slope * x}, with the mask treatment described at {@link #relu}.
     *
     * @param slope the negative slope, e.g. 0.2
     * @since 1.7
     */
    default SDVariable leakyRelu(SDVariable x, double slope) {
        return sd().nn.leakyRelu(x, slope);
    }

    /**
     * Absolute value {@code |x|} (e.g. the L1 distances of minibatch discrimination), with the mask treatment
     * described at {@link #relu}: the held mask is the sign of x.
     *
     * @since 1.7
     */
    default SDVariable abs(SDVariable x) {
        return sd().math.abs(x);
    }

    /** Roles of parameters. */
    enum ParamKind { WEIGHT, BIAS, OTHER }
}
