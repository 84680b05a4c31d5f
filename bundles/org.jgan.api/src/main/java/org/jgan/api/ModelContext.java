package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a {@link Model} builds its objective from: the step's data batch and the run's two networks in a training
 * graph. Random inputs (a VAE's reparametrization noise) come from {@link NetworkScope#noise} of either scope: fresh
 * per step from the run's seeded streams, so a resumed run draws what the uninterrupted one drew.
 *
 * @since 1.13
 */
@ProviderType
public interface ModelContext {

    /** The graph being built. */
    SameDiff sd();

    /** Shape of one data sample. */
    DataShape shape();

    /** Size of the latent vector z, the generator's input. */
    int latent();

    /** Rows of the batch this graph sees (the micro-batch with gradient accumulation). */
    int batchSize();

    /** The data batch {@code [batch, dims...]}. */
    SDVariable data();

    /** One-hot labels of the data batch {@code [batch, classes]}, or {@code null} for unconditional runs. */
    SDVariable labels();

    /** The generator's scope: its parameters, and any the model adds to them (trained with {@code lrG}). */
    NetworkScope generatorScope();

    /** The second network's scope: its parameters, and any the model adds to them (trained with {@code lrD}). */
    NetworkScope discriminatorScope();

    /** G(z) on {@code z [batch, latent]}, conditioned on {@link #labels()} in conditional runs. */
    SDVariable generator(SDVariable z);

    /**
     * The architecture's discriminator on {@code x [batch, dims...]}, conditioned on {@link #labels()} in conditional
     * runs: its {@link Critique#features() features} are a trunk a model can put its own head on.
     */
    Critique discriminator(SDVariable x);

    /**
     * A numeric option of the model as a scalar input of the graph, fed at every step with its value there: the
     * configured {@code model.NAME}, or its schedule's value at the iteration when the run has
     * {@code schedule.model.NAME} (a KL warm-up: {@code schedule.model.beta=cosine(to=1, warmup=5000, from=0)}). Build
     * options that should follow a schedule through this rather than as constants.
     *
     * @throws IllegalArgumentException when the model has no numeric option of that name
     */
    SDVariable option(String name);

    /** The shape of a variable of this graph for a batch of {@link #batchSize()} rows (e.g. the features' width). */
    long[] shapeOf(SDVariable variable);
}
