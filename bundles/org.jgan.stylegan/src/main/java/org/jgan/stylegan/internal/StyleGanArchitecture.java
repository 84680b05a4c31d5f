package org.jgan.stylegan.internal;

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
 * StyleGAN (Karras et al. 2018, "A Style-Based Generator Architecture for Generative Adversarial Networks") for
 * {@code [C, 32, 32]} and {@code [C, 64, 64]} images, optionally with StyleGAN2's weight demodulation (Karras et
 * al. 2019, "Analyzing and Improving the Image Quality of StyleGAN", section 2.2):
 * <ul>
 * <li>Mapping network f: z (pixel-normalized) -> {@code mappingLayers} dense layers (LeakyReLU 0.2) -> w
 * {@code [batch, wDim]}; a running average of w (decay 0.995) is a state buffer.</li>
 * <li>Synthesis network g: a learned constant {@code [C, 4, 4]}; per resolution (4x4, then after each nearest
 * upsampling) two layers, each conv3x3 (none before the first at 4x4) -> per-pixel noise scaled by learned
 * per-channel factors -> bias -> LeakyReLU -> AdaIN with the style A(w) of that layer; a 1x1 toRGB and tanh.
 * With {@code modulation=demodulation}: StyleGAN2's layers (modulated and demodulated conv3x3 -> noise -> bias ->
 * LeakyReLU; one at 4x4) and a modulated toRGB. Either way L = 2 (n + 1) style inputs for n doublings.</li>
 * <li>Style mixing regularization ({@code mixing}, default 0.9) in training graphs ({@link StyleMixing}); the
 * truncation trick in W ({@code psi}, default 1 = off) in sampling graphs: {@code w' = w_avg + psi (w - w_avg)}.</li>
 * <li>D: StyleGAN2's residual discriminator (input block and down blocks to 4x4, LeakyReLU 0.2, residual sums
 * scaled by 1/sqrt(2)), then StyleGAN's head: minibatch standard deviation, conv3x3, flatten, dense C with LeakyReLU
 * (the features) and a dense logit.</li>
 * <li>Every weight has the equalized learning rate ({@link Equalized}); the mapping network's multiplier is
 * 0.01.</li>
 * </ul>
 * Simplified, and why: no progressive growing (StyleGAN2 dropped it too), nearest upsampling without the blur
 * filter, no path-length regularization, a minibatch-stddev group of the whole batch, tanh after toRGB for the
 * project's [-1, 1] pixel convention, and small default widths so CPU training is practical. Conditional runs
 * append the one-hot labels to z (and as maps to D's input). The loss and R1 penalty are the run's (preset
 * {@code stylegan-fashion}).
 */
@Component(service = Architecture.class)
@GanName(StyleGanNetworks.NAME)
public final class StyleGanArchitecture implements Architecture, SamplingOptions {

    static final List<OptionSpec> OPTIONS = List.of(
            OptionSpec.ofInt("channels", 32, 1, 4096, "Width C of every synthesis layer and D block"),
            OptionSpec.ofInt("wDim", 64, 1, 4096, "Size of w, the mapping network's width (StyleGAN: 512)"),
            OptionSpec.ofInt("mappingLayers", 8, 1, 32, "Dense layers of the mapping network (StyleGAN: 8)"),
            OptionSpec.ofChoice("modulation", "adain", List.of("adain", "demodulation"),
                    "Style injection: AdaIN (StyleGAN) or weight modulation and demodulation (StyleGAN2)"),
            OptionSpec.ofDouble("mixing", 0.9, 0, 1,
                    "Style mixing probability: fraction of training samples generated from two latents"),
            OptionSpec.ofDouble("psi", 1, 0, 1,
                    "Truncation in W at sampling time: w' = w_avg + psi (w - w_avg) (1: off; 0: the mean w)"));

    @Override
    public String description() {
        return "StyleGAN: mapping network, constant input, AdaIN (or StyleGAN2 demodulation), noise inputs, style "
                + "mixing, truncation in W; 32x32 and 64x64 images (Karras et al. 2018, 2019)";
    }

    /** {@code psi} acts only in sampling graphs. */
    @Override
    public java.util.Set<String> samplingOptions() {
        return java.util.Set.of("psi");
    }

    @Override
    public List<OptionSpec> options() {
        return OPTIONS;
    }

    @Override
    public Networks create(DataShape shape, int latent, int classes, Options options) {
        Resolution res = Resolution.from4x4(StyleGanNetworks.NAME, shape);
        return new StyleGanNetworks(res, latent, classes, new StyleGanNetworks.Layout(options.getInt("channels"),
                options.getInt("wDim"), options.getInt("mappingLayers"),
                options.getString("modulation").equals("demodulation"), options.getDouble("mixing"),
                options.getDouble("psi")));
    }
}
