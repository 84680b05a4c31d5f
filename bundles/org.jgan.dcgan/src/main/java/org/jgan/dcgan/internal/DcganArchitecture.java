package org.jgan.dcgan.internal;

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
 * The deep convolutional GAN of Radford et al. 2015 (DCGAN) for {@code [C, 28, 28]}, {@code [C, 32, 32]} and
 * {@code [C, 64, 64]} images, with the "hard to train" variants of Roth et al. 2017 (section 5.2): no
 * normalization ({@code norm=none}) and tanh activations ({@code activation=tanh}).
 * <ul>
 * <li>G: z (with the one-hot labels appended in conditional runs, Mirza and Osindero 2014) -> linear projection to
 * {@code [C 2^(n-1), s, s]} (s = 4, or 7 for 28x28) -> n - 1 transposed convolutions (kernel 4, stride 2,
 * padding 1), each halving the channels and doubling the resolution -> a transposed convolution to the image's
 * channels -> tanh. Batch norm and ReLU after every layer but the output.</li>
 * <li>D: the mirror image: n strided convolutions (kernel 4, stride 2, padding 1) from C to {@code C 2^(n-1)}
 * channels, LeakyReLU 0.2, batch norm on all but the input layer, no hidden fully connected layer, then one
 * linear logit. Features are the flattened last convolution activations. Conditional runs append the labels as
 * constant feature maps to D's input.</li>
 * </ul>
 * n is 2 for 28x28, 3 for 32x32 and 4 for 64x64. Weights start from N(0, 0.02^2) as in the paper. Layer tables
 * and parameter counts: docs/architectures.md.
 */
@Component(service = Architecture.class)
@GanName(DcganNetworks.NAME)
public final class DcganArchitecture implements Architecture {

    static final List<OptionSpec> OPTIONS = List.of(
            OptionSpec.ofInt("channels", 64, 1, 4096,
                    "Base width C: D's first and G's last hidden layer; doubled per resolution halving"),
            OptionSpec.ofChoice("norm", "batch", List.of("batch", "none"),
                    "Batch normalization in both networks, or none (Roth et al. 2017's hard variant)"),
            OptionSpec.ofChoice("activation", "standard", List.of("standard", "tanh"),
                    "Hidden activations: ReLU in G and LeakyReLU 0.2 in D, or tanh in both (Roth et al. 2017)"),
            OptionSpec.ofChoice("init", "normal", List.of("normal", "he"),
                    "Weight initialisation: N(0, initStd^2) (Radford et al.), or He et al. 2015 normal"),
            OptionSpec.ofDouble("initStd", 0.02, 1e-6, 10, "Standard deviation of the 'normal' initialisation"));

    @Override
    public String description() {
        return "DCGAN for 28x28, 32x32, 64x64 images (Radford et al. 2015); no-norm, tanh variants (Roth et al. 2017)";
    }

    @Override
    public List<OptionSpec> options() {
        return OPTIONS;
    }

    @Override
    public Networks create(DataShape shape, int latent, int classes, Options options) {
        Resolution res = Resolution.of(DcganNetworks.NAME, shape);
        return new DcganNetworks(res, latent, classes, new DcganNetworks.Layout(options.getInt("channels"),
                options.getString("norm").equals("batch"), options.getString("activation").equals("tanh"),
                options.getString("init").equals("he"), options.getDouble("initStd")));
    }
}
