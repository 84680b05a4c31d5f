package org.jgan.stylegan.internal;

import java.util.ArrayList;
import java.util.List;
import org.jgan.api.Critique;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.api.StyleMixer;
import org.jgan.layers.NetworkChecks;
import org.jgan.layers.Resampling;
import org.jgan.layers.Resolution;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** The StyleGAN networks of one run (Karras et al. 2018, 2019); see {@link StyleGanArchitecture} for the plan. */
final class StyleGanNetworks implements Networks, StyleMixer {

    static final String NAME = "stylegan";
    /** Decay of the running average of w (StyleGAN's dlatent_avg_beta). */
    static final double W_AVG_DECAY = 0.995;
    /** D's blocks halve the resolution down to 4x4, as StyleGAN's. */
    static final int D_SMALLEST = 4;
    /** The mapping network's learning-rate multiplier (Karras et al. 2018, appendix C: two orders of magnitude). */
    static final double MAPPING_LR_MUL = 0.01;

    /** Hyperparameters besides the resolution. */
    record Layout(int channels, int wDim, int mappingLayers, boolean demodulate, double mixing, double psi) {
    }

    private final Resolution res;
    private final int latent;
    private final int classes;
    private final Layout layout;
    private final long c;

    StyleGanNetworks(Resolution res, int latent, int classes, Layout layout) {
        this.res = res;
        this.latent = latent;
        this.classes = classes;
        this.layout = layout;
        this.c = layout.channels();
    }

    /** L, the number of style inputs: two per resolution (StyleGAN2: one at 4x4 plus toRGB's). */
    @Override
    public int styleLayers() {
        return 2 * (res.doublings() + 1);
    }

