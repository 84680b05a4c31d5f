package org.jgan.datasets.mixture.internal;

import java.util.List;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.GanName;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.osgi.service.component.annotations.Component;

/**
 * Gaussians on a square grid, the benchmark of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018): by
 * default 5 x 5 modes at coordinates {-4, -2, 0, 2, 4} with standard deviation 0.05.
 */
@Component(service = Dataset.class)
@GanName("grid25")
public final class GridDataset implements Dataset {

    @Override
    public String description() {
        return "2-D mixture of Gaussians on a grid (VEEGAN, PacGAN): 5 x 5 modes, spacing 2, std 0.05";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofInt("side", 5, 1, 1000, "Modes per side of the grid"),
                OptionSpec.ofDouble("spacing", 2.0, 1e-6, 1e6, "Distance between neighbouring modes"),
                OptionSpec.ofDouble("std", 0.05, 1e-9, 1e6, "Standard deviation of each Gaussian"),
                OptionSpec.ofBoolean("labels", false,
                        "Label each sample with its mode (one-hot), for conditional GANs"));
    }

    @Override
    public DataSource open(Options options) {
        int side = options.getInt("side");
        double spacing = options.getDouble("spacing");
        double center = (side - 1) / 2.0;
        double[][] means = new double[side * side][];
        for (int i = 0; i < side; i++) {
            for (int j = 0; j < side; j++) {
                means[i * side + j] = new double[] {(i - center) * spacing, (j - center) * spacing};
            }
        }
        return new GaussianMixture(means, options.getDouble("std"), p -> p.clone(), options.getBoolean("labels"));
    }
}
