package org.jgan.engine.internal.model;

import org.jgan.api.Architecture;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Packing (Lin et al. 2018, "PacGAN: the power of two samples in generative adversarial networks", section 3): the
 * discriminator judges packs of m samples drawn from the same source, {@code D(x_1, ..., x_m)}, all data or all
 * generated, which penalizes a generator that drops modes more strongly than a D of single samples can. A pack is
 * the concatenation of m consecutive rows of a batch: along the features of vector data ({@code [n, d]} becomes
 * {@code [n/m, m d]}, as in PacGAN's code) and along the channels of images ({@code [n, C, H, W]} becomes
 * {@code [n/m, m C, H, W]}, as in its image experiments). The architecture builds its discriminator for the packed
 * shape and its generator for the data's; everything else (losses, batch statistics, sampling) is unchanged: a step
 * still draws batchSize data points and batchSize samples, which D sees as batchSize/m packs of each. Gradient
 * penalties take the pack as their sample: their point sets are packed as D's inputs are, and the penalty
 * differentiates D with respect to the whole pack ({@link #discriminatorSide}, {@link #discriminatorShape}).
 */
public final class Packing implements Networks {

    private final Networks generator;
    private final Networks discriminator;
    private final DataShape packed;
    private final int m;

    private Packing(Networks generator, Networks discriminator, DataShape packed, int m) {
        this.generator = generator;
        this.discriminator = discriminator;
        this.packed = packed;
        this.m = m;
    }

    /**
     * The networks of a run: the architecture's own with {@code m = 1}, else its generator for {@code shape} and
     * its discriminator for the packed shape.
     *
     * @throws IllegalArgumentException when m > 1 in a conditional run (a pack has no single class)
     */
    public static Networks networks(Architecture architecture, DataShape shape, int latent, int classes,
            Options options, int m) {
        Networks plain = architecture.create(shape, latent, classes, options);
        if (m == 1) {
            return plain;
        }
        if (classes > 0) {
            throw new IllegalArgumentException("setting 'packing' is " + m + " in a run conditional on " + classes
                    + " classes: a pack of samples has no one class to condition D on; expected packing=1");
        }
        DataShape packed = packed(shape, m);
        return new Packing(plain, architecture.create(packed, latent, classes, options), packed, m);
    }

    /** The shape of one pack of m samples of {@code shape}: the first dimension (features or channels) times m. */
    public static DataShape packed(DataShape shape, int m) {
        long[] dims = shape.dims();
        dims[0] *= m;
        return new DataShape(dims);
    }

    /** The networks that build the generator: the architecture's own, which may offer more (style mixing). */
    public static Networks generatorSide(Networks networks) {
        return networks instanceof Packing p ? p.generator : networks;
    }

    /** The networks whose discriminator takes the packs ({@link #discriminatorShape}) as its inputs. */
    public static Networks discriminatorSide(Networks networks) {
        return networks instanceof Packing p ? p.discriminator : networks;
    }

    /** The shape of one input of {@link #discriminatorSide}'s discriminator: a pack, or a sample without packing. */
    public static DataShape discriminatorShape(Networks networks, DataShape shape) {
        return networks instanceof Packing p ? p.packed : shape;
    }

    /** Points {@code [n, dims...]} as the packs {@code [n/m, m dims[0], ...]} that D judges (unchanged for m = 1). */
    public static SDVariable pack(Networks networks, SDVariable points) {
        return networks instanceof Packing p ? points.getSameDiff().reshape(points, p.packed.batched(-1)) : points;
    }

    /** m, the samples per pack of {@code networks} (1 for networks that do not pack). */
    public static int of(Networks networks) {
        return networks instanceof Packing p ? p.m : 1;
    }

    @Override
    public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
        return generator.generator(scope, z, labels);
    }

    /** D on packs: {@code x [n, dims...]} with n a multiple of m becomes {@code [n/m, m dims[0], ...]}. */
    @Override
    public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
        return discriminator.discriminator(scope, pack(this, x), labels);
    }

    /**
     * The packed discriminator's answer: a pack is m consecutive rows, and a stacked batch of two groups whose size
     * m divides (as every micro-batch's does) keeps each pack within its group.
     */
    @Override
    public boolean independentSamples() {
        return discriminator.independentSamples();
    }
}
