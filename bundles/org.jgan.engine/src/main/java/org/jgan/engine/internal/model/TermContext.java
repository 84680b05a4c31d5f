package org.jgan.engine.internal.model;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Side;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphScope;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a regularizer's term and a gradient penalty's points see of a player's training graph
 * ({@link RegularizationContext}): the graph, the real and generated batches with their critiques, the two networks'
 * scopes, latent codes, the run's loss, and random inputs that the engine feeds from the run's seeded streams.
 *
 * @param batchSize the batch the graph sees (a micro-batch with gradient accumulation), for {@link #shapeOf}
 * @param randoms   creates a per-step random input of the graph
 */
record TermContext(SameDiff sd, Side side, SDVariable real, SDVariable fake, SDVariable labels, Critique realCritique,
        Critique fakeCritique, GraphScope dScope, Networks networks, GraphScope gScope, SDVariable z,
        LatentLayout codes, RunSpec.Choice loss, int batchSize, GraphScope.RandomInputs randoms)
        implements RegularizationContext {

    @Override
    public String lossName() {
        return loss.name();
    }

    @Override
    public Options lossOptions() {
        return loss.options();
    }

    @Override
    public Critique discriminate(SDVariable x) {
        return networks.discriminator(dScope, x, labels);
    }

    @Override
    public NetworkScope scope() {
        return scope(side);
    }

    @Override
    public NetworkScope scope(Side network) {
        return network == Side.GENERATOR ? gScope : dScope;
    }

    /** The variable's shape, from one forward pass on zeros with the batch size of the graph. */
    @Override
    public long[] shapeOf(SDVariable variable) {
        return shapeOf(sd, variable, batchSize);
    }

    /** The shape of a variable for a batch of {@code batchSize} rows, by running the graph on zeros once. */
    static long[] shapeOf(SameDiff sd, SDVariable variable, int batchSize) {
        Map<String, INDArray> feed = new HashMap<>();
        for (SDVariable v : sd.variables()) {
            if (v.getVariableType() == VariableType.PLACEHOLDER) {
                long[] shape = v.getShape();
                if (shape == null || shape.length == 0) {
                    feed.put(v.name(), Nd4j.scalar(v.dataType(), 0));
                } else {
                    long[] s = shape.clone();
                    for (int i = 0; i < s.length; i++) {
                        s[i] = s[i] < 0 ? batchSize : s[i];
                    }
                    feed.put(v.name(), Nd4j.zeros(v.dataType(), s));
                }
            }
        }
        return sd.output(feed, variable.name()).get(variable.name()).shape();
    }

    @Override
    public SDVariable code(String name) {
        LatentLayout.Slot s = codes.slot(name);
        return z.get(SDIndex.all(), SDIndex.interval(s.offset(), s.offset() + s.code().width()));
    }

    @Override
    public SDVariable noise(String name, long... shape) {
        return randoms.input("noise_" + name, shape, false);
    }

    @Override
    public SDVariable uniform(String name, long... shape) {
        return randoms.input("uniform_" + name, shape, true);
    }
}
