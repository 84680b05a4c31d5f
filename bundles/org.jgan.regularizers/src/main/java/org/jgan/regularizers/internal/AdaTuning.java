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
 * ADA's adaptive augmentation probability (Karras et al. 2020, "Training generative adversarial networks with
 * limited data", section 3): after each discriminator step, with the overfitting heuristic
 * {@code r_t = E[sign(D(x))]} over the step's (augmented) real batch,
 * <pre>
 *   p &lt;- clip(p + sign(r_t - target) * N / (kimg * 1000), 0, 1)      N: D's real inputs of the step
 * </pre>
 * so that p can move from 0 to 1 in {@code kimg} thousand real images (ADA: target 0.6, 500k images; its code
 * averages r_t over 4 steps and adjusts every 4, this adjusts every step from that step's batch). p is the
 * discriminator's buffer that {@code diffaugment} with {@code adaptive=true} reads ({@link DiffAugment#ADA_P}); saved
 * in checkpoints. The term adds nothing to D's loss (its value, 0, is logged as {@code d_ada}).
 */
@Component(service = Regularizer.class)
@GanName("ada")
public final class AdaTuning implements Regularizer {

    @Override
    public String description() {
        return "ADA: tunes diffaugment's probability p from the sign of D's outputs on real data (Karras et al. 2020)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofDouble("target", 0.6, 0, 1, "Target r_t of E[sign(D(x))] on real data (ADA: 0.6)"),
                OptionSpec.ofDouble("kimg", 500, 1e-3, 1e9, "Thousands of real images over which p can move by 1 "
                        + "(ADA: 500)"));
    }

    @Override
    public Side side(Options options) {
        return Side.DISCRIMINATOR;
    }

    @Override
    public SDVariable define(RegularizationContext context, Options options) {
        SameDiff sd = context.sd();
        NetworkScope scope = context.scope();
        SDVariable p = scope.buffer(DiffAugment.ADA_P, Initializer.zeros(), 1);
        SDVariable logits = context.realCritique().logits();
        SDVariable signs = new StopGradient(sd, sd.math.sign(logits)).outputVariable();
        SDVariable rt = signs.mean();
        // the batch's size (D's real inputs) over the images for a change of 1
        SDVariable step = signs.mul(0).add(1).sum().castTo(p.dataType()).div(options.getDouble("kimg") * 1000);
        SDVariable next = sd.math.clipByValue(p.add(sd.math.sign(rt.sub(options.getDouble("target"))).mul(step)),
                0, 1);
        scope.updateBuffer(p, next);
        return rt.mul(0);
    }
}
