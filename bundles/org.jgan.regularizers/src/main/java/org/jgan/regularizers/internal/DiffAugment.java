package org.jgan.regularizers.internal;

import java.util.ArrayList;
import java.util.List;
import org.jgan.api.GanName;
import org.jgan.api.Initializer;
import org.jgan.api.InputTransform;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.osgi.service.component.annotations.Component;

/**
 * Differentiable augmentation (Zhao et al. 2020, "Differentiable augmentation for data-efficient GAN training",
 * section 3 and its code's {@code DiffAugment}): the same random transformations of every image that enters the
 * discriminator, data and generated samples alike, each a differentiable function of the image, so that G is
 * trained through them. Per image, with fresh draws every step:
 * <pre>
 *   color:        x + (u1 - 1/2);  then (x - mean_C x) 2 u2 + mean_C x;  then (x - mean_CHW x)(u3 + 1/2) + mean_CHW x
 *   translation:  x(i + t_y, j + t_x), zero outside the image; t integers uniform in [-s, s], s = round(ratio_t H)
 *   cutout:       x times a mask that is 0 on a square of side round(ratio_c H) at a uniform position (clipped at
 *                 the border), 1 elsewhere
 * </pre>
 * (u uniform in [0, 1); ratios 1/8 and 1/2 as in the authors' code). The translation is two products with one-hot shift
 * matrices, {@code T_y x T_x^T}, and the cutout a product with a mask, so the gradient with respect to x is exact and
 * reaches G. Images only ({@code [C, H, W]}).
 * <p>
 * With {@code probability} p below 1, each transformation is applied to each image with probability p (a fresh
 * draw per image, transformation and step; the others pass unchanged), as the augmentations of ADA (Karras et al.
 * 2020, "Training generative adversarial networks with limited data", section 2.2). With {@code adaptive}, p is the
 * discriminator's buffer {@value #ADA_P}, starting at 0, which the term {@code ada} ({@link AdaTuning}) moves after
 * each D step from the sign of D's outputs on real data (ADA's section 3).
 */
@Component(service = InputTransform.class)
@GanName("diffaugment")
public final class DiffAugment implements InputTransform {

    private static final List<String> POLICIES = List.of("color", "translation", "cutout");
    /** The discriminator's buffer holding ADA's probability p. */
    static final String ADA_P = "ada/p";

