package org.jgan.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
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
 * The VAE bundle inside Felix: its model and presets are registered, a VAE on ring-8 trains through the same runtime
 * and run folder as a GAN and covers every mode, and the convolutional VAE preset trains on images.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class ModelFrameworkTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 120_000, filter = "(ready=true)")
    NumericsBackend backend;

    @InjectService(timeout = 30_000)
    TrainingService training;

    @Test
    void theVaeCoversEveryModeOfTheRingThroughTheSameRuntime() throws Exception {
        Set<String> names = training.components().stream().map(c -> c.kind + ":" + c.name)
                .collect(Collectors.toSet());
        for (String expected : List.of("model:vae", "preset:vae-ring8", "preset:vae-grid25", "preset:vae-fashion")) {
            assertTrue(names.contains(expected), expected + " missing from " + names);
        }
        Path dir = Path.of(context.getProperty("jgan.itest.dir"), "vae-" + System.currentTimeMillis());
        String name = training.start("vae-ring8", Map.of("name", "vae-felix", "iterations", "3000",
                "sampleInterval", "0", "checkpointInterval", "1000", "outputDir", dir.toString())).id;
        RunStatusDTO s = Gogo.awaitState(training, name, Set.of(State.COMPLETED, State.FAILED), 300_000);
        assertEquals(State.COMPLETED, s.state, s.summary);
        // the lecture's expectation: maximum likelihood covers every mode
        assertEquals(8.0, s.metrics.get("mixture.modes"), s.summary);
        assertTrue(Files.readAllLines(dir.resolve("losses.csv")).get(0).equals("iteration,loss,elbo,nll,kl,sigma"),
                "losses.csv columns");
        String config = Files.readString(dir.resolve("config.json"));
        assertTrue(config.contains("\"model\": \"vae\"") && config.contains("\"org.jgan.vae\""),
                "config.json records the model and its bundle");
        assertTrue(Files.exists(dir.resolve("checkpoints").resolve("checkpoint.zip")), "checkpoint");
        assertTrue(Files.exists(dir.resolve("losses.png")), "loss plot");
        String grid = training.start("vae-grid25", Map.of("name", "vae-grid-felix", "iterations", "2",
                "sampleInterval", "0", "metrics", "none", "outputDir", dir.resolve("grid").toString())).id;
        RunStatusDTO g = Gogo.awaitState(training, grid, Set.of(State.COMPLETED, State.FAILED), 120_000);
        assertEquals(State.COMPLETED, g.state, g.summary);
    }

    /** The convolutional VAE preset trains two iterations on twelve generated grey 28x28 images. */
    @Test
    void theConvolutionalVaePresetTrainsOnImages() throws Exception {
        Path dir = Path.of(context.getProperty("jgan.itest.dir"), "cvae-" + System.currentTimeMillis());
        Path images = GreyImages.write(dir.resolve("images"), 12);
        Map<String, String> settings = new HashMap<>(Map.of("name", "cvae-felix", "dataset", "image-folder",
                "dataset.path", images.toString(), "dataset.size", "28", "dataset.channels", "1",
                "architecture.channels", "8", "batchSize", "4", "iterations", "2", "metrics", "none",
                "outputDir", dir.resolve("run").toString()));
        settings.put("sampleInterval", "0");
        String name = training.start("vae-fashion", settings).id;
        RunStatusDTO s = Gogo.awaitState(training, name, Set.of(State.COMPLETED, State.FAILED), 180_000);
        assertEquals(State.COMPLETED, s.state, s.summary);
        assertTrue(Double.isFinite(s.losses.get("loss")), s.summary);
    }
}
