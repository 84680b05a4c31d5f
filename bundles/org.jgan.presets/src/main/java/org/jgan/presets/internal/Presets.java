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
            super("Non-saturating GAN, MLP, 8 Gaussians on a ring; 5000 iterations (one to two minutes on 2 cores)",
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

    /** WGAN (Arjovsky et al. 2017, Algorithm 1): RMSProp 5e-5, weight clipping at 0.01, 5 critic steps. */
    @Component(service = Preset.class)
    @GanName("wgan")
    public static final class Wgan extends RecipePreset {
        public Wgan() {
            super("WGAN (Arjovsky et al. 2017): Wasserstein loss, RMSProp 5e-5, clip 0.01, 5 critic steps",
                    Map.of("loss", "wasserstein", "regularizers", "clip", "regularizer.clip.c", "0.01",
                            "optimizer", "rmsprop", "lrG", "5e-5", "lrD", "5e-5", "dSteps", "5"));
        }
    }

    /** WGAN-GP (Gulrajani et al. 2017, Algorithm 1): Adam 1e-4, betas 0 and 0.9, 5 critic steps, lambda 10. */
    @Component(service = Preset.class)
    @GanName("wgan-gp")
    public static final class WganGp extends RecipePreset {
        public WganGp() {
            super("WGAN-GP (Gulrajani et al. 2017): Adam 1e-4, betas 0/0.9, 5 critic steps, lambda 10",
                    Map.of("loss", "wasserstein", "regularizers", "wgan-gp", "regularizer.wgan-gp.lambda", "10",
                            "optimizer", "adam", "lrG", "1e-4", "lrD", "1e-4", "beta1", "0", "beta2", "0.9",
                            "dSteps", "5"));
        }
    }

    /**
     * Roth et al. 2017 (Algorithm 1, section 5.2): the JS regularizer on D with the non-saturating G loss, Adam
     * 2e-4 with beta1 0.5, gamma 2 annealed to 2 * 0.01.
     */
    @Component(service = Preset.class)
    @GanName("roth")
    public static final class Roth extends RecipePreset {
        public Roth() {
            super("Roth et al. 2017: JS regularizer gamma 2 annealed, non-saturating G, Adam 2e-4, beta1 0.5",
                    Map.of("loss", "nonsaturating", "regularizers", "roth", "regularizer.roth.gamma", "2",
                            "regularizer.roth.anneal", "true", "regularizer.roth.decay", "0.01",
                            "optimizer", "adam", "lrG", "2e-4", "lrD", "2e-4", "beta1", "0.5"));
        }
    }

    /**
     * Roth et al. 2017 section 5.1 with the regularizer: the submanifold mixture recipe plus gamma 0.1 and the
     * non-saturating generator loss of Algorithm 1.
     */
    @Component(service = Preset.class)
    @GanName("submanifold7-roth")
    public static final class SubmanifoldRoth extends RecipePreset {
        public SubmanifoldRoth() {
            super("Roth et al. 2017 sec. 5.1, regularized: the submanifold7 recipe with the JS regularizer, gamma 0.1",
                    Map.ofEntries(Map.entry("architecture", "mlp"), Map.entry("loss", "nonsaturating"),
                            Map.entry("dataset", "submanifold7"), Map.entry("latent", "2"),
                            Map.entry("batchSize", "512"), Map.entry("lrG", "1e-3"), Map.entry("lrD", "1e-3"),
                            Map.entry("beta1", "0.5"), Map.entry("architecture.activation", "tanh"),
                            Map.entry("architecture.init", "normal"), Map.entry("architecture.initStd", "0.1"),
                            Map.entry("regularizers", "roth"), Map.entry("regularizer.roth.gamma", "0.1"),
                            Map.entry("iterations", "10000"), Map.entry("sampleInterval", "1000")));
        }
    }

    /**
     * SAGAN's training recipe (Zhang et al. 2018, section 5): hinge loss, spectral normalization in both networks,
     * the two time-scale update rule (Heusel et al. 2017) with Adam 1e-4 for G and 4e-4 for D, betas 0 and 0.9,
     * one D step per G step. The architecture is the run's own (the SAGAN architecture adds self-attention).
     */
    @Component(service = Preset.class)
    @GanName("ttur-sagan")
    public static final class TturSagan extends RecipePreset {
        public TturSagan() {
            super("SAGAN/TTUR recipe: hinge loss, spectral norm on G and D, Adam G 1e-4 / D 4e-4, betas 0/0.9",
                    Map.of("loss", "hinge", "regularizers", "spectral-norm",
                            "regularizer.spectral-norm.networks", "both", "optimizer", "adam", "lrG", "1e-4",
                            "lrD", "4e-4", "beta1", "0", "beta2", "0.9", "dSteps", "1"));
        }
    }

    /**
     * Feature matching (Salimans et al. 2016, section 3.1) as the generator's whole objective: G matches the mean
     * of D's features on data; D keeps the usual cross-entropy.
     */
    @Component(service = Preset.class)
    @GanName("feature-matching")
    public static final class FeatureMatchingRecipe extends RecipePreset {
        public FeatureMatchingRecipe() {
            super("Salimans et al. 2016: feature matching as G's objective (gAdvWeight 0)",
                    Map.of("loss", "nonsaturating", "regularizers", "feature-matching", "gAdvWeight", "0"));
        }
    }

    /**
     * Salimans et al. 2016's techniques for sample quality on the MLP: minibatch discrimination (100 kernels of 5
     * dimensions) in D, virtual batch normalization in G, one-sided label smoothing at 0.9, historical averaging.
     */
    @Component(service = Preset.class)
    @GanName("improved-gan")
    public static final class ImprovedGan extends RecipePreset {
        public ImprovedGan() {
            super("Salimans et al. 2016: minibatch discrimination, virtual batch norm, label smoothing 0.9, historical averaging (MLP)",
                    Map.of("architecture", "mlp", "architecture.minibatchKernels", "100",
                            "architecture.minibatchKernelDims", "5", "architecture.gNorm", "vbn",
                            "loss", "nonsaturating", "loss.realLabel", "0.9",
                            "regularizers", "historical-averaging"));
        }
    }

    /**
     * DCGAN (Radford et al. 2015) on Fashion-MNIST (Xiao et al. 2017): Adam 2e-4 with beta1 0.5, batch 128, a
     * 100-dimensional latent, the non-saturating loss; unconditional (labels off). Needs
     * {@code apt-get install dataset-fashion-mnist}.
     */
    @Component(service = Preset.class)
    @GanName("dcgan-fashion")
    public static final class DcganFashion extends RecipePreset {
        public DcganFashion() {
            super("Radford et al. 2015: DCGAN on Fashion-MNIST, Adam 2e-4 beta1 0.5, batch 128, latent 100",
                    Map.ofEntries(Map.entry("architecture", "dcgan"), Map.entry("loss", "nonsaturating"),
                            Map.entry("dataset", "idx"), Map.entry("dataset.labels", "false"),
                            Map.entry("latent", "100"), Map.entry("batchSize", "128"), Map.entry("lrG", "2e-4"),
                            Map.entry("lrD", "2e-4"), Map.entry("beta1", "0.5"), Map.entry("iterations", "5000"),
                            Map.entry("sampleInterval", "250"), Map.entry("checkpointInterval", "250")));
        }
    }

    /**
     * Conditional DCGAN (Mirza and Osindero 2014) on Fashion-MNIST: the class label goes into both networks; sample
     * grids show one class per column.
     */
    @Component(service = Preset.class)
    @GanName("cgan-fashion")
    public static final class CganFashion extends RecipePreset {
        public CganFashion() {
            super("Mirza and Osindero 2014: class-conditional DCGAN on Fashion-MNIST (labels into G and D)",
                    Map.ofEntries(Map.entry("architecture", "dcgan"), Map.entry("loss", "nonsaturating"),
                            Map.entry("dataset", "idx"), Map.entry("dataset.labels", "true"),
                            Map.entry("latent", "100"), Map.entry("batchSize", "128"), Map.entry("lrG", "2e-4"),
                            Map.entry("lrD", "2e-4"), Map.entry("beta1", "0.5"), Map.entry("iterations", "5000"),
                            Map.entry("sampleInterval", "250"), Map.entry("checkpointInterval", "250")));
        }
    }

    /**
     * InfoGAN (Chen et al. 2016, MNIST setting): a 10-way categorical code and 2 continuous codes beside 62 noise
     * dimensions (latent 74), lambda 1, on the DCGAN networks with Fashion-MNIST; D learns at 2e-4, G at 1e-3.
     */
    @Component(service = Preset.class)
    @GanName("infogan-fashion")
    public static final class InfoGanFashion extends RecipePreset {
        public InfoGanFashion() {
            super("Chen et al. 2016: InfoGAN, 10-way + 2 continuous codes, latent 74, on DCGAN / Fashion-MNIST",
                    Map.ofEntries(Map.entry("architecture", "dcgan"), Map.entry("loss", "nonsaturating"),
                            Map.entry("dataset", "idx"), Map.entry("dataset.labels", "false"),
                            Map.entry("regularizers", "infogan"), Map.entry("regularizer.infogan.categorical", "10"),
                            Map.entry("regularizer.infogan.continuous", "2"), Map.entry("latent", "74"),
                            Map.entry("batchSize", "64"), Map.entry("lrG", "1e-3"), Map.entry("lrD", "2e-4"),
                            Map.entry("beta1", "0.5"), Map.entry("iterations", "5000"),
                            Map.entry("sampleInterval", "250"), Map.entry("checkpointInterval", "250")));
        }
    }

    /**
     * WGAN-GP with the ResNet of Gulrajani et al. 2017: Wasserstein loss, gradient penalty lambda 10, Adam 1e-4
     * with betas 0 / 0.9, 5 critic steps, batch 64; Fashion-MNIST padded to 32x32.
     */
    @Component(service = Preset.class)
    @GanName("wgan-gp-resnet")
    public static final class WganGpResnet extends RecipePreset {
        public WganGpResnet() {
            super("Gulrajani et al. 2017: WGAN-GP with the ResNet, Adam 1e-4 betas 0/0.9, 5 critic steps, 32x32",
                    Map.ofEntries(Map.entry("architecture", "resnet"), Map.entry("loss", "wasserstein"),
                            Map.entry("regularizers", "wgan-gp"), Map.entry("dataset", "idx"),
                            Map.entry("dataset.labels", "false"), Map.entry("dataset.size", "32"),
                            Map.entry("latent", "128"), Map.entry("batchSize", "64"), Map.entry("lrG", "1e-4"),
                            Map.entry("lrD", "1e-4"), Map.entry("beta1", "0"), Map.entry("beta2", "0.9"),
                            Map.entry("dSteps", "5"), Map.entry("iterations", "5000"),
                            Map.entry("sampleInterval", "250"), Map.entry("checkpointInterval", "250")));
        }
    }
}
