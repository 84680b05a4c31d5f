package org.jgan.vae.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.GanName;
import org.jgan.api.Initializer;
import org.jgan.api.Model;
import org.jgan.api.ModelContext;
import org.jgan.api.NetworkScope;
import org.jgan.api.Objective;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.osgi.service.component.annotations.Component;

/**
 * The variational autoencoder of Kingma and Welling 2014 ("Auto-Encoding Variational Bayes"), trained by maximizing
 * the evidence lower bound with the reparametrization trick (their equations 7 and 10, one sample per data point):
 * <pre>
 *   mu, log sigma_e^2 = E(x)                        the encoder q(z | x) = N(mu, diag(sigma_e^2))
 *   z = mu + sigma_e * eps,   eps ~ N(0, I)         the reparametrization
 *   loss = -log p(x | z) + beta * KL(q(z | x) || N(0, I)),
 *   KL = 1/2 sum_j (mu_j^2 + sigma_e,j^2 - 1 - log sigma_e,j^2)   (their appendix B)
 * </pre>
 * averaged over the batch, in nats per data point; with {@code beta = 1} the loss is the negative ELBO, other values
 * give the beta-VAE (Higgins et al. 2017), and a schedule of it ({@code schedule.model.beta=cosine(to=1,
 * warmup=N, from=0)}) the KL warm-up of Bowman et al. 2016 (their "KL cost annealing"). The decoder p(x | z) is the
 * run's generator G:
 * <ul>
 * <li>{@code gaussian}: N(x; G(z), sigma^2 I) over the D data dimensions,
 * {@code -log p = |x - G(z)|^2 / (2 sigma^2) + D log sigma + D/2 log(2 pi)}; sigma fixed by the option, or with
 * {@code sigma=0} one learned scalar shared by every dimension (the calibrated decoder of Rybkin et al. 2021, the
 * sigma-VAE), a generator parameter {@code vae/log_sigma}.</li>
 * <li>{@code bernoulli}: the data in [-1, 1] as pixel intensities t = (1 + x)/2, the decoder's mean m = (1 + G(z))/2
 * (G with a tanh output, dcgan's, keeps it in (0, 1)), {@code -log p = -sum_d t_d log m_d + (1 - t_d) log(1 - m_d)},
 * m clamped to [1e-6, 1 - 1e-6] inside the logarithms.</li>
 * </ul>
 * The encoder is the architecture's discriminator trunk (its {@link Critique#features() features}) with a linear
 * Gaussian head {@code vae/mean}, {@code vae/log_variance} added in the discriminator's scope, so the MLP and
 * convolutional architectures (mlp, dcgan, resnet, ...) give the MLP and convolutional VAEs; D's logit layer is left
 * untouched. Samples, and everything built on them (metrics, grids, interpolation), are the decoder's mean G(z) for z
 * from the prior N(0, I), as VAE papers show them; the decoder's noise is not added.
 */
@Component(service = Model.class)
@GanName("vae")
public final class VaeModel implements Model {

    /** Bounds of the Bernoulli decoder's mean inside the logarithms. */
    static final double CLAMP = 1e-6;

    static final List<OptionSpec> OPTIONS = List.of(
            OptionSpec.ofChoice("decoder", "gaussian", List.of("gaussian", "bernoulli"),
                    "Likelihood p(x|z): gaussian N(G(z), sigma^2 I), or bernoulli with mean (1 + G(z))/2 for data in "
                            + "[-1, 1]"),
            OptionSpec.ofDouble("sigma", 0, 0, 1e6, "Standard deviation of the Gaussian decoder; 0: one learned "
                    + "scalar (sigma-VAE, Rybkin et al. 2021)"),
            OptionSpec.ofDouble("beta", 1, 0, 1e6, "Weight of the KL term (1: the ELBO; beta-VAE, Higgins et al. "
                    + "2017)"));

