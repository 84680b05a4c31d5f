package org.jgan.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jgan.api.NumericsBackend;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The SAGAN, BigGAN, StyleGAN and R3GAN bundles resolve inside Felix, register their architectures and presets, and
 * R3GAN's presets (with their schedules) train.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class ModernArchitecturesFrameworkTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 120_000, filter = "(ready=true)")
    NumericsBackend backend;

    @InjectService(timeout = 30_000)
    TrainingService training;

    @Test
    void architecturesAndPresetsAreRegisteredAndValidate() {
        Set<String> names = training.components().stream().map(c -> c.kind + ":" + c.name)
                .collect(Collectors.toSet());
        for (String expected : Set.of("architecture:sagan", "architecture:biggan", "architecture:stylegan",
                "architecture:r3gan", "preset:sagan-32", "preset:sagan-64", "preset:biggan-fashion",
                "preset:stylegan-fashion", "preset:r3gan-fashion", "preset:r3gan-fashion32", "preset:r3gan-cifar10")) {
            assertTrue(names.contains(expected), expected + " missing from " + names);
        }
        Map<String, String> resolved = training.validate("biggan-fashion", Map.of("accumulate", "2"));
        assertEquals("biggan", resolved.get("architecture"));
        assertEquals("2", resolved.get("accumulate"));
        assertEquals("Infinity", resolved.get("architecture.truncation"));
        Map<String, String> r3gan = training.validate("r3gan-fashion", Map.of("iterations", "400"));
        assertEquals("cosine(to=5.0E-5, over=0, warmup=0, from=0.0, hold=0)", r3gan.get("schedule.lrG"));
        assertEquals("64,64,32", r3gan.get("architecture.widths"));
    }

    /** R3GAN's presets train two iterations each inside Felix, on twelve generated grey 28x28 images. */
    @Test
    void r3ganPresetsTrainInsideTheFramework() throws Exception {
        Path dir = Path.of(context.getProperty("jgan.itest.dir"), "r3gan-" + System.currentTimeMillis());
        Path images = GreyImages.write(dir.resolve("images"), 12);
        for (String preset : new String[] {"r3gan-fashion", "r3gan-fashion32", "r3gan-cifar10"}) {
            String size = preset.equals("r3gan-fashion") ? "28" : "32";
            Map<String, String> settings = new HashMap<>(Map.of("name", preset + "-felix", "dataset", "image-folder",
                    "dataset.path", images.toString(), "dataset.size", size, "dataset.channels", "1",
                    "architecture.widths", "8", "batchSize", "4", "iterations", "2", "metrics", "none",
                    "outputDir", dir.resolve(preset).toString()));
            settings.put("sampleInterval", "0");
            String name = training.start(preset, settings).id;
            RunStatusDTO s = Gogo.awaitState(training, name, Set.of(State.COMPLETED, State.FAILED), 180_000);
            assertEquals(State.COMPLETED, s.state, preset + ": " + s.summary);
            assertTrue(Files.readString(dir.resolve(preset).resolve("config.json")).contains("schedule.lrG"),
                    preset + ": the resolved configuration records the schedules");
        }
    }
}
