package org.jgan.regularizers.internal;

import java.util.List;
import org.jgan.api.GanName;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Regularizer;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.osgi.service.component.annotations.Component;

/**
 * LeCam regularization (Tseng et al. 2021, "Regularizing generative adversarial networks under limited data"): the
 * discriminator's outputs are anchored to moving averages of its own past outputs, the real ones to the average on
 * generated samples and the generated ones to the average on data,
 * <pre>
 *   R_LC = E_x[ (D(x) - alpha_F)^2 ] + E_z[ (D(G(z)) - alpha_R)^2 ]
 * </pre>
 * with D the logits, alpha_R and alpha_F exponential moving averages of the batch means of D(x) and D(G(z)). Its
 * weight lambda is the regularizer's {@code weight}. The averages follow the authors' code: decay 0.99
 * ({@code emaDecay}), zero-debiased (the average of t steps divided by {@code 1 - decay^t}), updated with the current
 * batch before the term uses them, and constants of the gradient. {@code oneSided=true} is the form of the authors'
 * code, which penalizes only outputs beyond the anchor: {@code E relu(D(x) - alpha_F)^2 + E relu(alpha_R -
 * D(G(z)))^2}. The averages are state buffers of the discriminator (saved in checkpoints), updated after each of its
 * steps.
 */
@Component(service = Regularizer.class)
@GanName("lecam")
public final class LeCamRegularizer implements Regularizer {

    @Override
    public String description() {
        return "LeCam regularization: D's outputs anchored to moving averages of its outputs (Tseng et al. 2021)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofDouble("emaDecay", 0.99, 0, 0.999999, "Decay of the moving averages alpha_R, alpha_F "
                        + "(0: this batch's means)"),
                OptionSpec.ofBoolean("oneSided", false, "Penalize only outputs beyond their anchor, relu(D(x) - "
                        + "alpha_F) and relu(alpha_R - D(G(z))), as the authors' code does (false: the paper's "
                        + "equation)"));
    }

    @Override
    public Side side(Options options) {
        return Side.DISCRIMINATOR;
    }

    @Override
    public SDVariable define(RegularizationContext context, Options options) {
        SameDiff sd = context.sd();
        NetworkScope scope = context.scope();
        double decay = options.getDouble("emaDecay");
        SDVariable real = context.realCritique().logits();
        SDVariable fake = context.fakeCritique().logits();
        // biased averages b_t = decay b_{t-1} + (1 - decay) m_t and their weight w_t = 1 - decay^t (same rule, m = 1)
        SDVariable sumReal = scope.buffer("lecam/real", Initializer.zeros(), 1);
        SDVariable sumFake = scope.buffer("lecam/fake", Initializer.zeros(), 1);
        SDVariable weight = scope.buffer("lecam/weight", Initializer.zeros(), 1);
        SDVariable nextReal = sumReal.mul(decay).add(constant(sd, real.mean()).mul(1 - decay));
        SDVariable nextFake = sumFake.mul(decay).add(constant(sd, fake.mean()).mul(1 - decay));
        SDVariable nextWeight = weight.mul(decay).add(1 - decay);
        scope.updateBuffer(sumReal, nextReal);
        scope.updateBuffer(sumFake, nextFake);
        scope.updateBuffer(weight, nextWeight);
        SDVariable alphaReal = nextReal.div(nextWeight);
        SDVariable alphaFake = nextFake.div(nextWeight);
        SDVariable onReal = real.sub(alphaFake);
        SDVariable onFake = alphaReal.sub(fake);
        if (options.getBoolean("oneSided")) {
            onReal = sd.nn.relu(onReal, 0);
            onFake = sd.nn.relu(onFake, 0);
        }
        return onReal.mul(onReal).mean().add(onFake.mul(onFake).mean());
    }

    private static SDVariable constant(SameDiff sd, SDVariable v) {
        return new StopGradient(sd, v).outputVariable();
    }
}