    @Override
    public String description() {
        return "Variational autoencoder: the ELBO with the reparametrization trick, Gaussian or Bernoulli decoder, "
                + "beta (Kingma and Welling 2014)";
    }

    @Override
    public List<OptionSpec> options() {
        return OPTIONS;
    }

    @Override
    public Objective define(ModelContext context, Options options) {
        SameDiff sd = context.sd();
        int latent = context.latent();
        SDVariable x = context.data();
        Critique trunk = context.discriminator(x);
        if (trunk.features() == null) {
            throw new IllegalArgumentException("model 'vae': the architecture's discriminator returns no features to "
                    + "encode from; expected an architecture whose discriminator has a feature layer (mlp, dcgan, "
                    + "resnet, ...)");
        }
        SDVariable h = trunk.features();
        long width = context.shapeOf(h)[1];
        NetworkScope e = context.discriminatorScope();
        SDVariable mean = head(e, "vae/mean", h, width, latent);
        SDVariable logVariance = head(e, "vae/log_variance", h, width, latent);
        SDVariable eps = e.noise("vae/epsilon", -1, latent);
        SDVariable z = mean.add(sd.math.exp(logVariance.mul(0.5)).mul(eps));
        SDVariable decoded = context.generator(z);
        long dims = 1;
        for (long d : context.shape().dims()) {
            dims *= d;
        }
        SDVariable flatX = sd.reshape(x, -1, dims);
        SDVariable flatG = sd.reshape(decoded, -1, dims);
        SDVariable kl = mean.mul(mean).add(sd.math.exp(logVariance)).sub(1.0).sub(logVariance).sum(1).mul(0.5).mean();
        SDVariable nll;
        SDVariable sigma = null;
        if (options.getString("decoder").equals("gaussian")) {
            SDVariable squared = flatX.sub(flatG);
            squared = squared.mul(squared).sum(1).mean();
            double fixed = options.getDouble("sigma");
            SDVariable logSigma = fixed > 0 ? sd.constant(Nd4j.scalar(DataType.FLOAT, Math.log(fixed)))
                    : context.generatorScope().param("vae/log_sigma", NetworkScope.ParamKind.OTHER,
                            Initializer.zeros(), 1, 1).sum();
            SDVariable variance = sd.math.exp(logSigma.mul(2.0));
            nll = squared.div(variance.mul(2.0)).add(logSigma.mul((double) dims))
                    .add(0.5 * dims * Math.log(2 * Math.PI));
            sigma = sd.math.exp(logSigma);
        } else {
            SDVariable t = flatX.add(1.0).mul(0.5);
            SDVariable m = sd.math.clipByValue(flatG.add(1.0).mul(0.5), CLAMP, 1 - CLAMP);
            nll = t.mul(sd.math.log(m)).add(t.rsub(1.0).mul(sd.math.log(m.rsub(1.0)))).sum(1).mean().neg();
        }
        // an input of the graph, so that a schedule (a KL warm-up) can move it step by step
        SDVariable beta = context.option("beta");
        SDVariable loss = nll.add(kl.mul(beta));
        Map<String, SDVariable> terms = new LinkedHashMap<>();
        terms.put("elbo", nll.add(kl).neg());
        terms.put("nll", nll);
        terms.put("kl", kl);
        if (sigma != null) {
            terms.put("sigma", sigma);
        }
        return new Objective(loss, terms);
    }

    /** A linear layer of the encoder's Gaussian head: Glorot-uniform weights, zero bias. */
    private static SDVariable head(NetworkScope e, String name, SDVariable h, long in, long out) {
        SDVariable w = e.param(name + "/W", NetworkScope.ParamKind.WEIGHT, Initializer.glorotUniform(in, out), in, out);
        SDVariable b = e.param(name + "/b", NetworkScope.ParamKind.BIAS, Initializer.zeros(), 1, out);
        return h.mmul(w).add(b);
    }
}
