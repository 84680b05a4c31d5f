package org.jgan.biggan.internal;

import java.util.List;
import org.jgan.api.Architecture;
import org.jgan.api.DataShape;
import org.jgan.api.GanName;
import org.jgan.api.Networks;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.SamplingOptions;
import org.jgan.layers.Resolution;
import org.osgi.service.component.annotations.Component;

/**
 * BigGAN (Brock et al. 2018, "Large Scale GAN Training for High Fidelity Natural Image Synthesis"), the networks of
 * its appendix B (the CIFAR-10 plan: 4x4 start, three up blocks to 32x32; a fourth for 64x64) for
 * {@code [C, 32, 32]} and {@code [C, 64, 64]} images:
 * <ul>
 * <li>G: hierarchical latent: z is split into one chunk for the input layer and one per up block. z_0 -> linear
 * to {@code [C, 4, 4]}; each up block is
 * {@code CBN -> ReLU -> upsample -> conv3x3 -> CBN -> ReLU -> conv3x3 + upsample(conv1x1(x))}
 * with {@link ConditionalBatchNorm} conditioned on {@code concat(shared class embedding, z_i)} (one embedding
 * matrix shared by every block); then BN -> ReLU -> conv3x3 -> tanh. In sampling graphs the option
 * {@code truncation} applies the truncation trick ({@link Truncation}).</li>
 * <li>D: the residual discriminator of {@code resnet} (input block, down blocks to 8x8, plain blocks, no
 * normalization), ReLU, global sum pooling phi(x) {@code [batch, C]}, and the projection discriminator of
 * Miyato and Koyama 2018: {@code logit = phi(x) w + b + <V^T y, phi(x)>}, V {@code [classes, C]} the class
 * embedding of D.</li>
 * </ul>
 * The rest of BigGAN is the run's: spectral normalization of G and D, orthogonal regularization of G
 * ({@code orthogonal}), the hinge loss, an exponential moving average of G's weights ({@code ema}) and the preset
 * {@code biggan-fashion}. Simplified, and why: no self-attention block (BigGAN places one at 64x64 in its
 * 128x128 networks; at 32x32 the CIFAR networks have none; {@code sagan} has the block); constant width C with
 * a small default so CPU training is practical; He / Glorot instead of orthogonal initialisation. Unconditional
 * runs are accepted: then the blocks are conditioned on their z chunk alone and D has no projection term.
 */
@Component(service = Architecture.class)
@GanName(BigGanNetworks.NAME)
public final class BigGanArchitecture implements Architecture, SamplingOptions {

    static final List<OptionSpec> OPTIONS = List.of(
            OptionSpec.ofInt("channels", 32, 1, 4096, "Width C of every residual block"),
            OptionSpec.ofInt("embedding", 32, 1, 4096,
                    "Size of G's shared class embedding (conditional runs; BigGAN: 128)"),
            OptionSpec.ofDouble("truncation", Double.POSITIVE_INFINITY, 0, Double.POSITIVE_INFINITY,
                    "Truncation trick at sampling time: resample latent components with |z| above this threshold "
                            + "(Infinity: off; 0 gives the mean latent z = 0)"));

    @Override
    public String description() {
        return "BigGAN: residual G with class-conditional batch norm and hierarchical latent, projection D, "
                + "truncation trick; 32x32 and 64x64 images (Brock et al. 2018)";
    }

    /** {@code truncation} acts only in sampling graphs. */
    @Override
    public java.util.Set<String> samplingOptions() {
        return java.util.Set.of("truncation");
    }

    @Override
    public List<OptionSpec> options() {
        return OPTIONS;
    }

    @Override
    public Networks create(DataShape shape, int latent, int classes, Options options) {
        Resolution res = Resolution.from4x4(BigGanNetworks.NAME, shape);
        int chunks = res.doublings() + 1;
        if (latent % chunks != 0) {
            throw new IllegalArgumentException("architecture '" + BigGanNetworks.NAME + "': setting 'latent' is "
                    + latent + ", which does not split into " + chunks + " equal chunks (one for the input layer "
                    + "and one per up block at " + res.size() + "x" + res.size() + "); expected a multiple of "
                    + chunks + ", e.g. " + Math.max(chunks, latent / chunks * chunks));
        }
        return new BigGanNetworks(res, latent, classes, options.getInt("channels"), options.getInt("embedding"),
                options.getDouble("truncation"));
    }
}
