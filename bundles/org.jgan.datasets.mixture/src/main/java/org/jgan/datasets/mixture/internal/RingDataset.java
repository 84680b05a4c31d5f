package org.jgan.datasets.mixture.internal;

import java.util.List;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.GanName;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.osgi.service.component.annotations.Component;

/**
 * Gaussians with means equally spaced on a circle, the mode-collapse benchmark of Metz et al. 2016 (unrolled GANs):
 * by default 8 modes on a circle of radius 2 with standard deviation 0.02. VEEGAN and PacGAN use radius 1 with
 * standard deviation 0.01 (the same relative width; preset {@code pacgan-ring8}).
 */
@Component(service = Dataset.class)
@GanName("ring8")
public final class RingDataset implements Dataset {

    @Override
    public String description() {
        return "2-D mixture of Gaussians on a ring (Metz et al. 2016): 8 modes, radius 2, std 0.02";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofInt("modes", 8, 1, 10_000, "Number of Gaussians"),
                OptionSpec.ofDouble("radius", 2.0, 1e-6, 1e6, "Radius of the ring"),
                OptionSpec.ofDouble("std", 0.02, 1e-9, 1e6, "Standard deviation of each Gaussian"),
                OptionSpec.ofBoolean("labels", false,
                        "Label each sample with its mode (one-hot), for conditional GANs"));
    }

    @Override
    public DataSource open(Options options) {
        int k = options.getInt("modes");
        double r = options.getDouble("radius");
        double[][] means = new double[k][];
        for (int i = 0; i < k; i++) {
            double a = 2 * Math.PI * i / k;
            means[i] = new double[] {r * Math.cos(a), r * Math.sin(a)};
        }
        return new GaussianMixture(means, options.getDouble("std"), p -> p.clone(), options.getBoolean("labels"));
    }
}
