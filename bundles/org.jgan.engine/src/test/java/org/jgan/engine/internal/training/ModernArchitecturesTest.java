package org.jgan.engine.internal.training;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.Preset;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.presets.internal.PresetFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SAGAN, BigGAN and StyleGAN at 32x32 and 64x64 train through the engine with their presets' loss, regularizers
 * and optimizer settings (spectral norm, orthogonal regularization, EMA, lazy R1, style mixing, gradient
 * accumulation) on small test images, and sample [batch, C, H, W] in [-1, 1], reproducibly.
 */
class ModernArchitecturesTest {

    static Preset preset(String name) {
        try {
            return PresetFiles.named(name);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0} at {1}x{1} {2}")
    @CsvSource({
        "sagan-32,         32, ''",
        "sagan-64,         64, ''",
        "biggan-fashion,   32, 'accumulate=2'",
        "biggan-fashion,   64, ''",
        "stylegan-fashion, 32, ''",
        "stylegan-fashion, 64, 'architecture.modulation=demodulation'",
        "stylegan-fashion, 32, 'accumulate=2'"})
    void trainsWithItsPresetAndSamplesImagesInRange(String presetName, int size, String extra) {
        Map<String, String> raw = new HashMap<>(preset(presetName).settings());
        raw.keySet().removeIf(k -> k.startsWith("dataset."));
        boolean conditional = presetName.startsWith("biggan");
        raw.putAll(Map.of("dataset", "test-images", "dataset.size", Integer.toString(size), "dataset.channels", "1",
                "dataset.classes", conditional ? "4" : "0", "architecture.channels", "8", "batchSize", "4",
                "metrics", "none", "emaStart", "0"));
        if (!extra.isEmpty()) {
            String[] kv = extra.split("=");
            raw.put(kv[0], kv[1]);
        }
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "modern");
        GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        Map<String, INDArray> before = m.checkpoint(0).arrays();
        int dSteps = spec.settings().dSteps();
        for (int it = 0; it < 1; it++) {
            for (int k = 0; k < dSteps; k++) {
                Map<String, Double> d = m.discriminatorStep(it, k);
                assertTrue(Double.isFinite(d.get("d_loss")), d.toString());
            }
            Map<String, Double> g = m.generatorStep(it);
            assertTrue(Double.isFinite(g.get("g_loss")), g.toString());
            if (presetName.startsWith("biggan")) {
                assertTrue(g.get("g_orthogonal") > 0, "orthogonal regularization is part of G's loss: " + g);
            }
        }
        Map<String, INDArray> after = m.checkpoint(1).arrays();
        // under the hinge loss D's output bias has the gradient P(D(fake) > -1) - P(D(x) < 1), exactly 0 while
        // every logit lies inside the margins, as it does at the start; SAGAN's attention output is gamma o + x with
        // gamma starting at 0, so f, g, h and v get exactly zero gradients in the first step (SaganNetworksTest checks
        // them with gamma != 0); gamma itself must move
        ParameterMovement.assertMoved(m, 1, before, after,
                name -> name.equals("param/d/out/b") && "hinge".equals(raw.get("loss"))
                        || name.contains("/attention/") && !name.endsWith("/gamma"));
        assertEquals(!presetName.startsWith("sagan"), before.keySet().stream().anyMatch(n -> n.startsWith("ema/")),
                "BigGAN and StyleGAN keep an EMA of G");
        INDArray samples = m.sample(5, 42);
        assertArrayEquals(new long[] {5, 1, size, size}, samples.shape());
        assertTrue(samples.amaxNumber().doubleValue() <= 1, "samples in [-1, 1]");
        assertEquals(0, samples.sub(m.sample(5, 42)).amaxNumber().doubleValue(), 0, "sampling is reproducible");
        assertTrue(samples.sub(m.sample(5, 43)).amaxNumber().doubleValue() > 0, "another seed, other samples");
    }
}
