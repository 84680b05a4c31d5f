package org.jgan.datasets.mixture.internal;

import java.util.List;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.GanName;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.osgi.service.component.annotations.Component;

/**
 * The 2-D submanifold mixture of Roth et al. 2017, appendix 7.3: seven Gaussians (std 0.01) with means equally
 * spaced on the unit circle, {@code (r sin t, r cos t)} for {@code t = 2 pi i / 7}, embedded in 3-D as
 * {@code (x, y, 0)}, rotated by pi/4 about the axis (1, -1, 0)/sqrt(2) and translated by (1, 1, 1)/sqrt(3).
 * (The seed text lost these numbers; they are those of the authors' published experiment code.) The distribution
 * has no density in 3-D: it is the dimensional-misspecification case the regularizer addresses.
 *
 * <p>Rotation: points are row vectors multiplied on the right by the Rodrigues matrix
 * {@code R = I + sin(a) K + (1 - cos(a)) K^2}, {@code K} the cross-product matrix of the unit axis.
 */
@Component(service = Dataset.class)
@GanName("submanifold7")
public final class SubmanifoldDataset implements Dataset {

    @Override
    public String description() {
        return "7 Gaussians on a tilted 2-D circle in 3-D space (Roth et al. 2017, app. 7.3)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofInt("modes", 7, 1, 10_000, "Number of Gaussians"),
                OptionSpec.ofDouble("radius", 1.0, 1e-6, 1e6, "Radius of the circle"),
                OptionSpec.ofDouble("std", 0.01, 1e-9, 1e6, "Standard deviation of each Gaussian (in the plane)"),
                OptionSpec.ofDouble("angle", Math.PI / 4, -2 * Math.PI, 2 * Math.PI,
                        "Rotation angle (radians) about the axis (1, -1, 0)/sqrt(2)"),
                OptionSpec.ofBoolean("labels", false,
                        "Label each sample with its mode (one-hot), for conditional GANs"));
    }

    @Override
    public DataSource open(Options options) {
        int k = options.getInt("modes");
        double r = options.getDouble("radius");
        double[][] means = new double[k][];
        for (int i = 0; i < k; i++) {
            double t = 2 * Math.PI * i / k;
            means[i] = new double[] {r * Math.sin(t), r * Math.cos(t)};
        }
        double[][] rot = rodrigues(new double[] {1 / Math.sqrt(2), -1 / Math.sqrt(2), 0}, options.getDouble("angle"));
        double shift = 1 / Math.sqrt(3);
        return new GaussianMixture(means, options.getDouble("std"), p -> {
            double[] v = {p[0], p[1], 0};
            double[] out = new double[3];
            for (int j = 0; j < 3; j++) {
                out[j] = v[0] * rot[0][j] + v[1] * rot[1][j] + v[2] * rot[2][j] + shift;
            }
            return out;
        }, options.getBoolean("labels"));
    }

    /** Rotation matrix by {@code angle} about the unit {@code axis}. */
    static double[][] rodrigues(double[] axis, double angle) {
        double[][] k = {
            {0, -axis[2], axis[1]},
            {axis[2], 0, -axis[0]},
            {-axis[1], axis[0], 0}};
        double[][] r = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double kk = 0;
                for (int m = 0; m < 3; m++) {
                    kk += k[i][m] * k[m][j];
                }
                r[i][j] = (i == j ? 1 : 0) + Math.sin(angle) * k[i][j] + (1 - Math.cos(angle)) * kk;
            }
        }
        return r;
    }
}
