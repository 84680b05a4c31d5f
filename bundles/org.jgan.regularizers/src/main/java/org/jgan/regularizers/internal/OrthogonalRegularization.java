package org.jgan.regularizers.internal;

import java.util.List;
import org.jgan.api.GanName;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Regularizer;
import org.jgan.api.Side;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.osgi.service.component.annotations.Component;

/**
 * BigGAN's orthogonal regularization (Brock et al. 2018, eq. 3):
 * {@code R_beta(W) = beta || W^T W (.) (1 - I) ||_F^2} summed over the network's weights, with W holding one
 * filter per column. Unlike the full orthogonal penalty {@code ||W^T W - I||_F^2} it only pushes filters apart
 * and leaves their norms free; BigGAN uses beta = 1e-4 on G to make it amenable to the truncation trick. (The
 * authors' code applies the gradient {@code 2 (W W^T (.) (1 - I)) W}, which is this term's gradient with beta/2.)
 */
@Component(service = Regularizer.class)
@GanName("orthogonal")
public final class OrthogonalRegularization implements Regularizer {

    @Override
    public String description() {
        return "BigGAN orthogonal regularization beta |W^T W (.) (1 - I)|_F^2 of every weight (Brock et al. 2018)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofDouble("beta", 1e-4, 0, 1e6, "Weight beta of the term"),
                OptionSpec.ofChoice("network", "generator", List.of("generator", "discriminator"),
                        "Network whose weights are regularized (BigGAN: the generator)"));
    }

    @Override
    public Side side(Options options) {
        return options.getString("network").equals("generator") ? Side.GENERATOR : Side.DISCRIMINATOR;
    }

    @Override
    public SDVariable define(RegularizationContext context, Options options) {
        SameDiff sd = context.sd();
        SDVariable total = sd.constant(Nd4j.scalar(DataType.FLOAT, 0f));
        for (SDVariable weight : context.scope().parameters(ParamKind.WEIGHT).values()) {
            SDVariable w = Matrices.columnsAreOutputs(sd, weight);
            if (w == null) {
                continue;
            }
            long n = Matrices.cols(weight);
            SDVariable gram = sd.transpose(w).mmul(w);
            SDVariable offDiagonal = gram.mul(sd.constant(Nd4j.ones(DataType.FLOAT, n, n).sub(Nd4j.eye(n))));
            total = total.add(sd.math.square(offDiagonal).sum());
        }
        return total.mul(options.getDouble("beta"));
    }
}