    @Override
    public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
        NetworkChecks.labels(NAME, classes, labels);
        SameDiff sd = scope.sd();
        SDVariable input = labels == null ? z : sd.concat(1, z, labels);
        SDVariable w = mapping(scope, input, latent + classes);
        SDVariable avg = scope.buffer("w_avg", Initializer.zeros(), layout.wDim());
        List<SDVariable> ws;
        if (scope.training()) {
            scope.updateBuffer(avg, avg.mul(W_AVG_DECAY).add(w.mean(0).mul(1 - W_AVG_DECAY)));
            ws = mixedStyles(scope, w, labels);
        } else {
            SDVariable truncated = truncate(w, avg);
            ws = new ArrayList<>();
            for (int l = 0; l < styleLayers(); l++) {
                ws.add(truncated);
            }
        }
        return sd.math.tanh(synthesis(scope, ws));
    }

    /**
     * Style mixing at sampling time (Karras et al. 2018, section 3.1, figure 3): both latents mapped and truncated as
     * in {@link #generator}, layers {@code 0 .. crossover - 1} styled by the first, the others by the second.
     */
    @Override
    public SDVariable mixedGenerator(NetworkScope scope, SDVariable z, SDVariable z2, int crossover,
            SDVariable labels) {
        NetworkChecks.labels(NAME, classes, labels);
        if (crossover < 1 || crossover >= styleLayers()) {
            throw new IllegalArgumentException(NAME + ": crossover layer " + crossover
                    + " is out of range; expected 1.." + (styleLayers() - 1));
        }
        SameDiff sd = scope.sd();
        SDVariable avg = scope.buffer("w_avg", Initializer.zeros(), layout.wDim());
        SDVariable w1 = truncate(mapping(scope, labels == null ? z : sd.concat(1, z, labels), latent + classes), avg);
        SDVariable w2 = truncate(mapping(scope, labels == null ? z2 : sd.concat(1, z2, labels), latent + classes), avg);
        List<SDVariable> ws = new ArrayList<>();
        for (int l = 0; l < styleLayers(); l++) {
            ws.add(l < crossover ? w1 : w2);
        }
        return sd.math.tanh(synthesis(scope, ws));
    }

    /** Truncation in W (Karras et al. 2018, section 4.1 / appendix B): {@code w' = w_avg + psi (w - w_avg)}. */
    private SDVariable truncate(SDVariable w, SDVariable avg) {
        return layout.psi() == 1 ? w : w.sub(avg).mul(layout.psi()).add(avg);
    }

    /** w for each layer: w itself, or for a fraction {@code mixing} of the samples a switch to w2 at a random layer. */
    private List<SDVariable> mixedStyles(NetworkScope scope, SDVariable w, SDVariable labels) {
        if (layout.mixing() == 0) {
            List<SDVariable> ws = new ArrayList<>();
            for (int l = 0; l < styleLayers(); l++) {
                ws.add(w);
            }
            return ws;
        }
        SameDiff sd = scope.sd();
        SDVariable z2 = scope.noise("mixing/z", -1, latent);
        SDVariable w2 = mapping(scope, labels == null ? z2 : sd.concat(1, z2, labels), latent + classes);
        return StyleMixing.perLayer(sd, w, w2, scope.uniform("mixing/choice", -1, 2), layout.mixing(), styleLayers());
    }

    /**
     * The mapping network f: Z -> W: pixel norm, then mappingLayers dense layers with LeakyReLU 0.2, their weights
     * and biases {@link Equalized} with the learning-rate multiplier 0.01.
     */
    SDVariable mapping(NetworkScope scope, SDVariable z, long in) {
        SameDiff sd = scope.sd();
        SDVariable h = z.mul(sd.math.rsqrt(z.mul(z).mean(true, 1).add(StyleLayers.EPS)));
        long width = in;
        for (int i = 1; i <= layout.mappingLayers(); i++) {
            SDVariable w = Equalized.weight(scope, "mapping" + i + "/W", Equalized.LRELU_GAIN, MAPPING_LR_MUL, width,
                    width, layout.wDim());
            SDVariable b = Equalized.bias(scope, "mapping" + i + "/b", MAPPING_LR_MUL, layout.wDim());
            h = ResidualBlock.lrelu(scope, h.mmul(w).add(b));
            width = layout.wDim();
        }
        return h;
    }

    /** The synthesis network g on per-layer w's: learned constant, then per resolution two styled convolutions. */
    private SDVariable synthesis(NetworkScope scope, List<SDVariable> ws) {
        SameDiff sd = scope.sd();
        int size = res.start();
        // N(0, 1) as in StyleGAN2 (StyleGAN used ones, which instance norm maps to 0 at the start)
        SDVariable constant = scope.param("const", ParamKind.OTHER, Initializer.normal(1), 1, c * size * size);
        // one copy of the constant per sample: ones [batch, 1] x const [1, C s s]
        SDVariable ones = ws.get(0).get(SDIndex.all(), SDIndex.interval(0, 1)).mul(0).add(1);
        SDVariable x = sd.reshape(ones.mmul(constant), -1, c, size, size);
        int l = 0;
        if (layout.demodulate()) {
            x = styledConv(scope, "b4/conv", x, ws.get(l++), size);
        } else {
            x = epilogue(scope, "b4/layer0", x, ws.get(l++), size);
            x = epilogue(scope, "b4/layer1", ResidualBlock.conv(scope, "b4/conv", x, c, c, 3, false), ws.get(l++),
                    size);
        }
        for (int i = 1; i <= res.doublings(); i++) {
            size *= 2;
            x = Resampling.upsample2x(sd, x, c, size / 2, size / 2);
            String b = "b" + size;
            if (layout.demodulate()) {
                x = styledConv(scope, b + "/conv1", x, ws.get(l++), size);
                x = styledConv(scope, b + "/conv2", x, ws.get(l++), size);
            } else {
                x = epilogue(scope, b + "/layer0", ResidualBlock.conv(scope, b + "/conv1", x, c, c, 3, false),
                        ws.get(l++), size);
                x = epilogue(scope, b + "/layer1", ResidualBlock.conv(scope, b + "/conv2", x, c, c, 3, false),
                        ws.get(l++), size);
            }
        }
        if (layout.demodulate()) {
            // StyleGAN2's tRGB: modulated 1x1 convolution without demodulation, plus bias
            SDVariable s = StyleLayers.style(scope, "torgb/style", ws.get(l), layout.wDim(), c, 1);
            SDVariable bias = scope.param("torgb/b", ParamKind.BIAS, Initializer.zeros(), res.channels());
            return StyleLayers.modulatedConv(scope, "torgb", x, s, c, res.channels(), 1, false)
                    .add(sd.reshape(bias, 1, res.channels(), 1, 1));
        }
        return ResidualBlock.conv(scope, "torgb", x, c, res.channels(), 1, true);
    }

    /** StyleGAN's layer epilogue: noise, bias, LeakyReLU, AdaIN with the layer's style. */
    private SDVariable epilogue(NetworkScope scope, String name, SDVariable x, SDVariable w, int size) {
        SameDiff sd = scope.sd();
        x = StyleLayers.noise(scope, name + "/noise", x, c, size);
        SDVariable bias = scope.param(name + "/b", ParamKind.BIAS, Initializer.zeros(), c);
        x = ResidualBlock.lrelu(scope, x.add(sd.reshape(bias, 1, c, 1, 1)));
        SDVariable ys = StyleLayers.style(scope, name + "/style_s", w, layout.wDim(), c, 1);
        SDVariable yb = StyleLayers.style(scope, name + "/style_b", w, layout.wDim(), c, 0);
        return StyleLayers.adain(sd, x, ys, yb, c);
    }

    /** StyleGAN2's layer: modulated, demodulated conv3x3, noise, bias, LeakyReLU. */
    private SDVariable styledConv(NetworkScope scope, String name, SDVariable x, SDVariable w, int size) {
        SameDiff sd = scope.sd();
        SDVariable s = StyleLayers.style(scope, name + "/style", w, layout.wDim(), c, 1);
        x = StyleLayers.modulatedConv(scope, name, x, s, c, c, 3, true);
        x = StyleLayers.noise(scope, name + "/noise", x, c, size);
        SDVariable bias = scope.param(name + "/b", ParamKind.BIAS, Initializer.zeros(), c);
        return ResidualBlock.lrelu(scope, x.add(sd.reshape(bias, 1, c, 1, 1)));
    }

    /** D's rows are not independent: the minibatch standard deviation of its head compares each with the others. */
    @Override
    public boolean independentSamples() {
        return false;
    }

    @Override
    public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        int size = res.size();
        NetworkChecks.shape(NAME, x, "data batch x", -1, res.channels(), size, size);
        SDVariable h = labels == null ? x : sd.concat(1, x, NetworkChecks.labelMaps(sd, labels, classes, size));
        h = ResidualBlock.first(scope, "block1", h, res.channels() + classes, c, size);
        size /= 2;
        for (int i = 2; size > D_SMALLEST; i++) {
            h = ResidualBlock.down(scope, "block" + i, h, c, c, size);
            size /= 2;
        }
        // StyleGAN's D head (as StyleGAN2's): minibatch stddev, conv3x3, flatten, dense C with LeakyReLU (the
        // features), dense logit
        h = ResidualBlock.lrelu(scope, ResidualBlock.conv(scope, "final/conv", minibatchStddev(sd, h, size), c + 1, c,
                3, true));
        long flat = c * size * size;
        SDVariable fcW = Equalized.weight(scope, "fc/W", Equalized.LRELU_GAIN, 1, flat, flat, c);
        SDVariable fcB = scope.param("fc/b", ParamKind.BIAS, Initializer.zeros(), c);
        SDVariable features = ResidualBlock.lrelu(scope, sd.reshape(h, -1, flat).mmul(fcW).add(fcB));
        SDVariable w = Equalized.weight(scope, "out/W", 1, 1, c, c, 1);
        SDVariable b = scope.param("out/b", ParamKind.BIAS, Initializer.zeros(), 1);
        return new Critique(features.mmul(w).add(b), features);
    }

    /**
     * Minibatch standard deviation (Karras et al. 2017, ProGAN section 3, used by StyleGAN's D): the standard
     * deviation of each feature over the batch, averaged to one number, appended as a constant feature map. The
     * whole batch is one group (the authors use groups of 4).
     */
    static SDVariable minibatchStddev(SameDiff sd, SDVariable h, int size) {
        SDVariable centered = h.sub(h.mean(true, 0));
        SDVariable std = sd.math.sqrt(centered.mul(centered).mean(true, 0).add(StyleLayers.EPS)).mean();
        SDVariable map = sd.zerosLike(h.get(SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all(), SDIndex.all()))
                .add(std);
        return sd.concat(1, h, map);
    }



}
