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

    /** Roles of parameters. */
    enum ParamKind { WEIGHT, BIAS, OTHER }
}
