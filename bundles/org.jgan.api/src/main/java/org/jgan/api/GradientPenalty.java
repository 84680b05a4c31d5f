package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A discriminator penalty on the gradient of its logit with respect to its input, of the form
 * {@code E_x[ f(psi(x), |grad_x psi(x)|^2) ]} over a batch of points x chosen by the penalty (data, samples,
 * interpolates). This covers R1/R2 (Mescheder et al. 2018), WGAN-GP (Gulrajani et al. 2017), DRAGAN and the
 * Roth et al. 2017 regularizer. SameDiff cannot differentiate through a gradient, so the engine evaluates the
 * penalty's parameter gradient with first-order gradients only; implementations describe the penalty, not how it
 * is differentiated. Registered with {@value GanComponent#NAME}.
 */
@ConsumerType
public interface GradientPenalty extends GanComponent {

    /**
     * The points at which the input gradient is taken, built from the context (e.g. {@code context.real()}).
     * Several groups may be returned, each with its own weighting, e.g. data and samples for Roth et al.
     */
    java.util.List<SDVariable> points(RegularizationContext context, Options options);

    /**
     * The per-sample penalty for one group of points.
     *
     * @param group       index into {@link #points}
     * @param logits      {@code [batch, 1]} discriminator logits at the points
     * @param squaredNorm {@code [batch, 1]} squared norm of the logit's input gradient at the points
     * @return {@code [batch, 1]} penalty values; the engine averages them over the batch
     */
    SDVariable perSample(RegularizationContext context, int group, SDVariable logits, SDVariable squaredNorm,
            Options options);
}
