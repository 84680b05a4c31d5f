package org.jgan.regularizers.internal;

import java.util.List;
import org.jgan.api.GanName;
import org.jgan.api.InputTransform;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;
import org.osgi.service.component.annotations.Component;

/**
 * Instance noise: explicit Gaussian noise on every discriminator input, data and samples alike, in both players'
 * training graphs, the practitioners' approach Roth et al. 2017 compare their regularizer with (section 5.4; the
 * regularizer is its analytic small-noise limit with gamma = sigma^2, their section 3). With a noise-to-signal
 * ratio NSR the batch of m inputs holds m/NSR distinct points, each repeated with NSR independent noise vectors,
 * so both variants train on the same batch size; the paper compares NSR 1, 2, 4 and 8.
 */
@Component(service = InputTransform.class)
@GanName("instance-noise")
public final class InstanceNoise implements InputTransform {

    @Override
    public String description() {
        return "Instance noise x + sigma * N(0, I) on D's inputs, NSR noise draws per point (Roth et al. 2017, sec. 5.4)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofDouble("sigma", 0.1, 0, 1e3, "Standard deviation of the noise (sigma^2 matches Roth's gamma)"),
                OptionSpec.ofInt("nsr", 1, 1, 1 << 16, "Noise vectors per point (noise-to-signal ratio); divides the batch size"));
    }

    @Override
    public SDVariable apply(InputContext context, SDVariable x, boolean real, Options options) {
        int nsr = options.getInt("nsr");
        int m = context.batchSize();
        if (m % nsr != 0) {
            throw new IllegalArgumentException("input transform 'instance-noise': nsr " + nsr
                    + " does not divide the batch size " + m + "; expected a divisor of batchSize");
        }
        SDVariable points = x;
        if (nsr > 1) {
            // rows 0..m/nsr-1, each repeated nsr times in a row: [m/nsr, 1, F] times ones [1, nsr, 1], reshaped back.
            // (SameDiff's gather with int[] indices failed in the generator's backward pass: "One of Input
            // arguments was closed before call".)
            SameDiff sd = context.sd();
            SDVariable first = sd.reshape(x.get(SDIndex.interval(0, m / nsr)), m / nsr, 1, -1);
            SDVariable ones = sd.constant(Nd4j.ones(x.dataType(), 1, nsr, 1));
            points = sd.reshape(first.mul(ones), context.shape().batched(-1));
        }
        double sigma = options.getDouble("sigma");
        if (sigma == 0) {
            return points;
        }
        long[] shape = context.shape().batched(-1);
        return points.add(context.noise(real ? "real" : "fake", shape).mul(sigma));
    }
}
