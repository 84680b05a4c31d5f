package org.jgan.mlp.internal;

import java.util.List;
import org.jgan.api.Architecture;
import org.jgan.api.DataShape;
import org.jgan.api.GanName;
import org.jgan.api.Networks;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.osgi.service.component.annotations.Component;

/**
 * Fully connected generator and discriminator for low-dimensional data, as used for the mixture-of-Gaussians
 * experiments of Metz et al. 2016 (unrolled GANs) and Roth et al. 2017 (appendix 7.3: two hidden layers of 128
 * units, tanh, a 2-D latent). The generator's output layer is linear; the discriminator returns one logit and its
 * last hidden layer as features. Image-shaped data is flattened, so the architecture also fits tiny images.
 * Options add Salimans et al. 2016's minibatch discrimination to D and virtual batch normalization to G, and give
 * the networks of PacGAN's synthetic experiments (Lin et al. 2018, appendix; after VEEGAN's): G with four hidden layers
 * of 400 units, each batch-normalized before its ReLU ({@code gNorm=bn}, no bias before the normalization), and D with
 * three maxout layers of 200 units and 5 pieces ({@code dMaxout=5}; Goodfellow et al. 2013:
 * {@code h_i = max_j (x W_ij + b_ij)}), weights N(0, 0.02^2) and zero biases ({@code init=normal initStd=0.02}).
 */
@Component(service = Architecture.class)
@GanName("mlp")
public final class MlpArchitecture implements Architecture {

    static final List<OptionSpec> OPTIONS = List.of(
            OptionSpec.ofInt("hidden", 128, 1, 65536, "Units per hidden layer"),
            OptionSpec.ofInt("gHidden", 0, 0, 65536, "Units per hidden layer of the generator (0: hidden)"),
            OptionSpec.ofInt("dHidden", 0, 0, 65536, "Units per hidden layer of the discriminator (0: hidden)"),
            OptionSpec.ofInt("gLayers", 2, 1, 32, "Hidden layers of the generator"),
            OptionSpec.ofInt("dLayers", 2, 1, 32, "Hidden layers of the discriminator"),
            OptionSpec.ofChoice("activation", "relu", List.of("relu", "leakyrelu", "tanh"), "Hidden activation"),
            OptionSpec.ofDouble("leak", 0.2, 0, 1, "Negative slope of leakyrelu"),
            OptionSpec.ofChoice("init", "glorot", List.of("glorot", "he", "normal"),
                    "Weight initialisation: Glorot uniform, He normal, or N(0, initStd^2)"),
            OptionSpec.ofDouble("initStd", 0.1, 1e-6, 10, "Standard deviation of the 'normal' initialisation"),
            OptionSpec.ofInt("minibatchKernels", 0, 0, 4096,
                    "Minibatch discrimination kernels B before D's output (0: off; Salimans et al. 2016: 100)"),
            OptionSpec.ofInt("minibatchKernelDims", 5, 1, 1024, "Minibatch discrimination dimensions C per kernel"),
            OptionSpec.ofInt("dMaxout", 0, 0, 64, "Maxout pieces k of each hidden unit of the discriminator, "
                    + "h = max_j (x W_j + b_j) in place of the activation (0: off; PacGAN 5)"),
            OptionSpec.ofChoice("gNorm", "none", List.of("none", "bn", "vbn"),
                    "Generator normalization before each hidden activation: none, batch normalization (Ioffe and "
                    + "Szegedy 2015; the hidden layers then have no bias), or virtual batch normalization "
                    + "(Salimans et al. 2016)"),
            OptionSpec.ofInt("vbnReference", 64, 1, 65536, "Size of the fixed reference batch of virtual batch normalization"));

    @Override
    public String description() {
        return "Multilayer perceptron G and D for low-dimensional data (Metz et al. 2016; Roth et al. 2017, app. 7.3)";
    }

    @Override
    public List<OptionSpec> options() {
        return OPTIONS;
    }

    @Override
    public Networks create(DataShape shape, int latent, int classes, Options options) {
        int hidden = options.getInt("hidden");
        int maxout = options.getInt("dMaxout");
        if (maxout == 1) {
            throw new IllegalArgumentException("architecture option 'dMaxout' is 1; expected 0 (off) or at least 2 "
                    + "pieces");
        }
        return new MlpNetworks(shape, latent, classes, new MlpNetworks.Layout(
                options.getInt("gHidden") > 0 ? options.getInt("gHidden") : hidden,
                options.getInt("dHidden") > 0 ? options.getInt("dHidden") : hidden,
                options.getInt("gLayers"), options.getInt("dLayers"), options.getString("activation"),
                options.getDouble("leak"), options.getString("init"), options.getDouble("initStd"),
                options.getInt("minibatchKernels"), options.getInt("minibatchKernelDims"),
                options.getString("gNorm").equals("vbn") ? options.getInt("vbnReference") : 0,
                options.getString("gNorm").equals("bn"), maxout));
    }
}
