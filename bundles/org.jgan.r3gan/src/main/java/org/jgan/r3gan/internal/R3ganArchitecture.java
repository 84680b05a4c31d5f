package org.jgan.r3gan.internal;

import java.util.Arrays;
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
 * The normalization-free networks of R3GAN (Huang et al. 2024, "The GAN is dead; long live the GAN! A Modern GAN
 * Baseline", section 3 and its code brownvc/R3GAN, R3GAN/Networks.py), for {@code [C, 28, 28]}, {@code [C, 32, 32]}
 * and {@code [C, 64, 64]} images, built in stages from the smallest map s x s (4, or 7 for 28x28) to the image:
 * <ul>
 * <li>Residual block (ResNeXt, Xie et al. 2017): {@code x + conv1x1(act(gconv3x3(act(conv1x1(x)))))}, the inner width
 * {@code expansion} times the stage's, the 3x3 convolution in {@code cardinality} groups, {@code act} a bias then
 * LeakyReLU 0.2, no normalization layers. Weights N(0, (gain/sqrt(fan-in))^2) ("MSR"), the first two layers with the
 * gain {@code sqrt(2/(1+0.2^2)) * L^(-1/4)} for L blocks in the network, the last at zero (fix-up initialisation).</li>
 * <li>G: z (the class embedding appended in conditional runs) -> linear to W0 per-channel scales of a learned
 * {@code [W0, s, s]} basis -> the blocks of stage 0; each further stage: 1x1 convolution where the width changes,
 * interpolative 2x upsampling with the [1, 3, 3, 1] binomial filter ([1, 2, 1] convolved with [1, 1]), its blocks;
 * finally a 1x1 convolution to the image channels. No output nonlinearity (as R3GAN: the samples are not bounded).</li>
 * <li>D mirrors G: 1x1 convolution from the image, per stage its blocks then 2x filtered downsampling and a 1x1
 * convolution where the width changes; the last stage's blocks, a learned depthwise s x s basis over the whole map
 * (the features, {@code [batch, W0]}) and a linear logit. Conditional runs: a projection (the inner product of a
 * W0-dimensional output with the class embedding).</li>
 * </ul>
 * R3GAN's own 28x28 resolution is not in the paper; 28x28 starts from a 7x7 basis. The paper's CIFAR-10 network has
 * width 768, cardinality 96 and 2 blocks at each of its 4 stages (the options' defaults are a CPU-sized model). Layer
 * table and parameter counts: docs/architectures.md.
 */
@Component(service = Architecture.class)
@GanName(R3ganNetworks.NAME)
public final class R3ganArchitecture implements Architecture {

    static final List<OptionSpec> OPTIONS = List.of(
            OptionSpec.ofString("widths", "64", "Channels W of each stage from the smallest map to the image, comma-"
                    + "separated, or one value for every stage (R3GAN CIFAR-10: 768)"),
            OptionSpec.ofString("cardinality", "4", "Groups of each stage's 3x3 convolutions, per stage or one value; "
                    + "must divide expansion x W (R3GAN CIFAR-10: 96)"),
            OptionSpec.ofString("blocks", "1", "Residual blocks of each stage, per stage or one value (R3GAN: 2)"),
            OptionSpec.ofInt("expansion", 2, 1, 16, "Inner width of a block as a multiple of its stage's (R3GAN: 2)"));

    @Override
    public String description() {
        return "R3GAN G and D: normalization-free ResNeXt blocks, [1,2,1]-filtered resampling, learned bases "
                + "(Huang et al. 2024)";
    }

    @Override
    public List<OptionSpec> options() {
        return OPTIONS;
    }

    @Override
    public Networks create(DataShape shape, int latent, int classes, Options options) {
        Resolution res = Resolution.of(R3ganNetworks.NAME, shape);
        int stages = res.doublings() + 1;
        int[] widths = perStage("widths", options.getString("widths"), stages);
        int[] cardinality = perStage("cardinality", options.getString("cardinality"), stages);
        int[] blocks = perStage("blocks", options.getString("blocks"), stages);
        int expansion = options.getInt("expansion");
        for (int i = 0; i < stages; i++) {
            if (widths[i] < 1 || cardinality[i] < 1 || blocks[i] < 0) {
                throw new IllegalArgumentException("architecture '" + R3ganNetworks.NAME + "': stage " + i
                        + " has widths " + widths[i] + ", cardinality " + cardinality[i] + ", blocks " + blocks[i]
                        + "; expected widths and cardinality >= 1, blocks >= 0");
            }
            if ((long) widths[i] * expansion % cardinality[i] != 0) {
                throw new IllegalArgumentException("architecture '" + R3ganNetworks.NAME + "': cardinality "
                        + cardinality[i] + " of stage " + i + " does not divide its inner width " + expansion + " x "
                        + widths[i] + "; expected a divisor (groups of equal size)");
            }
        }
        if (Arrays.stream(blocks).sum() == 0) {
            throw new IllegalArgumentException("architecture '" + R3ganNetworks.NAME + "': blocks are all 0; "
                    + "expected at least one residual block");
        }
        return new R3ganNetworks(res, latent, classes, new R3ganNetworks.Layout(widths, cardinality, blocks,
                expansion));
    }

    /** A per-stage list option: one value for every stage, or exactly one value per stage. */
    static int[] perStage(String name, String given, int stages) {
        String text = given.trim();
        String[] parts = text.split("\\s*,\\s*");
        if (parts.length != 1 && parts.length != stages) {
            throw new IllegalArgumentException("architecture '" + R3ganNetworks.NAME + "': option '" + name + "' is '"
                    + text + "' with " + parts.length + " values; expected one value or " + stages
                    + " (one per stage, from the smallest map to the image)");
        }
        int[] out = new int[stages];
        for (int i = 0; i < stages; i++) {
            try {
                out[i] = Integer.parseInt(parts[parts.length == 1 ? 0 : i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("architecture '" + R3ganNetworks.NAME + "': option '" + name
                        + "' is '" + text + "'; expected whole numbers separated by commas");
            }
        }
        return out;
    }
}
