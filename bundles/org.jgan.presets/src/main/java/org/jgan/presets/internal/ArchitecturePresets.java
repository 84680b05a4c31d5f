package org.jgan.presets.internal;

import java.util.Map;
import org.jgan.api.GanName;
import org.jgan.api.Preset;
import org.osgi.service.component.annotations.Component;

/**
 * Recipes of the SAGAN, BigGAN and StyleGAN papers on Fashion-MNIST resized to 32x32 (64x64 for
 * {@code sagan-64}), with the papers' losses, regularizers and optimizer settings and small network widths (the
 * architectures' defaults) so that CPU training is practical.
 */
public final class ArchitecturePresets {

    private ArchitecturePresets() {
    }

    /** Common settings of the Fashion-MNIST image presets. */
    static Map<String, String> fashion(int size, boolean labels, Map<String, String> recipe) {
        Map<String, String> m = new java.util.HashMap<>(Map.of("dataset", "idx", "dataset.labels",
                Boolean.toString(labels), "dataset.size", Integer.toString(size), "iterations", "5000",
                "sampleInterval", "250", "checkpointInterval", "250"));
        m.putAll(recipe);
        return m;
    }

    /** Zhang et al. 2018 (SAGAN), section 5: hinge loss, spectral norm in G and D, TTUR 1e-4 / 4e-4, Adam 0 / 0.9. */
    static Map<String, String> sagan(String attention) {
        return Map.ofEntries(Map.entry("architecture", "sagan"), Map.entry("architecture.attention", attention),
                Map.entry("loss", "hinge"), Map.entry("regularizers", "spectral-norm"),
                Map.entry("regularizer.spectral-norm.networks", "both"), Map.entry("latent", "128"),
                Map.entry("batchSize", "32"), Map.entry("optimizer", "adam"), Map.entry("lrG", "1e-4"),
                Map.entry("lrD", "4e-4"), Map.entry("beta1", "0"), Map.entry("beta2", "0.9"),
                Map.entry("dSteps", "1"));
    }

    /** SAGAN on 32x32 Fashion-MNIST, self-attention on the 16x16 maps. */
    @Component(service = Preset.class)
    @GanName("sagan-32")
    public static final class Sagan32 extends RecipePreset {
        public Sagan32() {
            super("Zhang et al. 2018: SAGAN, 32x32 Fashion-MNIST, attention at 16x16, hinge, spectral norm G and D, "
                    + "TTUR 1e-4/4e-4", fashion(32, false, sagan("16")));
        }
    }

    /** SAGAN on 64x64 Fashion-MNIST, self-attention on the 32x32 maps (the paper's later, larger maps). */
    @Component(service = Preset.class)
    @GanName("sagan-64")
    public static final class Sagan64 extends RecipePreset {
        public Sagan64() {
            super("Zhang et al. 2018: SAGAN, 64x64 Fashion-MNIST, attention at 32x32, hinge, spectral norm G and D, "
                    + "TTUR 1e-4/4e-4", fashion(64, false, sagan("32")));
        }
    }

    /**
     * Brock et al. 2018 (BigGAN), section 3 and appendix C: class-conditional on the 10 labels, hinge loss, spectral
     * norm in G and D, orthogonal regularization of G (beta 1e-4), Adam 0 / 0.999 with G 5e-5 and D 2e-4, two D
     * steps per G step, EMA of G (decay 0.999 from G step 200, scaled down from 0.9999 / 20k for short runs);
     * latent 120 (30 per chunk at 32x32).
     */
    @Component(service = Preset.class)
    @GanName("biggan-fashion")
    public static final class BigGanFashion extends RecipePreset {
        public BigGanFashion() {
            super("Brock et al. 2018: BigGAN, class-conditional 32x32 Fashion-MNIST, hinge, spectral norm, "
                    + "orthogonal reg., EMA, G 5e-5 / D 2e-4, 2 D steps", fashion(32, true, Map.ofEntries(
                            Map.entry("architecture", "biggan"), Map.entry("loss", "hinge"),
                            Map.entry("regularizers", "spectral-norm,orthogonal"),
                            Map.entry("regularizer.spectral-norm.networks", "both"),
                            Map.entry("regularizer.orthogonal.beta", "1e-4"), Map.entry("latent", "120"),
                            Map.entry("batchSize", "32"), Map.entry("lrG", "5e-5"), Map.entry("lrD", "2e-4"),
                            Map.entry("beta1", "0"), Map.entry("beta2", "0.999"), Map.entry("dSteps", "2"),
                            Map.entry("ema", "0.999"), Map.entry("emaStart", "200"))));
        }
    }

    /**
     * Karras et al. 2018 / 2019 (StyleGAN): non-saturating loss with the R1 penalty (applied lazily every 16 D steps
     * as in StyleGAN2; gamma 0.1 for 32x32, between StyleGAN2-ADA's CIFAR-10 0.01 and FFHQ's 10), Adam 0 / 0.99,
     * style mixing 0.9, EMA of G; learning rate 2e-3 (StyleGAN2) on equalized weights.
     */
    @Component(service = Preset.class)
    @GanName("stylegan-fashion")
    public static final class StyleGanFashion extends RecipePreset {
        public StyleGanFashion() {
            super("Karras et al. 2018: StyleGAN, 32x32 Fashion-MNIST, non-saturating + lazy R1, style mixing 0.9, "
                    + "Adam 2e-3 betas 0/0.99, EMA", fashion(32, false, Map.ofEntries(
                            Map.entry("architecture", "stylegan"), Map.entry("loss", "nonsaturating"),
                            Map.entry("regularizers", "r1"), Map.entry("regularizer.r1.gamma", "0.1"),
                            Map.entry("regularizer.r1.every", "16"), Map.entry("latent", "64"),
                            Map.entry("batchSize", "32"), Map.entry("lrG", "2e-3"), Map.entry("lrD", "2e-3"),
                            Map.entry("beta1", "0"), Map.entry("beta2", "0.99"), Map.entry("ema", "0.999"),
                            Map.entry("emaStart", "200"))));
        }
    }
}
