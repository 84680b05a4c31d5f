package org.jgan.engine.internal.penalty;

import org.jgan.api.Critique;
import org.jgan.api.NetworkScope;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Side;
import org.jgan.engine.internal.config.RunSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** perSample may build its expression in the small graph only, and read the run's loss. */
record PerSampleContext(SameDiff sd, RunSpec.Choice loss) implements RegularizationContext {
    @Override
    public String lossName() {
        return loss == null ? "" : loss.name();
    }

    @Override
    public Options lossOptions() {
        return loss == null ? Options.none("loss") : loss.options();
    }

    @Override
    public Side side() {
        return Side.DISCRIMINATOR;
    }

    @Override
    public SDVariable real() {
        throw unsupported();
    }

    @Override
    public SDVariable fake() {
        throw unsupported();
    }

    @Override
    public SDVariable labels() {
        throw unsupported();
    }

    @Override
    public Critique realCritique() {
        throw unsupported();
    }

    @Override
    public Critique fakeCritique() {
        throw unsupported();
    }

    @Override
    public Critique discriminate(SDVariable x) {
        throw unsupported();
    }

    @Override
    public SDVariable noise(String name, long... shape) {
        throw unsupported();
    }

    @Override
    public SDVariable uniform(String name, long... shape) {
        throw unsupported();
    }

    @Override
    public NetworkScope scope() {
        throw unsupported();
    }

    @Override
    public NetworkScope scope(Side network) {
        throw unsupported();
    }

    @Override
    public SDVariable code(String name) {
        throw unsupported();
    }

    @Override
    public long[] shapeOf(SDVariable variable) {
        throw unsupported();
    }

    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException(
                "GradientPenalty.perSample may only use sd(), logits and the squared norm; build points in points()");
    }
}
