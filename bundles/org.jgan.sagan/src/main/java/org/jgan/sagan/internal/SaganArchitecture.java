package org.jgan.sagan.internal;

import java.util.List;
import org.jgan.api.Architecture;
import org.jgan.api.DataShape;
import org.jgan.api.GanName;
import org.jgan.api.Networks;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.layers.Resolution;
import org.osgi.service.component.annotations.Component;

/**
 * Self-Attention GAN (Zhang et al. 2018, "Self-Attention Generative Adversarial Networks") for {@code [C, 32, 32]}
 * and {@code [C, 64, 64]} images: the residual networks of Miyato et al. 2018 (SNGAN, after Gulrajani et al. 2017)
 * with a {@link SelfAttention} block in G and in D at the feature-map side given by {@code attention}.
 * <ul>
 * <li>G: z -> linear to {@code [C, 4, 4]} -> up blocks (BN, ReLU, nearest upsampling, conv3x3) to the image side,
 * self-attention after the block that produces the {@code attention x attention} map -> BN -> ReLU -> conv3x3 ->
 * tanh.</li>
 * <li>D: input block and down blocks (no normalization) to 8x8, plain blocks up to four blocks in all, self-attention
 * after the first block that produces the {@code attention} map -> ReLU -> global sum pooling (the features) ->
 * linear logit.</li>
 * </ul>
 * The rest of the recipe is the run's, as in the paper: spectral normalization of both networks
 * ({@code regularizers=spectral-norm regularizer.spectral-norm.networks=both}), the hinge loss and TTUR learning
 * rates (G 1e-4, D 4e-4, Adam betas 0 / 0.9); presets {@code sagan-32} and {@code sagan-64}.
 * Simplified, and why: the paper's ImageNet networks are class-conditional (conditional batch norm in G, projection
 * in D); here conditional runs get the labels concatenated to z and as constant maps on D's input like
 * {@code resnet} (the conditional batch norm and the projection discriminator are in {@code biggan}). Widths are
 * constant (C in every block) and small by default so CPU training is practical, and initialisation is He / Glorot
 * rather than orthogonal. docs/architectures.md has the details.
 */
@Component(service = Architecture.class)
@GanName(SaganNetworks.NAME)
public final class SaganArchitecture implements Architecture {

    static final List<OptionSpec> OPTIONS = List.of(
            OptionSpec.ofInt("channels", 32, 1, 4096, "Width C of every residual block"),
            OptionSpec.ofInt("attention", 16, 8, 32,
                    "Side of the feature maps the self-attention block works on: 8 or 16 for 32x32 images, "
                            + "8, 16 or 32 for 64x64"),
            OptionSpec.ofInt("reduction", 8, 1, 4096,
                    "Channel reduction k of the attention's f, g, h convolutions (C/k channels; paper: 8)"));

    @Override
    public String description() {
        return "SAGAN: ResNet G and D with self-attention, 32x32 and 64x64 images (Zhang et al. 2018)";
    }

    @Override
    public List<OptionSpec> options() {
        return OPTIONS;
    }

    @Override
    public Networks create(DataShape shape, int latent, int classes, Options options) {
        Resolution res = Resolution.from4x4(SaganNetworks.NAME, shape);
        int attention = options.getInt("attention");
        if (attention != 8 && attention != 16 && !(attention == 32 && res.size() == 64)) {
            throw new IllegalArgumentException("architecture '" + SaganNetworks.NAME + "': option 'attention' has "
                    + "value " + attention + "; expected " + (res.size() == 64 ? "8, 16 or 32" : "8 or 16")
                    + " for " + res.size() + "x" + res.size() + " images (a feature-map side of both G and D)");
        }
        return new SaganNetworks(res, latent, classes, options.getInt("channels"), attention,
                options.getInt("reduction"));
    }
}
