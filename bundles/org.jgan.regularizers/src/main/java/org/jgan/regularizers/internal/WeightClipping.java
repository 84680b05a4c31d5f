package org.jgan.regularizers.internal;

import java.util.List;
import java.util.Map;
import org.jgan.api.GanName;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.ParameterConstraint;
import org.jgan.api.Side;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.osgi.service.component.annotations.Component;

/**
 * WGAN weight clipping (Arjovsky et al. 2017, Algorithm 1): after every critic update each critic parameter is
 * clamped to [-c, c], c = 0.01 in the paper, so the critic stays in a compact (hence Lipschitz) family.
 */
@Component(service = ParameterConstraint.class)
@GanName("clip")
public final class WeightClipping implements ParameterConstraint {

    @Override
    public String description() {
        return "WGAN weight clipping of every discriminator parameter to [-c, c] (Arjovsky et al. 2017)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.ofDouble("c", 0.01, 1e-9, 1e6, "Clipping bound"));
    }

    @Override
    public Side side(Options options) {
        return Side.DISCRIMINATOR;
    }

    @Override
    public void apply(Map<String, INDArray> params, Options options) {
        double c = options.getDouble("c");
        for (INDArray p : params.values()) {
            Transforms.min(Transforms.max(p, -c, false), c, false);
        }
    }
}
