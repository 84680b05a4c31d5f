package org.jgan.api;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A projection applied to one player's parameters after each of its updates, e.g. WGAN weight clipping
 * (Arjovsky et al. 2017). Registered with {@value GanComponent#NAME}.
 */
@ConsumerType
public interface ParameterConstraint extends GanComponent {

    Side side(Options options);

    /**
     * Modifies the parameters in place.
     *
     * @param params the player's trainable parameters by name
     */
    void apply(Map<String, INDArray> params, Options options);
}
