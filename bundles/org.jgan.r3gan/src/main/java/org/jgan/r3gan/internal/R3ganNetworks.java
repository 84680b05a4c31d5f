package org.jgan.r3gan.internal;

import java.util.Arrays;
import org.jgan.api.Critique;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.Networks;
import org.jgan.layers.NetworkChecks;
import org.jgan.layers.Resampling;
import org.jgan.layers.Resolution;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/** The R3GAN networks of one run (Huang et al. 2024); see {@link R3ganArchitecture} for the plan. */
final class R3ganNetworks implements Networks {

    static final String NAME = "r3gan";
    /** Negative slope of every LeakyReLU. */
    static final double SLOPE = 0.2;
    /** The gain of LeakyReLU 0.2, sqrt(2 / (1 + 0.2^2)) (their BiasedActivation.Gain). */
    static final double GAIN = Math.sqrt(2 / (1 + SLOPE * SLOPE));
    /** Linear layers of a residual block (1x1 expand, grouped 3x3, 1x1). */
    static final int LINEAR_LAYERS = 3;

    /**
     * Per stage, from the smallest map to the image (D uses them in reverse).
     *
     * @param widths      channels W of each stage
     * @param cardinality groups of each stage's 3x3 convolutions
     * @param blocks      residual blocks of each stage
     * @param expansion   a block's 1x1 expansion: its inner width is {@code expansion * W}
     */
    record Layout(int[] widths, int[] cardinality, int[] blocks, int expansion) {

        /** L, the variance scaling parameter: every block of a network. */
        int totalBlocks() {
            return Arrays.stream(blocks).sum();
        }

        /**
         * The gain of a block's first two layers, {@code GAIN * L^(-1/(2 * 3 - 2))}: with the last layer at zero, the
         * residual branches keep the variance of the sum bounded as blocks are added (Huang et al., section 3.2, after
         * Fixup, Zhang et al. 2019).
         */
        double blockGain() {
            return GAIN * Math.pow(totalBlocks(), -1.0 / (2 * LINEAR_LAYERS - 2));
        }
    }

    private final Resolution res;
    private final int latent;
    private final int classes;
    private final Layout layout;

    R3ganNetworks(Resolution res, int latent, int classes, Layout layout) {
        this.res = res;
        this.latent = latent;
        this.classes = classes;
        this.layout = layout;
    }

