package org.jgan.resnet.internal;

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
 * The residual networks of Gulrajani et al. 2017 (WGAN-GP, appendix: CIFAR-10 ResNet), also used by Roth et al.
 * 2017 (section 5.2), for {@code [C, 28, 28]}, {@code [C, 32, 32]} and {@code [C, 64, 64]} images, with
 * pre-activation residual blocks (He et al. 2016; see {@link ResidualBlock}) of constant width C:
 * <ul>
 * <li>G: z (with the one-hot labels appended in conditional runs, Mirza and Osindero 2014) -> linear to
 * {@code [C, 4, 4]} -> n up blocks (nearest-neighbour upsampling; n = 3 for 32x32, 4 for 64x64) -> BN -> ReLU ->
 * conv3x3 to the image channels -> tanh. For 28x28 the linear layer makes {@code [C, 7, 7]} and two up blocks
 * follow (Gulrajani et al. have no 28x28 ResNet; this keeps their 4x4 -> 32x32 plan's last two blocks).</li>
 * <li>D: four blocks: the input block (conv3x3 -> ReLU -> conv3x3 -> average pooling), down blocks (average
 * pooling) while the map is wider than 8 (32 -> 16 -> 8, 64 -> 32 -> 16 -> 8, 28 -> 14 -> 7), plain blocks for the
 * rest; then ReLU, global mean pooling (the features, {@code [batch, C]}) and a linear logit. Without batch norm by
 * default, as Gulrajani et al. for the gradient penalty; Roth et al. used it in D as well ({@code dNorm=batch}).
 * Conditional runs append the labels as constant feature maps to D's input.</li>
 * </ul>
 * Layer tables and parameter counts: docs/architectures.md.
 */
@Component(service = Architecture.class)
@GanName(ResnetNetworks.NAME)
public final class ResnetArchitecture implements Architecture {

    static final List<OptionSpec> OPTIONS = List.of(
            OptionSpec.ofInt("channels", 128, 1, 4096, "Width C of every residual block (Gulrajani et al.: 128)"),
            OptionSpec.ofChoice("gNorm", "batch", List.of("batch", "none"), "Normalization in the generator"),
            OptionSpec.ofChoice("dNorm", "none", List.of("none", "batch"),
                    "Normalization in the discriminator: none (Gulrajani et al.) or batch (Roth et al.)"));

    @Override
    public String description() {
        return "ResNet G and D, pre-activation residual blocks, 28x28, 32x32, 64x64 images (Gulrajani et al. 2017)";
    }

    @Override
    public List<OptionSpec> options() {
        return OPTIONS;
    }

    @Override
    public Networks create(DataShape shape, int latent, int classes, Options options) {
        Resolution res = Resolution.of(ResnetNetworks.NAME, shape);
        return new ResnetNetworks(res, latent, classes, new ResnetNetworks.Layout(options.getInt("channels"),
                options.getString("gNorm").equals("batch"), options.getString("dNorm").equals("batch")));
    }
}
