package org.jgan.presets.internal;

import java.util.Map;
import org.jgan.api.GanName;
import org.jgan.api.Preset;
import org.osgi.service.component.annotations.Component;

/** The presets of the first plug-ins: mixture-of-Gaussians recipes. */
public final class Presets {

    private Presets() {
    }

    /** The main job: a short non-saturating GAN on the 8-Gaussian ring, a few minutes on 2 cores. */
    @Component(service = Preset.class)
    @GanName("default")
    public static final class Default extends RecipePreset {
        public Default() {
            super("Non-saturating GAN, MLP, 8 Gaussians on a ring; 5000 iterations (about a minute on 2 cores)",
                    Map.of("architecture", "mlp", "loss", "nonsaturating", "dataset", "ring8", "latent", "16",
                            "batchSize", "256", "lrG", "1e-3", "lrD", "1e-3", "iterations", "5000",
                            "sampleInterval", "1000", "checkpointInterval", "1000"));
        }
    }

    /** 25 Gaussians on a grid, the harder mode-coverage benchmark. */
    @Component(service = Preset.class)
    @GanName("grid25")
    public static final class Grid extends RecipePreset {
        public Grid() {
            super("Non-saturating GAN, MLP, 25 Gaussians on a grid; 5000 iterations",
                    Map.of("architecture", "mlp", "loss", "nonsaturating", "dataset", "grid25", "latent", "16",
                            "batchSize", "256", "lrG", "1e-3", "lrD", "1e-3", "iterations", "5000",
                            "architecture.hidden", "256", "sampleInterval", "1000"));
        }
    }

    /**
     * The unregularized baseline of Roth et al. 2017, section 5.1 and appendix 7.3: 2-D latent, tanh MLPs with
     * two hidden layers of 128 units, N(0, 0.1^2) weights, Adam 1e-3 with beta1 0.5, batch 512, minimax generator
     * loss as in the authors' default.
     */
    @Component(service = Preset.class)
    @GanName("submanifold7")
    public static final class Submanifold extends RecipePreset {
        public Submanifold() {
            super("Roth et al. 2017 sec. 5.1: 7 Gaussians on a 2-D submanifold of 3-D, tanh MLP, z in R^2, batch 512",
                    Map.ofEntries(Map.entry("architecture", "mlp"), Map.entry("loss", "minimax"),
                            Map.entry("dataset", "submanifold7"), Map.entry("latent", "2"),
                            Map.entry("batchSize", "512"), Map.entry("lrG", "1e-3"), Map.entry("lrD", "1e-3"),
                            Map.entry("beta1", "0.5"), Map.entry("architecture.activation", "tanh"),
                            Map.entry("architecture.init", "normal"), Map.entry("architecture.initStd", "0.1"),
                            Map.entry("iterations", "10000"), Map.entry("sampleInterval", "1000")));
        }
    }
}
