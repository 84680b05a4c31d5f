package org.jgan.engine.internal.model;

import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.ModelContext;
import org.jgan.api.Networks;
import org.jgan.api.OptionSpec;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphScope;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What a {@link org.jgan.api.Model} builds its objective from in a model run's training graph ({@link PlayerGraph}'s
 * model constructor): the data batch and its labels, and the run's networks in their training scopes, both
 * conditioned on the data batch's labels.
 *
 * @param batchSize the batch the graph sees (a micro-batch with gradient accumulation), for {@link #shapeOf}
 * @param model     the run's model and its options
 * @param options   filled here: the placeholder of each option asked for by {@link #option}, by option name
 */
record ModelGraphContext(SameDiff sd, DataShape shape, int latent, int batchSize, SDVariable data, SDVariable labels,
        GraphScope generatorScope, GraphScope discriminatorScope, Networks networks, RunSpec.Choice model,
        Map<String, String> options) implements ModelContext {

    @Override
    public SDVariable option(String name) {
        boolean numeric = model.entry().component().options().stream()
                .anyMatch(o -> o.name().equals(name) && o.type() == OptionSpec.Type.DOUBLE);
        if (!numeric) {
            throw new IllegalArgumentException("model '" + model.name() + "' asked for option '" + name + "' as a "
                    + "graph input; expected one of its numeric options");
        }
        String placeholder = "model_option_" + name;
        if (!sd.hasVariable(placeholder)) {
            options.put(name, placeholder);
            return sd.placeHolder(placeholder, DataType.FLOAT);
        }
        return sd.getVariable(placeholder);
    }

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
