package org.jgan.regularizers.internal;

import java.util.List;
import org.jgan.api.GanName;
import org.jgan.api.GradientPenalty;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.service.component.annotations.Component;

/**
 * The general f-GAN regularizer of Roth et al. 2017 (eq. 19), for discriminators trained with the {@code fgan}
 * loss: {@code Omega_f = E_Q[f*''(psi) |grad psi|^2]}, {@code psi = g_f(V)}, added as {@code gamma/2 Omega_f}.
 * With V the raw output, {@code grad psi = g_f'(V) grad V}, so per sample the term is
 * {@code w_f(V) |grad V|^2} with {@code w_f = f*''(g_f(V)) g_f'(V)^2}:
 * <pre>
 *   kl                 exp(V - 1)
 *   reverse-kl         1
 *   pearson            1/2
 *   squared-hellinger  2 exp(V)
 *   js                 sigmoid(V)
 * </pre>
 * The divergence is the fgan loss's ({@code loss.divergence}) unless named; a named one must be the loss's, since
 * the weight is the regularizer of that loss's objective (a mismatch is refused when the run is built).
 */
@Component(service = GradientPenalty.class)
@GanName("roth-f")
public final class RothFRegularizer implements GradientPenalty {

    static final List<String> DIVERGENCES = List.of("kl", "reverse-kl", "pearson", "squared-hellinger", "js");

    /** The value of {@code divergence} that follows the run's fgan loss. */
    static final String FROM_LOSS = "loss";

    @Override
    public String description() {
        return "Roth et al. 2017 f-GAN regularizer gamma/2 E_Q[f*''(psi) |grad psi|^2] (use with the fgan loss)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofDouble("gamma", 2.0, 0, 1e9, "Regularization strength gamma"),
                OptionSpec.ofChoice("divergence", FROM_LOSS, choices(),
                        "The f-divergence whose regularizer this is; 'loss': the fgan loss's loss.divergence"));
    }

    @Override
    public List<SDVariable> points(RegularizationContext context, Options options) {
        return List.of(context.fake());
    }

    @Override
    public SDVariable perSample(RegularizationContext context, int group, SDVariable logits, SDVariable squaredNorm,
            Options options) {
        return weight(context.sd(), divergence(context, options.getString("divergence")), logits).mul(squaredNorm)
                .mul(options.getDouble("gamma") / 2);
    }

    private static List<String> choices() {
        List<String> out = new java.util.ArrayList<>(List.of(FROM_LOSS));
        out.addAll(DIVERGENCES);
        return out;
    }

    /**
     * The divergence to weigh by: the fgan loss's when {@code chosen} is {@link #FROM_LOSS}, else {@code chosen},
     * which must then agree with the loss's when the loss is fgan.
     *
     * @throws IllegalArgumentException for {@link #FROM_LOSS} without the fgan loss, or a divergence other than
     *                                  the loss's
     */
    static String divergence(RegularizationContext context, String chosen) {
        String loss = context.lossName().equals("fgan") ? context.lossOptions().getString("divergence") : null;
        if (chosen.equals(FROM_LOSS) && loss == null) {
            throw new IllegalArgumentException("penalty 'roth-f': option 'divergence' is 'loss' but the run's loss is '"
                    + context.lossName() + "', not fgan; expected loss=fgan, a divergence named with "
                    + "regularizer.roth-f.divergence (one of " + String.join(", ", DIVERGENCES)
                    + "), or the roth penalty for the standard GAN");
        }
        if (chosen.equals(FROM_LOSS)) {
            return loss;
        }
        if (loss != null && !loss.equals(chosen)) {
            throw new IllegalArgumentException("penalty 'roth-f': option 'divergence' is '" + chosen
                    + "' but the fgan loss's divergence is '" + loss + "'; expected 'loss' (the default) or '" + loss
                    + "'");
        }
        return chosen;
    }

    static SDVariable weight(SameDiff sd, String f, SDVariable v) {
        return switch (f) {
            case "kl" -> sd.math.exp(v.sub(1.0));
            case "reverse-kl" -> v.mul(0.0).add(1.0);
            case "pearson" -> v.mul(0.0).add(0.5);
            case "squared-hellinger" -> sd.math.exp(v).mul(2.0);
            case "js" -> sd.nn.sigmoid(v);
            default -> throw new IllegalArgumentException("unknown divergence '" + f + "'; expected one of " + DIVERGENCES);
        };
    }
}
