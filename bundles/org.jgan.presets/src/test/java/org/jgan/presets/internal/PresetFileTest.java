package org.jgan.presets.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PresetFileTest {

    private static PresetFile read(String text) throws IOException {
        return PresetFile.read("x", "presets/x.cfg", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void everyShippedRecipeIsAFileWithADescriptionAndSettings() throws IOException {
        List<PresetFile> all = PresetFiles.onClassPath();
        assertEquals(List.of("biggan-fashion", "cgan-fashion", "dcgan-fashion", "default", "feature-matching",
                "grid25", "improved-gan", "infogan-fashion", "pacgan-grid25", "pacgan-ring8", "r3gan-cifar10", "r3gan-fashion",
                "r3gan-fashion32", "roth", "sagan-32",
                "sagan-64", "stylegan-fashion",
                "submanifold7", "submanifold7-roth", "ttur-sagan", "vae-fashion", "vae-grid25", "vae-ring8", "wgan",
                "wgan-gp", "wgan-gp-resnet"),
                all.stream().map(PresetFile::name).toList());
        for (PresetFile p : all) {
            assertFalse(p.description().isBlank(), p.name());
            assertFalse(p.settings().isEmpty(), p.name());
            assertFalse(p.settings().containsKey(PresetFile.DESCRIPTION), p.name());
        }
        // the main job, as its file says
        assertEquals(Map.ofEntries(Map.entry("architecture", "mlp"), Map.entry("loss", "nonsaturating"),
                Map.entry("dataset", "ring8"), Map.entry("latent", "16"), Map.entry("batchSize", "256"),
                Map.entry("lrG", "1e-3"), Map.entry("lrD", "1e-3"), Map.entry("iterations", "7000"),
                Map.entry("packing", "2"), Map.entry("ema", "0.99"), Map.entry("sampleInterval", "1000"),
                Map.entry("checkpointInterval", "1000")), PresetFiles.named("default").settings());
    }

    @Test
    void aFileIsReadAsPropertiesWithCommentsAndItsDescriptionApart() throws IOException {
        PresetFile p = read("# Roth et al. 2017\ndescription = a recipe: gamma = 2\n\nloss = hinge\n"
                + "regularizer.roth.gamma=2\n");
        assertEquals("a recipe: gamma = 2", p.description());
        assertEquals(Map.of("loss", "hinge", "regularizer.roth.gamma", "2"), p.settings());
        assertEquals("x", p.name());
    }

    @Test
    void aBadFileIsNamedWithWhatIsExpected() {
        assertEquals("preset file presets/x.cfg has no description line; expected 'description = one line for "
                + "the listing'", assertThrows(IllegalArgumentException.class, () -> read("loss = hinge\n"))
                .getMessage());
        assertEquals("preset file presets/x.cfg has no settings; expected lines key = value of a run "
                + "configuration", assertThrows(IllegalArgumentException.class, () -> read("description = d\n"))
                .getMessage());
        assertEquals("preset file presets/x.cfg: setting 'loss' has no value; expected key = value",
                assertThrows(IllegalArgumentException.class, () -> read("description = d\nloss =\n"))
                        .getMessage());
        assertEquals("preset file presets/x.cfg: setting 'lrD' has no value; expected key = value",
                assertThrows(IllegalArgumentException.class, () -> read("description = d\nlrD\n")).getMessage());
    }
}
