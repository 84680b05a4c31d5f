package org.jgan.regularizers.internal;

import java.util.List;
import org.jgan.api.GanName;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.Reparametrization;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.osgi.service.component.annotations.Component;

/**
 * Spectral normalization (Miyato et al. 2018, Algorithm 1): every weight W of the network is used as
 * {@code W / sigma(W)}, sigma the largest singular value estimated by power iteration with a persistent vector:
 * <pre>
 *   v = W^T u / |W^T u|,   u = W v / |W v|,   sigma = u^T W v,   W_SN = W / sigma
 * </pre>
 * u is a state buffer (saved in checkpoints) updated once per training step of the network's player; u and v are
 * constants for differentiation (stop-gradient), so the gradient through sigma is {@code u v^T}, as in the
 * authors' implementation. SAGAN (Zhang et al. 2018) applies it to both networks. Convolution kernels are viewed
 * as matrices with one column per filter.
 */
@Component(service = Reparametrization.class)
@GanName("spectral-norm")
public final class SpectralNormalization implements Reparametrization {

    /** Power iterations on the initial weight that initialise u. */
    static final int INITIAL_ITERATIONS = 200;

    @Override
    public String description() {
        return "Spectral normalization W / sigma(W) by power iteration (Miyato et al. 2018); on D, G or both";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofChoice("networks", "discriminator", List.of("discriminator", "generator", "both"),
                        "Networks whose weights are normalized (SAGAN: both)"),
                OptionSpec.ofInt("powerIterations", 1, 1, 100, "Power iterations per training step"));
    }

    @Override
    public Side side(Options options) {
        return options.getString("networks").equals("generator") ? Side.GENERATOR : Side.DISCRIMINATOR;
    }

    @Override
    public boolean appliesTo(Side network, Options options) {
        String n = options.getString("networks");
        return n.equals("both") || side(options) == network;
    }

    @Override
    public SDVariable apply(NetworkScope scope, String name, SDVariable weight, Options options) {
        SameDiff sd = scope.sd();
        SDVariable w = Matrices.columnsAreOutputs(sd, weight);
        if (w == null) {
            return weight;
        }
        // u is a row vector over the matrix's rows: v = normalize(u W), u = normalize(v W^T)
        SDVariable u = scope.buffer(name + "/sn_u", converged(weight.getArr()), 1, Matrices.rows(weight));
        SDVariable v = null;
        SDVariable next = u;
        for (int i = 0; i < options.getInt("powerIterations"); i++) {
            v = normalize(sd, next.mmul(w));
            next = normalize(sd, v.mmul(sd.transpose(w)));
        }
        SDVariable uFixed = new StopGradient(sd, next).outputVariable();
        SDVariable vFixed = new StopGradient(sd, v).outputVariable();
        scope.updateBuffer(u, uFixed);
        SDVariable sigma = uFixed.mmul(w).mul(vFixed).sum();
        // times 1/sigma, not weight.div(sigma): ND4J 1.0.0-M2.1 gets the gradient of a division by a rank-0
        // variable wrong (the term through sigma; 0.7 to 12 relative error on small checks), so every spectrally
        // normalized weight trained with a wrong gradient (SpectralNormalizationTest checks it against finite
        // differences)
        return weight.mul(sigma.rdiv(1.0));
    }

    private static SDVariable normalize(SameDiff sd, SDVariable x) {
        return x.mul(sd.math.rsqrt(sd.math.square(x).sum().add(1e-24)));
    }

    /**
     * The initial u: a random unit vector refined by {@link #INITIAL_ITERATIONS} power iterations on the initial
     * weight when its value is known (as PyTorch's spectral_norm does with 15 at construction), so the estimate
     * starts converged instead of needing the first hundreds of training steps.
     */
    private static Initializer converged(INDArray initialWeight) {
        return (shape, rng) -> {
            INDArray u = Initializer.normal(1.0).create(shape, rng).castTo(DataType.DOUBLE);
            if (initialWeight == null) {
                return u;
            }
            INDArray w = initialWeight.castTo(DataType.DOUBLE).reshape(shape[1], -1);
            for (int i = 0; i < INITIAL_ITERATIONS; i++) {
                INDArray v = u.mmul(w);
                v.divi(v.norm2Number().doubleValue() + 1e-30);
                u = v.mmul(w.transpose());
                u.divi(u.norm2Number().doubleValue() + 1e-30);
            }
            return u;
        };
    }
}
