package org.jgan.regularizers.internal;

import java.util.ArrayList;
import java.util.List;
import org.jgan.api.GanName;
import org.jgan.api.Initializer;
import org.jgan.api.LatentCode;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Regularizer;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.osgi.service.component.annotations.Component;

/**
 * InfoGAN's mutual-information term (Chen et al. 2016, eq. 5 and section 5): the generator takes structured
 * latent codes c besides the noise, an auxiliary head Q sharing the discriminator's trunk predicts c from
 * {@code G(z, c)}, and both players minimize {@code -lambda L_I(G, Q)} with the variational lower bound
 * {@code L_I = E_{c ~ P(c), x ~ G(z, c)} [log Q(c | x)] + H(c) <= I(c; G(z, c))}. This term is the negative
 * log-likelihood part, {@code lambda E[-log Q(c_cat | x)] + lambdaContinuous E[-log Q(c_cont | x)]}, so
 * {@code L_I = H(c) - term} (for unit lambdas). Q is one hidden fully connected layer with LeakyReLU 0.2 on the
 * discriminator's {@link org.jgan.api.Critique#features()} (the paper's "one final fully connected layer"), then
 * the logits of the categorical code and, for each continuous code, the mean of a factored Gaussian with unit
 * standard deviation (the paper's simplification). Q's parameters live in the discriminator's scope: the
 * discriminator's optimizer trains them together with the shared trunk on this term; the generator's steps train G
 * on it. The codes (one categorical code with {@code categorical} values, {@code continuous} codes U(-1, 1)) sit
 * in the first columns of z; the paper's MNIST setting is 10 categories, 2 continuous codes, 62 noise dimensions
 * ({@code latent=74}).
 */
@Component(service = Regularizer.class)
@GanName("infogan")
public final class InfoGanTerm implements Regularizer {

    static final String CATEGORICAL = "infogan/categorical";
    static final String CONTINUOUS = "infogan/continuous";

    @Override
    public String description() {
        return "InfoGAN mutual information term lambda E[-log Q(c|G(z,c))] with a Q head on D's features "
                + "(Chen et al. 2016)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofInt("categorical", 10, 0, 100000, "Values of the categorical code (0: none)"),
                OptionSpec.ofInt("continuous", 2, 0, 1000, "Continuous codes, each U(-1, 1)"),
                OptionSpec.ofDouble("lambda", 1, 0, 1e6, "Weight of the categorical code's term (paper: 1)"),
                OptionSpec.ofDouble("lambdaContinuous", 1, 0, 1e6,
                        "Weight of the continuous codes' term (the paper suggests a smaller value than for "
                                + "discrete codes when the scales differ)"),
                OptionSpec.ofInt("qHidden", 128, 1, 65536, "Units of Q's hidden layer"));
    }

    @Override
    public Side side(Options options) {
        return Side.DISCRIMINATOR;
    }

    @Override
    public boolean appliesTo(Side player, Options options) {
        return true;
    }

    @Override
    public List<LatentCode> latentCodes(Options options) {
        List<LatentCode> codes = new ArrayList<>();
        int k = options.getInt("categorical");
        if (k == 1) {
            throw new IllegalArgumentException("regularizer 'infogan': categorical=1 is not a code; expected 0 (none) "
                    + "or at least 2 values");
        }
        if (k > 0) {
            codes.add(LatentCode.categorical(CATEGORICAL, k));
        }
        for (int i = 0; i < options.getInt("continuous"); i++) {
            codes.add(LatentCode.continuous(CONTINUOUS + i));
        }
        if (codes.isEmpty()) {
            throw new IllegalArgumentException("regularizer 'infogan' has no latent code (categorical=0, "
                    + "continuous=0); expected at least one");
        }
        return codes;
    }

    @Override
    public SDVariable define(RegularizationContext context, Options options) {
        SameDiff sd = context.sd();
        SDVariable features = context.fakeCritique().features();
        if (features == null) {
            throw new IllegalArgumentException("regularizer 'infogan' needs discriminator features for its Q head, "
                    + "and the run's architecture returns none; expected an architecture whose discriminator "
                    + "returns features");
        }
        long[] shape = context.shapeOf(features);
        if (shape.length != 2) {
            throw new IllegalArgumentException("regularizer 'infogan': discriminator features have shape "
                    + java.util.Arrays.toString(shape) + "; expected [batch, F]");
        }
        int k = options.getInt("categorical");
        int continuous = options.getInt("continuous");
        int hidden = options.getInt("qHidden");
        int out = k + continuous;
        NetworkScope q = context.scope(Side.DISCRIMINATOR);
        SDVariable h = sd.nn().leakyRelu(features.mmul(q.param("q/fc/W", ParamKind.WEIGHT,
                Initializer.glorotUniform(shape[1], hidden), shape[1], hidden))
                .add(q.param("q/fc/b", ParamKind.BIAS, Initializer.zeros(), hidden)), 0.2);
        SDVariable heads = h.mmul(q.param("q/out/W", ParamKind.WEIGHT, Initializer.glorotUniform(hidden, out),
                hidden, out)).add(q.param("q/out/b", ParamKind.BIAS, Initializer.zeros(), out));
        SDVariable term = null;
        if (k > 0) {
            SDVariable logits = heads.get(SDIndex.all(), SDIndex.interval(0, k));
            // log-softmax written out (stable): log Q(c|x) = l_c - max l - log sum_k exp(l_k - max l)
            SDVariable shifted = logits.sub(logits.max(true, 1));
            SDVariable logQ = shifted.sub(sd.math().log(sd.math().exp(shifted).sum(true, 1)));
            SDVariable nll = logQ.mul(context.code(CATEGORICAL)).sum(1).neg().mean();
            term = nll.mul(options.getDouble("lambda"));
        }
        if (continuous > 0) {
            SDVariable mean = heads.get(SDIndex.all(), SDIndex.interval(k, out));
            List<SDVariable> cs = new ArrayList<>();
            for (int i = 0; i < continuous; i++) {
                cs.add(context.code(CONTINUOUS + i));
            }
            SDVariable c = continuous == 1 ? cs.get(0) : sd.concat(1, cs.toArray(new SDVariable[0]));
            SDVariable diff = c.sub(mean);
            // mean over the batch of the sum over codes, as continuous * the mean over all entries (SameDiff's
            // reduction over a dimension of size 1 fails in 1.0.0-M2.1)
            SDVariable nll = diff.mul(diff).mul(0.5).add(0.5 * Math.log(2 * Math.PI)).mean().mul(continuous);
            SDVariable weighted = nll.mul(options.getDouble("lambdaContinuous"));
            term = term == null ? weighted : term.add(weighted);
        }
        return term;
    }
}
