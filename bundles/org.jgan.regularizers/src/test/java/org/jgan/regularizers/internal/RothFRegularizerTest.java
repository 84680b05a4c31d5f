package org.jgan.regularizers.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/** Roth et al. 2017's f-GAN regularizer weighs by the divergence of the run's fgan loss. */
class RothFRegularizerTest {

    private static final List<OptionSpec> FGAN_OPTIONS = List.of(OptionSpec.ofChoice("divergence", "js",
            RothFRegularizer.DIVERGENCES, "f"));

    /** A context answering what perSample may use: the graph and the run's loss. */
    private static RegularizationContext context(SameDiff sd, String loss, String divergence) {
        Options options = loss.equals("fgan")
                ? Options.resolve("loss 'fgan'", FGAN_OPTIONS, Map.of("divergence", divergence))
                : Options.none("loss '" + loss + "'");
        return (RegularizationContext) Proxy.newProxyInstance(RegularizationContext.class.getClassLoader(),
                new Class<?>[] {RegularizationContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "sd" -> sd;
                    case "lossName" -> loss;
                    case "lossOptions" -> options;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static Options options(Map<String, String> given) {
        return Options.resolve("penalty 'roth-f'", new RothFRegularizer().options(), given);
    }

    /** gamma/2 w_f(V) s for V = 0.3, s = 2, gamma = 2, evaluated in a graph. */
    private static double term(RegularizationContext c, Options options) {
        SameDiff sd = c.sd();
        SDVariable v = sd.var("v", Nd4j.scalar(0.3f).reshape(1, 1));
        SDVariable s = sd.var("s", Nd4j.scalar(2f).reshape(1, 1));
        SDVariable out = new RothFRegularizer().perSample(c, 0, v, s, options);
        return out.eval().getDouble(0);
    }

    @Test
    void theDefaultFollowsTheFganLossDivergence() {
        assertEquals("loss", options(Map.of()).getString("divergence"));
        Options defaults = options(Map.of("gamma", "2"));
        // kl: w = exp(V - 1); squared Hellinger: 2 exp(V); js: sigmoid(V); times gamma/2 s = 2
        assertEquals(2 * Math.exp(0.3 - 1), term(context(SameDiff.create(), "fgan", "kl"), defaults), 1e-6);
        assertEquals(4 * Math.exp(0.3), term(context(SameDiff.create(), "fgan", "squared-hellinger"), defaults),
                1e-5);
        assertEquals(2 / (1 + Math.exp(-0.3)), term(context(SameDiff.create(), "fgan", "js"), defaults), 1e-6);
        assertEquals(2 * Math.exp(0.3 - 1), term(context(SameDiff.create(), "fgan", "kl"),
                options(Map.of("gamma", "2", "divergence", "kl"))), 1e-6);
    }

    @Test
    void aDivergenceOtherThanTheLossesIsRefusedWithOneLine() {
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> RothFRegularizer.divergence(context(null, "fgan", "kl"), "js"));
        assertEquals("penalty 'roth-f': option 'divergence' is 'js' but the fgan loss's divergence is 'kl'; "
                + "expected 'loss' (the default) or 'kl'", mismatch.getMessage());
        IllegalArgumentException noFgan = assertThrows(IllegalArgumentException.class,
                () -> RothFRegularizer.divergence(context(null, "nonsaturating", ""), "loss"));
        assertEquals("penalty 'roth-f': option 'divergence' is 'loss' but the run's loss is 'nonsaturating', not "
                + "fgan; expected loss=fgan, a divergence named with regularizer.roth-f.divergence (one of kl, "
                + "reverse-kl, pearson, squared-hellinger, js), or the roth penalty for the standard GAN",
                noFgan.getMessage());
        assertEquals("pearson", RothFRegularizer.divergence(context(null, "hinge", ""), "pearson"));
    }
}
