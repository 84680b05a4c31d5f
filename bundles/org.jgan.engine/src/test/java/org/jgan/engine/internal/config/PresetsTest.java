package org.jgan.engine.internal.config;

import java.util.HashMap;
import java.util.Map;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.presets.internal.PresetFile;
import org.jgan.presets.internal.PresetFiles;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every shipped preset is a valid run configuration of the shipped components and trains a step. */
class PresetsTest {

    @Test
    void everyPresetParsesAndTrainsAStep() throws java.io.IOException {
        int checked = 0;
        for (PresetFile preset : PresetFiles.onClassPath()) {
            Map<String, String> raw = new HashMap<>(preset.settings());
            raw.put("batchSize", "16");
            String dataset = raw.get("dataset");
            if ("idx".equals(dataset) || "cifar10".equals(dataset)) {
                // small networks for one step; the generated images stand in where the data set is not installed
                raw.put("r3gan".equals(raw.get("architecture")) ? "architecture.widths" : "architecture.channels", "8");
                boolean cifar = "cifar10".equals(dataset);
                if (!java.nio.file.Files.isDirectory(java.nio.file.Path.of(cifar
                        ? "/usr/share/datasets/cifar-10-batches-bin" : "/usr/share/datasets/fashion-mnist"))) {
                    raw.keySet().removeIf(k -> k.startsWith("dataset."));
                    raw.put("dataset", "test-images");
                    raw.put("dataset.size", preset.settings().getOrDefault("dataset.size", cifar ? "32" : "28"));
                    raw.put("dataset.channels", cifar ? "3" : "1");
                    raw.put("dataset.classes", cifar ? "10" : "0");
                }
            }
            RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "preset");
            GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
            if (spec.isGame()) {
                Map<String, Double> d = m.discriminatorStep(0, 0);
                Map<String, Double> g = m.generatorStep(0);
                assertTrue(Double.isFinite(d.get("d_loss")) && Double.isFinite(g.get("g_loss")), preset.name());
            } else {
                // a model's preset (the VAE's): one joint update
                Map<String, Double> l = m.run(m.schedule().phases().get(0), 0, 0);
                assertTrue(Double.isFinite(l.get("loss")), preset.name() + " " + l);
            }
            checked++;
        }
        assertEquals(26, checked, "presets checked");
    }

    @Test
    void recipesCarryThePapersHyperparameters() throws java.io.IOException {
        Map<String, String> sagan = PresetFiles.named("ttur-sagan").settings();
        assertEquals("1e-4", sagan.get("lrG"));
        assertEquals("4e-4", sagan.get("lrD"));
        assertEquals("both", sagan.get("regularizer.spectral-norm.networks"));
        Map<String, String> fm = PresetFiles.named("feature-matching").settings();
        assertEquals("0", fm.get("gAdvWeight"));
        RunSpec improved = RunSpec.parse(PresetFiles.named("improved-gan").settings(), TestCatalog.create(), "improved");
        assertEquals(0.9, improved.loss().options().getDouble("realLabel"), 0);
        assertEquals(100, improved.architecture().options().getInt("minibatchKernels"));
    }

    /**
     * R3GAN's recipe (brownvc/R3GAN, train.py, its CIFAR-10 preset): RpGAN with R1 and R2, gamma 0.05 falling 10x, Adam
     * beta1 0 with lr 2e-4 -> 5e-5 and beta2 0.9 -> 0.99, the EMA half-life growing from 0, all on cosine schedules
     * over the run; noise dimension 64.
     */
    @Test
    void r3ganPresetsScheduleItsHyperparameters() throws java.io.IOException {
        for (String name : new String[] {"r3gan-fashion", "r3gan-fashion32", "r3gan-cifar10"}) {
            RunSpec spec = RunSpec.parse(PresetFiles.named(name).settings(), TestCatalog.create(), name);
            RunSettings s = spec.settings();
            long end = s.iterations();
            assertEquals("rpgan", s.loss(), name);
            assertEquals("r3gan", s.architecture(), name);
            assertEquals(64, s.latent(), name);
            assertEquals(0, s.beta1(), 0, name);
            assertEquals(2e-4, spec.value("lrG", 0), 1e-15, name);
            assertEquals(5e-5, spec.value("lrD", end), 1e-15, name);
            assertEquals(1.25e-4, spec.value("lrG", end / 2), 1e-12, name + ": cosine midpoint");
            assertEquals(0.9, spec.value("beta2", 0), 1e-15, name);
            assertEquals(0.99, spec.value("beta2", end), 1e-15, name);
            for (RunSpec.RegularizerChoice r : spec.regularizers()) {
                double gamma = r.options().getDouble("gamma");
                assertEquals(0.05, gamma * spec.value("regularizer." + r.name() + ".weight", 0), 1e-15, name);
                assertEquals(0.005, gamma * spec.value("regularizer." + r.name() + ".weight", end), 1e-15, name);
            }
            assertEquals(java.util.List.of("r1", "r2"), spec.regularizers().stream().map(RunSpec.RegularizerChoice::name)
                    .toList(), name);
            assertTrue(spec.keepsAverage(), name);
            assertEquals(0, spec.emaDecay(0), 0, name + ": the average starts as a copy of G");
            assertEquals(Math.pow(0.5, 32 / 40000.0), spec.emaDecay(end), 1e-12, name);
        }
    }

    /**
     * PacGAN's synthetic setup (its code, synthetic_data_experiments/2DRing_GAN&PacGAN/config.py and pacgan_task.py):
     * the parameter counts its code prints follow from its layers: G 2 -> 4 x 400 (no bias, batch norm's gamma and
     * beta) -> 2 with bias: 800 + 3 x 160,000 + 4 x 800 + 802 = 484,802; D three maxout layers of 200 units x 5
     * pieces (2 x 1000 + 1000, then 200 x 1000 + 1000 twice) and a linear logit (201): 405,201.
     */
    @Test
    void pacganPresetsAreItsSetup() throws java.io.IOException {
        for (String name : new String[] {"pacgan-ring8", "pacgan-grid25"}) {
            RunSpec spec = RunSpec.parse(PresetFiles.named(name).settings(), TestCatalog.create(), name);
            RunSettings s = spec.settings();
            assertEquals(100, s.batchSize());
            assertEquals(2, s.latent());
            assertEquals(1e-4, s.lrG(), 0);
            assertEquals(1e-4, s.lrD(), 0);
            assertEquals(0.8, s.beta1(), 0);
            assertEquals(400_000, s.iterations(), "400 epochs of 100,000 samples");
            assertEquals("nonsaturating", s.loss());
            try (GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()))) {
                long g = m.store().params(org.jgan.api.Side.GENERATOR).values().stream().mapToLong(a -> a.length()).sum();
                long d = m.store().params(org.jgan.api.Side.DISCRIMINATOR).values().stream()
                        .mapToLong(a -> a.length()).sum();
                assertEquals(484_802, g, name + ": G parameters");
                assertEquals(405_201, d, name + ": D parameters");
            }
        }
        Map<String, String> ring = PresetFiles.named("pacgan-ring8").settings();
        assertEquals("1", ring.get("dataset.radius"));
        assertEquals("0.01", ring.get("dataset.std"));
        assertEquals("0.05", PresetFiles.named("pacgan-grid25").settings().get("dataset.std"));
    }
}