    @Override
    public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        NetworkChecks.shape(NAME, z, "latent batch z", -1, latent);
        int[] w = layout.widths();
        int s = res.start();
        SDVariable h = z;
        long in = latent;
        if (labels != null) {
            // the class embedding (as wide as z) appended to z
            SDVariable e = scope.param("embed/W", ParamKind.WEIGHT, msr(classes, 1), classes, latent);
            h = sd.concat(1, z, labels.mmul(e));
            in = 2L * latent;
        }
        // the generative basis: a learned [W, s, s] map scaled channel by channel by a linear function of z
        SDVariable basis = scope.param("s0/basis", ParamKind.OTHER, Initializer.normal(1), w[0], s, s);
        SDVariable lin = scope.param("s0/basis/W", ParamKind.WEIGHT, msr(in, 1), in, w[0]);
        h = sd.reshape(h.mmul(lin), -1, w[0], 1, 1).mul(sd.reshape(basis, 1, w[0], s, s));
        h = blocks(scope, "s0", h, 0);
        for (int i = 1; i < w.length; i++) {
            if (w[i] != w[i - 1]) {
                h = conv(scope, "s" + i + "/up/W", h, w[i - 1], w[i], 1, 1, 1);
            }
            h = upsample(sd, h, w[i], (long) res.start() << (i - 1));
            h = blocks(scope, "s" + i, h, i);
        }
        return conv(scope, "out/W", h, w[w.length - 1], res.channels(), 1, 1, 1);
    }

    /** D's rows are independent: no normalization layers, grouped convolutions within each sample. */
    @Override
    public boolean independentSamples() {
        return true;
    }

    @Override
    public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        int size = res.size();
        NetworkChecks.shape(NAME, x, "data batch x", -1, res.channels(), size, size);
        int[] w = layout.widths();
        int last = w.length - 1;
        SDVariable h = conv(scope, "in/W", x, res.channels(), w[last], 1, 1, 1);
        for (int i = last; i > 0; i--) {
            h = blocks(scope, "s" + i, h, i);
            h = downsample(sd, h, w[i], (long) res.start() << i);
            if (w[i - 1] != w[i]) {
                h = conv(scope, "s" + i + "/down/W", h, w[i], w[i - 1], 1, 1, 1);
            }
        }
        h = blocks(scope, "s0", h, 0);
        // the discriminative basis: a depthwise s x s convolution over the whole map, then a linear layer
        int s = res.start();
        SDVariable basis = scope.param("s0/basis", ParamKind.OTHER, msr((long) s * s, 1), w[0], s, s);
        SDVariable features = h.mul(sd.reshape(basis, 1, w[0], s, s)).sum(2, 3);
        if (labels == null) {
            SDVariable out = scope.param("s0/basis/W", ParamKind.WEIGHT, msr(w[0], 1), w[0], 1);
            return new Critique(features.mmul(out), features);
        }
        // projection (Miyato and Koyama 2018): the inner product of the output with the class embedding
        SDVariable out = scope.param("s0/basis/W", ParamKind.WEIGHT, msr(w[0], 1), w[0], w[0]);
        SDVariable e = scope.param("embed/W", ParamKind.WEIGHT, msr(classes, 1 / Math.sqrt(w[0])), classes, w[0]);
        return new Critique(features.mmul(out).mul(labels.mmul(e)).sum(true, 1), features);
    }

    /** The blocks of stage {@code i}. */
    private SDVariable blocks(NetworkScope scope, String name, SDVariable h, int i) {
        for (int b = 0; b < layout.blocks()[i]; b++) {
            h = block(scope, name + "/b" + b, h, layout.widths()[i], layout.cardinality()[i]);
        }
        return h;
    }

    /**
     * The residual block: {@code x + conv1x1(act(gconv3x3(act(conv1x1(x)))))} with {@code act} a bias followed by
     * LeakyReLU 0.2, the 3x3 convolution in {@code cardinality} groups, no normalization; the last layer starts at
     * zero.
     */
    private SDVariable block(NetworkScope scope, String name, SDVariable x, int width, int cardinality) {
        long inner = (long) width * layout.expansion();
        double gain = layout.blockGain();
        SDVariable y = conv(scope, name + "/conv1/W", x, width, inner, 1, 1, gain);
        y = conv(scope, name + "/conv2/W", act(scope, name + "/act1/b", y, inner), inner, inner, 3, cardinality, gain);
        y = conv(scope, name + "/conv3/W", act(scope, name + "/act2/b", y, inner), inner, width, 1, 1, 0);
        return x.add(y);
    }

    /** Their BiasedActivation: a bias per channel (zero at start), then LeakyReLU 0.2. */
    private static SDVariable act(NetworkScope scope, String name, SDVariable x, long channels) {
        SDVariable b = scope.param(name, ParamKind.BIAS, Initializer.zeros(), channels);
        return scope.leakyRelu(x.add(scope.sd().reshape(b, 1, channels, 1, 1)), SLOPE);
    }

    /**
     * A stride-1 "same" convolution without bias, in {@code groups} groups (a weight {@code [k, k, in/groups, out]},
     * each group's input channels to its out/groups output channels), with their MSR initialisation
     * N(0, (gain / sqrt(fan-in))^2), fan-in {@code k * k * in / groups}.
     */
    static SDVariable conv(NetworkScope scope, String name, SDVariable x, long in, long out, int kernel, int groups,
            double gain) {
        long gin = in / groups;
        long gout = out / groups;
        SDVariable w = scope.param(name, ParamKind.WEIGHT, msr(kernel * kernel * gin, gain), kernel, kernel, gin, out);
        int pad = kernel / 2;
        Conv2DConfig c = Conv2DConfig.builder().kH(kernel).kW(kernel).sH(1).sW(1).pH(pad).pW(pad)
                .paddingMode(PaddingMode.VALID).dataFormat("NCHW").build();
        SameDiff sd = scope.sd();
        if (groups == 1) {
            return sd.cnn().conv2d(x, w, c);
        }
        SDVariable[] parts = new SDVariable[groups];
        for (int g = 0; g < groups; g++) {
            SDVariable xg = sd.stridedSlice(x, new long[] {0, g * gin, 0, 0}, new long[] {0, (g + 1) * gin, 0, 0},
                    new long[] {1, 1, 1, 1}, 0b1101, 0b1101, 0, 0, 0);
            SDVariable wg = sd.stridedSlice(w, new long[] {0, 0, 0, g * gout}, new long[] {0, 0, 0, (g + 1) * gout},
                    new long[] {1, 1, 1, 1}, 0b0111, 0b0111, 0, 0, 0);
            parts[g] = sd.cnn().conv2d(xg, wg, c);
        }
        return sd.concat(1, parts);
    }

    /** N(0, (gain / sqrt(fanIn))^2), their MSRInitializer; zeros for gain 0. */
    static Initializer msr(long fanIn, double gain) {
        return gain == 0 ? Initializer.zeros() : Initializer.normal(gain / Math.sqrt(fanIn));
    }

    /** The [1, 2, 1] / 4 binomial filter in two dimensions, {@code [3, 3, channels, 1]} for a depthwise convolution. */
    static INDArray binomial3(long channels, DataType type) {
        double[] f = {1, 2, 1};
        INDArray k = Nd4j.create(DataType.DOUBLE, 3, 3, channels, 1);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (long c = 0; c < channels; c++) {
                    k.putScalar(new long[] {i, j, c, 0}, f[i] * f[j] / 16);
                }
            }
        }
        return k.castTo(type);
    }

    /**
     * Interpolative 2x upsampling of {@code [batch, c, h, h]} with R3GAN's filter (their upfirdn2d upsample2d: zeros
     * between the samples, then [1, 3, 3, 1] / 8 in each dimension times 2), computed as nearest-neighbour upsampling
     * followed by a depthwise [1, 2, 1] / 4 filter: [1, 1] convolved with [1, 2, 1] / 4 is 2 x [1, 3, 3, 1] / 8, so
     * each output is (x[m-1] + 3 x[m]) / 4 or (3 x[m] + x[m+1]) / 4 per dimension, zero beyond the border.
     */
    static SDVariable upsample(SameDiff sd, SDVariable x, long c, long h) {
        return filter(sd, Resampling.upsample2x(sd, x, c, h, h), c);
    }

    /**
     * Interpolative 2x downsampling of {@code [batch, c, h, h]} with R3GAN's filter (their upfirdn2d downsample2d:
     * padding 1, [1, 3, 3, 1] / 8 in each dimension, every second sample), computed as a depthwise [1, 2, 1] / 4
     * filter followed by 2x2 average pooling: [1, 2, 1] / 4 convolved with [1, 1] / 2 is [1, 3, 3, 1] / 8, so each
     * output is (x[2i-1] + 3 x[2i] + 3 x[2i+1] + x[2i+2]) / 8 per dimension, zero beyond the border.
     */
    static SDVariable downsample(SameDiff sd, SDVariable x, long c, long h) {
        return Resampling.avgPool2x2(sd, filter(sd, x, c), c, h, h);
    }

    /** The [1, 2, 1] / 4 filter on each channel, stride 1, zero padding 1. */
    private static SDVariable filter(SameDiff sd, SDVariable x, long c) {
        SDVariable k = sd.constant(binomial3(c, x.dataType()));
        Conv2DConfig conf = Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).pH(1).pW(1)
                .paddingMode(PaddingMode.VALID).dataFormat("NCHW").build();
        return sd.cnn().depthWiseConv2d(x, k, conf);
    }
}
