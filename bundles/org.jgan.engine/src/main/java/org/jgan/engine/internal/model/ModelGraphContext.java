package org.jgan.engine.internal.model;

import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.ModelContext;
import org.jgan.api.Networks;
import org.jgan.engine.internal.graph.GraphScope;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * What a {@link org.jgan.api.Model} builds its objective from in a model run's training graph ({@link PlayerGraph}'s
 * model constructor): the data batch and its labels, and the run's networks in their training scopes, both
 * conditioned on the data batch's labels.
 *
 * @param batchSize the batch the graph sees (a micro-batch with gradient accumulation), for {@link #shapeOf}
 */
record ModelGraphContext(SameDiff sd, DataShape shape, int latent, int batchSize, SDVariable data, SDVariable labels,
        GraphScope generatorScope, GraphScope discriminatorScope, Networks networks) implements ModelContext {

    @Override
    public SDVariable generator(SDVariable z) {
        return networks.generator(generatorScope, z, labels);
    }

    @Override
    public Critique discriminator(SDVariable x) {
        return networks.discriminator(discriminatorScope, x, labels);
    }

    @Override
    public long[] shapeOf(SDVariable variable) {
        return TermContext.shapeOf(sd, variable, batchSize);
    }
}
