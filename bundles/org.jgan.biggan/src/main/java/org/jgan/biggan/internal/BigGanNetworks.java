package org.jgan.biggan.internal;

import org.jgan.api.Critique;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.layers.BatchNorm;
import org.jgan.layers.NetworkChecks;
import org.jgan.layers.Resampling;
import org.jgan.layers.ResidualBlock;
import org.jgan.layers.Resolution;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** The BigGAN networks of one run (Brock et al. 2018); see {@link BigGanArchitecture} for the plan. */
final class BigGanNetworks implements Networks {

    static final String NAME = "biggan";
    static final int D_BLOCKS = 4;
    static final int D_SMALLEST = 8;

    private final Resolution res;
    private final int latent;
    private final int classes;
    private final long c;
    private final long embedding;
    private final double truncation;
    private final long chunk;

    BigGanNetworks(Resolution res, int latent, int classes, int channels, int embedding, double truncation) {
        this.res = res;
        this.latent = latent;
        this.classes = classes;
        this.c = channels;
        this.embedding = classes > 0 ? embedding : 0;
        this.truncation = truncation;
        this.chunk = latent / (res.doublings() + 1);
    }

    @Override
    public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        NetworkChecks.shape(NAME, z, "latent batch z", -1, latent);
        if (!scope.training() && Double.isFinite(truncation)) {
            z = Truncation.resample(scope, z, latent, truncation);
        }
        SDVariable shared = null;
        if (classes > 0) {
            // BigGAN's shared embedding: one matrix for every block's conditional batch norm; not a WEIGHT, so
            // neither spectral normalization nor the orthogonal penalty touches it (as in BigGAN-PyTorch)
            SDVariable e = scope.param("embedding", ParamKind.OTHER, Initializer.normal(1), classes, embedding);
            shared = labels.mmul(e);
        }
        int s = res.start();
        SDVariable w = scope.param("fc/W", ParamKind.WEIGHT, Initializer.glorotUniform(chunk, c * s * s), chunk,
                c * s * s);
        SDVariable b = scope.param("fc/b", ParamKind.BIAS, Initializer.zeros(), c * s * s);
        SDVariable h = sd.reshape(chunk(z, 0).mmul(w).add(b), -1, c, s, s);
        long condSize = embedding + chunk;
        for (int i = 1; i <= res.doublings(); i++) {
            SDVariable cond = shared == null ? chunk(z, i) : sd.concat(1, shared, chunk(z, i));
            h = up(scope, "up" + i, h, (long) s << (i - 1), cond, condSize, i != res.doublings());
        }
        h = scope.relu(BatchNorm.apply(scope, "out/bn", h, c));
        SDVariable out = ResidualBlock.conv(scope, "out", h, c, res.channels(), 3, true,
                Initializer.glorotUniform(9 * c, 9 * res.channels()));
        return sd.math.tanh(out);
    }

    /** z_i, columns {@code [i chunk, (i + 1) chunk)} of z. */
    private SDVariable chunk(SDVariable z, int i) {
        return z.get(SDIndex.all(), SDIndex.interval(i * chunk, (i + 1) * chunk));
    }

    /** BigGAN's G block: CBN -> ReLU -> up -> conv3x3 -> CBN -> ReLU -> conv3x3, plus up(conv1x1(x)). */
    private SDVariable up(NetworkScope scope, String name, SDVariable x, long size, SDVariable cond, long condSize,
            boolean outputBias) {
        SameDiff sd = scope.sd();
        SDVariable shortcut = Resampling.upsample2x(sd, ResidualBlock.conv(scope, name + "/shortcut", x, c, c, 1,
                false), c, size, size);
        SDVariable h = scope.relu(ConditionalBatchNorm.apply(scope, name + "/cbn1", x, c, cond, condSize));
        h = ResidualBlock.conv(scope, name + "/conv1", Resampling.upsample2x(sd, h, c, size, size), c, c, 3, false);
        h = scope.relu(ConditionalBatchNorm.apply(scope, name + "/cbn2", h, c, cond, condSize));
        return ResidualBlock.conv(scope, name + "/conv2", h, c, c, 3, outputBias).add(shortcut);
    }

    /** D's rows are independent: spectral normalization acts on the weights, the projection on each row's label. */
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
        SDVariable h = ResidualBlock.first(scope, "block1", x, res.channels(), c, size);
        size /= 2;
        for (int i = 2; i <= D_BLOCKS; i++) {
            if (size > D_SMALLEST) {
                h = ResidualBlock.down(scope, "block" + i, h, c, c, size, false);
                size /= 2;
            } else {
                h = ResidualBlock.plain(scope, "block" + i, h, c, false);
            }
        }
        SDVariable features = scope.relu(h).sum(2, 3);
        SDVariable w = scope.param("out/W", ParamKind.WEIGHT, Initializer.glorotUniform(c, 1), c, 1);
        SDVariable b = scope.param("out/b", ParamKind.BIAS, Initializer.zeros(), 1);
        SDVariable logits = features.mmul(w).add(b);
        if (classes > 0) {
            logits = logits.add(projection(scope, features, labels, classes, c));
        }
        return new Critique(logits, features);
    }

    /** Miyato and Koyama 2018, eq. 3: {@code <V^T y, phi(x)>} per row, {@code [batch, 1]}. */
    static SDVariable projection(NetworkScope scope, SDVariable features, SDVariable labels, long k, long f) {
        SDVariable v = scope.param("embedding", ParamKind.WEIGHT, Initializer.glorotUniform(k, f), k, f);
        return labels.mmul(v).mul(features).sum(true, 1);
    }


}