    @Override
    public String description() {
        return "Differentiable augmentation of D's inputs: color, translation, cutout (Zhao et al. 2020)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofString("policy", "color,translation,cutout", "Comma-separated transformations in "
                        + "order: color, translation, cutout (the paper's full policy)"),
                OptionSpec.ofDouble("translation", 0.125, 0, 1, "Largest shift as a fraction of the image size"),
                OptionSpec.ofDouble("cutout", 0.5, 0, 1, "Side of the cut-out square as a fraction of the image "
                        + "size"),
                OptionSpec.ofDouble("probability", 1, 0, 1, "Probability p that each transformation is applied to "
                        + "an image (1: DiffAugment, every image; below 1: ADA's per-image augmentation)"),
                OptionSpec.ofBoolean("adaptive", false, "ADA: p is tuned during training from the sign of D's "
                        + "outputs on real data (starting at 0, probability ignored); needs the regularizer ada"));
    }

    /** The transformations of a policy, in order; one clear line for an unknown one. */
    static List<String> policy(Options options) {
        List<String> out = new ArrayList<>();
        for (String p : options.getString("policy").split(",")) {
            String name = p.trim();
            if (name.isEmpty()) {
                continue;
            }
            if (!POLICIES.contains(name)) {
                throw new IllegalArgumentException("input transform 'diffaugment': option 'policy' names '" + name
                        + "'; expected a comma-separated list of " + String.join(", ", POLICIES));
            }
            out.add(name);
        }
        return out;
    }

    @Override
    public SDVariable apply(InputContext context, SDVariable x, boolean real, Options options) {
        if (!context.shape().isImage()) {
            throw new IllegalArgumentException("input transform 'diffaugment' augments images [C, H, W]; the run's "
                    + "data has shape " + context.shape() + "; expected an image dataset");
        }
        long[] dims = context.shape().dims();
        String side = real ? "real" : "fake";
        boolean adaptive = options.getBoolean("adaptive");
        double probability = options.getDouble("probability");
        SDVariable p = adaptive ? context.buffer(ADA_P, Initializer.zeros(), 1) : null;
        SDVariable out = x;
        for (String policy : policy(options)) {
            SDVariable augmented = switch (policy) {
                case "color" -> color(out, context.uniform(side + "_color", -1, 3));
                case "translation" -> translate(context.sd(), out, dims,
                        context.uniform(side + "_translation", -1, 2), options.getDouble("translation"));
                default -> cutout(context.sd(), out, dims, context.uniform(side + "_cutout", -1, 2),
                        options.getDouble("cutout"));
            };
            if (!adaptive && probability == 1) {
                out = augmented;
            } else {
                SDVariable draw = context.uniform(side + "_" + policy + "_apply", -1, 1, 1, 1);
                out = gate(out, augmented, adaptive ? draw.lt(context.sd().reshape(p, 1, 1, 1, 1))
                        : draw.lt(probability));
            }
        }
        return out;
    }

    /**
     * {@code x + m (augmented - x)} with the per-image 0/1 mask {@code m = [u < p]} (a comparison: no gradient
     * through it); the gradient reaches x through both the augmented and the unchanged images.
     */
    static SDVariable gate(SDVariable x, SDVariable augmented, SDVariable applied) {
        SDVariable m = applied.castTo(x.dataType());
        return x.add(augmented.sub(x).mul(m));
    }

    /** Brightness, saturation and contrast with the draws {@code u [n, 3]}. */
    static SDVariable color(SDVariable x, SDVariable u) {
        SameDiff sd = x.getSameDiff();
        SDVariable brightness = sd.reshape(u.get(SDIndex.all(),
                SDIndex.point(0)), -1, 1, 1, 1).sub(0.5);
        SDVariable saturation = sd.reshape(u.get(SDIndex.all(),
                SDIndex.point(1)), -1, 1, 1, 1).mul(2);
        SDVariable contrast = sd.reshape(u.get(SDIndex.all(),
                SDIndex.point(2)), -1, 1, 1, 1).add(0.5);
        SDVariable y = x.add(brightness);
        SDVariable channelMean = y.mean(true, 1);
        y = y.sub(channelMean).mul(saturation).add(channelMean);
        SDVariable imageMean = y.mean(true, 1, 2, 3);
        return y.sub(imageMean).mul(contrast).add(imageMean);
    }

    /** Integer shifts {@code floor(u (2s + 1)) - s} along H (column 0 of u) and W (column 1); zeros come in. */
    static SDVariable translate(SameDiff sd, SDVariable x, long[] dims, SDVariable u, double ratio) {
        long h = dims[1];
        long w = dims[2];
        long sh = Math.round(h * ratio);
        long sw = Math.round(w * ratio);
        SDVariable ty = shifts(sd, u, 0, sh);
        SDVariable tx = shifts(sd, u, 1, sw);
        // rows: out(i) = x(i + t): T[i, k] = [k = i + t]; columns: out(j) = x(j + t): (x T^T)[j] with T[j, l]
        SDVariable rows = oneHot(sd, ty, h, false);
        SDVariable cols = oneHot(sd, tx, w, true);
        // [n, 1, H, H] and [n, 1, W, W] broadcast over the channels by adding zeros of [1, C, 1, 1]
        SDVariable channels = sd.constant(Nd4j.zeros(DataType.FLOAT, 1, dims[0], 1, 1));
        SDVariable left = sd.reshape(rows, -1, 1, h, h).add(channels);
        SDVariable right = sd.reshape(cols, -1, 1, w, w).add(channels);
        return sd.mmul(sd.mmul(left, x), right);
    }

    /** The cut-out square of side {@code round(ratio H)} centred at offsets drawn as in the authors' code. */
    static SDVariable cutout(SameDiff sd, SDVariable x, long[] dims, SDVariable u, double ratio) {
        long h = dims[1];
        long w = dims[2];
        long ch = Math.round(h * ratio);
        long cw = Math.round(w * ratio);
        // offsets uniform in [0, H + (1 - c mod 2)), the square from offset - c/2 to offset - c/2 + c - 1
        SDVariable oy = sd.math.floor(column(sd, u, 0).mul(h + (1 - ch % 2))).sub(ch / 2);
        SDVariable ox = sd.math.floor(column(sd, u, 1).mul(w + (1 - cw % 2))).sub(cw / 2);
        SDVariable rowIn = inRange(sd, sd.constant(Nd4j.arange(0, h).castTo(DataType.FLOAT).reshape(1, h, 1)), oy,
                ch);
        SDVariable colIn = inRange(sd, sd.constant(Nd4j.arange(0, w).castTo(DataType.FLOAT).reshape(1, 1, w)), ox,
                cw);
        SDVariable mask = sd.reshape(rowIn.mul(colIn).rsub(1), -1, 1, h, w);
        return x.mul(mask);
    }

    private static SDVariable column(SameDiff sd, SDVariable u, int c) {
        return sd.reshape(u.get(SDIndex.all(), SDIndex.point(c)),
                -1, 1, 1);
    }

    private static SDVariable shifts(SameDiff sd, SDVariable u, int c, long s) {
        return sd.math.floor(column(sd, u, c).mul(2 * s + 1)).sub(s);
    }

    /** [index in from .. from + size - 1] as 0/1, for indices {@code [1, H, 1]} or {@code [1, 1, W]}. */
    private static SDVariable inRange(SameDiff sd, SDVariable index, SDVariable from, long size) {
        SDVariable above = index.gte(from).castTo(DataType.FLOAT);
        SDVariable below = index.lt(from.add(size)).castTo(DataType.FLOAT);
        return above.mul(below);
    }

    /**
     * One-hot shift matrices {@code [n, N, N]}: entry [i, k] is 1 where k = i + t (transposed: [k, i]), so that
     * rows come from t further on and the rows shifted in from outside the image are zero.
     */
    private static SDVariable oneHot(SameDiff sd, SDVariable t, long n, boolean transposed) {
        SDVariable i = sd.constant(Nd4j.arange(0, n).castTo(DataType.FLOAT).reshape(1, n, 1));
        SDVariable k = sd.constant(Nd4j.arange(0, n).castTo(DataType.FLOAT).reshape(1, 1, n));
        SDVariable target = transposed ? i.sub(k).sub(t) : k.sub(i).sub(t);
        return sd.math.abs(target).lt(0.5).castTo(DataType.FLOAT);
    }
}
