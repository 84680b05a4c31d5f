package org.jgan.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.felix.service.command.CommandProcessor;
import org.jgan.api.NumericsBackend;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.ComponentDTO;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/** The engine, shell and first plug-ins inside a real Felix with SCR, ConfigAdmin and Gogo. */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class FrameworkTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 120_000, filter = "(ready=true)")
    NumericsBackend backend;

    @InjectService(timeout = 30_000)
    TrainingService training;

    @InjectService(timeout = 30_000)
    ConfigurationAdmin configurationAdmin;

    @InjectService(timeout = 30_000)
    CommandProcessor commands;

    @InjectService(timeout = 30_000)
    MetaTypeService metaType;

    /** A fresh folder per test run: a completed run's folder is never trained again. */
    private static final String STAMP = Long.toString(System.currentTimeMillis());

    private Path runsDir() {
        return Path.of(context.getProperty("jgan.itest.dir"), STAMP);
    }

    @Test
    void everyFirstPluginIsRegisteredAndListed() {
        Set<String> names = training.components().stream().map(c -> c.kind + ":" + c.name)
                .collect(Collectors.toSet());
        for (String expected : List.of("architecture:mlp", "loss:minimax", "loss:nonsaturating", "loss:hinge",
                "loss:lsgan", "loss:wasserstein", "loss:fgan", "loss:rpgan", "penalty:roth", "penalty:roth-f", "penalty:r1",
                "penalty:r2", "penalty:wgan-gp", "penalty:dragan", "constraint:clip", "dataset:ring8",
                "dataset:grid25", "dataset:submanifold7", "metric:mixture", "preset:default", "preset:roth",
                "preset:wgan", "preset:wgan-gp", "settings:run", "architecture:dcgan", "architecture:resnet",
                "dataset:idx", "dataset:cifar10", "dataset:image-folder", "regularizer:infogan",
                "preset:dcgan-fashion", "preset:cgan-fashion", "preset:infogan-fashion", "preset:wgan-gp-resnet")) {
            assertTrue(names.contains(expected), expected + " missing from " + names);
        }
        ComponentDTO mlp = training.components().stream().filter(c -> c.name.equals("mlp")).findFirst().get();
        assertEquals("org.jgan.mlp", mlp.bundle);
        assertTrue(mlp.options.stream().anyMatch(o -> o.name.equals("hidden") && o.defaultValue.equals("128")));
        assertTrue(backend.description().contains("linux-x86_64"), backend.description());
    }

    @Test
    void runCreatedThroughConfigAdminTrainsAndWritesItsOutputs() throws Exception {
        Path out = runsDir().resolve("cm-run");
        Configuration c = configurationAdmin.getFactoryConfiguration(TrainingService.RUN_FACTORY_PID, "cm-run", "?");
        Hashtable<String, Object> props = new Hashtable<>(Map.of("name", "cm-run", "iterations", "200",
                "batchSize", "64", "lrG", "1e-3", "lrD", "1e-3", "sampleInterval", "100", "checkpointInterval", "100",
                "outputDir", out.toString(), "progressInterval", "0.5"));
        c.update(props);
        RunStatusDTO s = awaitState("cm-run", Set.of(State.COMPLETED, State.FAILED), 120_000);
        assertEquals(State.COMPLETED, s.state, s.summary);
        assertEquals(200, s.iteration);
        assertTrue(s.losses.containsKey("d_loss") && s.losses.containsKey("g_loss"), s.losses.toString());
        assertTrue(s.metrics.containsKey("mixture.modes"), s.metrics.toString());
        assertEquals(201, Files.readAllLines(out.resolve("losses.csv")).size());
        String config = Files.readString(out.resolve("config.json"));
        assertTrue(config.contains("\"org.jgan.mlp\"") && config.contains("\"lrD\": \"0.001\""), config);
        assertTrue(Files.exists(out.resolve("checkpoints/checkpoint.zip")));
        assertTrue(Files.exists(out.resolve("samples/iter-0000100-scatter.png")));
        assertTrue(Files.readString(out.resolve("status.json")).contains("COMPLETED"));
        // an invalid edit of the finished run's configuration is refused in the log: the run stays COMPLETED (it
        // showed FAILED it 0/0 before); the change is handled within milliseconds, so 3 s without it is enough
        props.put("lrD", "-1");
        c.update(props);
        long until = System.currentTimeMillis() + 3_000;
        while (System.currentTimeMillis() < until) {
            RunStatusDTO now = training.status("cm-run");
            assertEquals(State.COMPLETED, now.state, "after an invalid edit: " + now.summary);
            Thread.sleep(50);
        }
        assertEquals(200, training.status("cm-run").iteration);
        c.delete();
    }

    @Test
    void conditionalDcganOnAnImageFolderTrainsAndWritesASampleGrid() throws Exception {
        // two classes of 32x32 PNGs (dark and light squares), read through ImageIO inside the framework
        Path images = runsDir().resolve("images");
        for (int i = 0; i < 12; i++) {
            String cls = i % 2 == 0 ? "dark" : "light";
            Files.createDirectories(images.resolve(cls));
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(32, 32,
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            int v = i % 2 == 0 ? 40 + i : 200 + i;
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    img.setRGB(x, y, (v << 16) | (v << 8) | v);
                }
            }
            javax.imageio.ImageIO.write(img, "png", images.resolve(cls).resolve(i + ".png").toFile());
        }
        Path out = runsDir().resolve("image-run");
        String started = run("gan:start name=image-run architecture=dcgan architecture.channels=8 dataset=image-folder "
                + "dataset.path=" + images + " dataset.size=32 dataset.channels=1 dataset.labels=true "
                + "regularizers=r1 batchSize=8 latent=16 iterations=6 sampleInterval=3 checkpointInterval=3 "
                + "outputDir=" + out);
        assertTrue(started.startsWith("started image-run"), started);
        RunStatusDTO s = awaitState("image-run", Set.of(State.COMPLETED, State.FAILED), 120_000);
        assertEquals(State.COMPLETED, s.state, s.summary);
        assertTrue(s.losses.containsKey("d_r1"), s.losses.toString());
        java.awt.image.BufferedImage grid = javax.imageio.ImageIO.read(out.resolve("samples/iter-0000006-samples.png")
                .toFile());
        // 100 samples of 32x32 in a 10 x 10 grid with 1-pixel borders
        assertEquals(10 * 33 + 1, grid.getWidth());
        assertEquals(10 * 33 + 1, grid.getHeight());
        String config = Files.readString(out.resolve("config.json"));
        assertTrue(config.contains("\"org.jgan.dcgan\"") && config.contains("\"org.jgan.datasets.image\""), config);
        assertTrue(Files.size(out.resolve("losses.png")) > 0, "loss curves are plotted");

        // the latent-space commands restore the checkpoint and write grids of 32x32 cells under explore/
        java.awt.image.BufferedImage samples = grid(run("gan:sample image-run count=4 seed=5"));
        assertEquals(2 * 33 + 1, samples.getWidth());
        java.awt.image.BufferedImage walk = grid(run("gan:interpolate image-run rows=2 steps=3 mode=spherical"));
        assertEquals(3 * 33 + 1, walk.getWidth());
        assertEquals(2 * 33 + 1, walk.getHeight());
        java.awt.image.BufferedImage sum = grid(run("gan:arithmetic image-run 1,3 - 2 + 5 variants=2"));
        assertEquals(4 * 33 + 1, sum.getHeight(), "three terms and the result");
        String bad = run("gan:arithmetic image-run 1,,3");
        assertTrue(bad.contains("expected terms of comma-separated sample indices"), bad);
        String badMode = run("gan:interpolate image-run mode=circle");
        assertTrue(badMode.contains("gan:interpolate: mode is 'circle'; expected one of linear, spherical"), badMode);
    }

    /** Waits until a line of {@code file} ends with {@code suffix}. */
    private static void awaitLine(Path file, String suffix) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(file) && Files.readAllLines(file).stream().anyMatch(l -> l.endsWith(suffix))) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(file + " has no line ending with " + suffix + " after 30 s: "
                + (Files.exists(file) ? Files.readAllLines(file) : "missing"));
    }

    /** The grid a latent-space command reports as "wrote FILE" (the session's output may hold log lines too). */
    private static java.awt.image.BufferedImage grid(String reply) throws Exception {
        String line = reply.lines().filter(l -> l.startsWith("wrote ")).reduce((a, b) -> b).orElse("");
        assertTrue(line.endsWith(".png"), reply);
        Path file = Path.of(line.substring("wrote ".length()));
        assertTrue(file.getParent().endsWith("explore"), file.toString());
        return javax.imageio.ImageIO.read(file.toFile());
    }

    @Test
    void gogoCommandsListStartPauseResumeAndStop() throws Exception {
        String listing = run("gan:components loss");
        assertTrue(listing.contains("nonsaturating") && listing.contains("minimax"), listing);
        assertTrue(!listing.contains("ring8"), listing);
        String started = run("gan:start default name=shell-run iterations=1000000 progressInterval=1 outputDir="
                + runsDir().resolve("shell-run"));
        assertTrue(started.startsWith("started shell-run"), started);
        awaitState("shell-run", Set.of(State.RUNNING), 60_000);
        assertTrue(run("gan:runs").contains("shell-run"));
        run("gan:pause shell-run");
        RunStatusDTO paused = awaitState("shell-run", Set.of(State.PAUSED), 60_000);
        assertTrue(Files.exists(runsDir().resolve("shell-run/checkpoints/checkpoint.zip")));
        Thread.sleep(300);
        assertEquals(paused.iteration, training.status("shell-run").iteration, "a paused run must not train");
        run("gan:resume shell-run");
        awaitState("shell-run", Set.of(State.RUNNING), 60_000);

        // live changes: through the shell and through ConfigAdmin, taken at the next iteration, recorded
        Path history = runsDir().resolve("shell-run/history.csv");
        run("gan:set shell-run lrD=5e-4");
        awaitLine(history, ",lrD,0.001,5.0E-4");
        Configuration c = configurationAdmin.getConfiguration("org.jgan.run~shell-run", "?");
        java.util.Dictionary<String, Object> props = c.getProperties();
        props.put("lrG", "2e-4");
        c.update(props);
        awaitLine(history, ",lrG,0.001,2.0E-4");
        assertEquals(State.RUNNING, training.status("shell-run").state, "a live change does not restart the run");
        // hot swap of the loss and a penalty: the graphs are rebuilt on the same weights
        run("gan:set shell-run loss=hinge regularizers=r1");
        awaitLine(history, ",loss,nonsaturating,hinge");
        awaitLine(runsDir().resolve("shell-run/losses.csv"), ",d_r1"); // the header gains the penalty's column
        String swapRefused = run("gan:set shell-run regularizers=spectral-norm");
        assertTrue(swapRefused.contains("cannot swap while training: the weight reparametrizations would change"),
                swapRefused);
        String invalid = run("gan:set shell-run lrD=-1");
        assertTrue(invalid.contains("lrD") && invalid.contains("expected a number in"), invalid);
        String fixed = run("gan:set shell-run architecture.hidden=64");
        assertTrue(fixed.contains("architecture.hidden cannot change while the run trains"), fixed);
        Thread.sleep(300);
        assertEquals(State.RUNNING, training.status("shell-run").state, "refused changes leave the run going");
        assertTrue(Files.readString(runsDir().resolve("shell-run/config.json")).contains("\"lrD\": \"5.0E-4\""));

        String stopped = run("gan:stop shell-run");
        assertTrue(stopped.contains("STOPPED"), stopped);
        String progress = run("gan:progress shell-run");
        assertTrue(progress.contains("output: "), progress);
    }

    /**
     * The example variant bundle (examples/relativistic-loss, built by the same reactor against the API alone) is
     * installed while a run trains and the run is switched to its loss without a restart; uninstalling the bundle
     * pauses the run with its state saved, and installing it again resumes the run, rebound to the new bundle.
     */
    @Test
    void aVariantBundleInstalledWhileARunTrainsIsSwappedInAndItsRemovalPausesTheRun() throws Exception {
        Path jar = Path.of(context.getProperty("jgan.example.jar"));
        assertTrue(Files.exists(jar), "example bundle not built: " + jar);
        Path out = runsDir().resolve("drop-run");
        run("gan:start default name=drop-run iterations=1000000 progressInterval=1 outputDir=" + out);
        awaitState("drop-run", Set.of(State.RUNNING), 60_000);
        assertTrue(!run("gan:components loss").contains("relativistic"));
        org.osgi.framework.Bundle b = context.installBundle(jar.toUri().toString());
        b.start();
        awaitListing("relativistic", true);
        assertTrue(run("gan:components loss").contains("relativism"), "the bundle's option is listed");
        long before = training.status("drop-run").iteration;
        String set = run("gan:set drop-run loss=relativistic");
        assertTrue(set.contains("drop-run"), set);
        awaitLine(out.resolve("history.csv"), ",loss,nonsaturating,relativistic");
        String swapLine = Files.readAllLines(out.resolve("history.csv")).stream()
                .filter(l -> l.endsWith(",loss,nonsaturating,relativistic")).findFirst().orElseThrow();
        assertTrue(Long.parseLong(swapLine.split(",")[0]) >= before, swapLine + " after " + before);
        assertEquals(State.RUNNING, training.status("drop-run").state, "swapped without a restart");
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"loss\": \"relativistic\""));

        // the bundle goes away: the run pauses at the next iteration with a checkpoint, and says what it waits for
        b.uninstall();
        awaitListing("relativistic", false);
        RunStatusDTO waiting = awaitState("drop-run", Set.of(State.PAUSED), 30_000);
        assertTrue(waiting.error != null && waiting.error.contains("loss 'relativistic'"), waiting.summary);
        assertTrue(Files.exists(out.resolve("checkpoints/checkpoint.zip")));
        Thread.sleep(300);
        assertEquals(waiting.iteration, training.status("drop-run").iteration, "no training without its loss");

        // it comes back: the run resumes by itself and trains on
        org.osgi.framework.Bundle again = context.installBundle(jar.toUri().toString());
        try {
            again.start();
            awaitState("drop-run", Set.of(State.RUNNING), 30_000);
            long deadline = System.currentTimeMillis() + 30_000;
            while (training.status("drop-run").iteration <= waiting.iteration && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(training.status("drop-run").iteration > waiting.iteration, "training goes on");
            run("gan:stop drop-run");
        } finally {
            again.uninstall();
        }
    }

    private void awaitListing(String name, boolean present) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (run("gan:components loss").contains(name) != present && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(present, run("gan:components loss").contains(name), name + " listed");
    }

    @Test
    void badInputGivesOneClearLineAndDisturbsNothing() throws Exception {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> training.start(null, Map.of("loss", "nope")));
        assertEquals("unknown loss 'nope'; installed: fgan, hinge, lsgan, minimax, nonsaturating, rpgan, wasserstein",
                unknown.getMessage());
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
                () -> training.start("default", Map.of("lrD", "-1")));
        assertTrue(lr.getMessage().contains("option 'lrD' has value '-1'; expected a number in ["), lr.getMessage());
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> training.start(null, Map.of("batchSize", "0")));
        assertTrue(batch.getMessage().contains("'batchSize' has value '0'"), batch.getMessage());
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
                () -> training.start(null, Map.of("learningRate", "0.1")));
        assertTrue(key.getMessage().startsWith("unknown setting 'learningRate'"), key.getMessage());
        IllegalArgumentException option = assertThrows(IllegalArgumentException.class,
                () -> training.start(null, Map.of("architecture.width", "3")));
        assertTrue(option.getMessage().startsWith("architecture 'mlp': unknown option 'width'"), option.getMessage());
        assertTrue(training.runs().stream().noneMatch(r -> r.state == State.FAILED && r.error != null
                && r.error.contains("nope")), "rejected starts must not create runs");
        String shell = run("gan:start loss=nope");
        assertTrue(shell.contains("unknown loss 'nope'"), shell);
    }

    /**
     * Metatype's description of the run factory, served by the engine, accepts exactly what the engine accepts:
     * every numeric and choice setting probed with values at and beyond the bounds the settings use, through
     * Metatype's validation and through {@link TrainingService#validate}.
     */
    @Test
    void metatypeDescribesTheRunFactoryAndValidatesAsTheEngineDoes() {
        Bundle engine = Arrays.stream(context.getBundles())
                .filter(b -> b.getSymbolicName().equals("org.jgan.engine")).findFirst().orElseThrow();
        MetaTypeInformation info = metaType.getMetaTypeInformation(engine);
        assertTrue(Arrays.asList(info.getFactoryPids()).contains(TrainingService.RUN_FACTORY_PID),
                Arrays.toString(info.getFactoryPids()));
        ObjectClassDefinition ocd = info.getObjectClassDefinition(TrainingService.RUN_FACTORY_PID, null);
        List<String> ids = Arrays.stream(ocd.getAttributeDefinitions(ObjectClassDefinition.ALL))
                .map(AttributeDefinition::getID).toList();
        ComponentDTO settings = training.components().stream().filter(c -> c.kind.equals("settings")).findFirst()
                .orElseThrow();
        assertEquals(settings.options.stream().map(o -> o.name).toList(), ids);
        List<String> disagreements = new ArrayList<>();
        int probed = 0;
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            List<String> values = switch (ad.getType()) {
                case AttributeDefinition.INTEGER -> List.of("-2147483649", "-1", "0", "1", "1000", "1001", "65536",
                        "65537", "2147483647", "1.5", "x");
                case AttributeDefinition.DOUBLE -> List.of("-1", "0", "1e-13", "1e-12", "0.05", "0.1", "0.999999",
                        "0.9999999", "0.999999999", "1", "10", "10.5", "3600", "3601", "1e6", "2e6", "NaN", "x");
                default -> ad.getOptionValues() == null ? List.of(ad.getDefaultValue()[0])
                        : List.of(ad.getOptionValues()[0], ad.getOptionValues()[ad.getOptionValues().length - 1], "x");
            };
            for (String v : values) {
                Map<String, String> raw = new HashMap<>(Map.of(ad.getID(), v));
                if (ad.getID().equals("accumulate")) {
                    // that it divides batchSize is a rule between two settings, not a range: make it hold
                    raw.put("batchSize", List.of("1", "1000", "1001", "65536").contains(v) ? v : "65536");
                }
                boolean engineAccepts;
                try {
                    training.validate(null, raw);
                    engineAccepts = true;
                } catch (IllegalArgumentException e) {
                    engineAccepts = false;
                }
                String verdict = ad.validate(v);
                if (engineAccepts != "".equals(verdict)) {
                    disagreements.add(ad.getID() + "=" + v + " (engine " + engineAccepts + ", metatype '" + verdict
                            + "')");
                }
                probed++;
            }
        }
        assertEquals(List.of(), disagreements, probed + " values probed");
        assertTrue(probed > 200, probed + " values probed");
    }

    private RunStatusDTO awaitState(String run, Set<State> states, long millis) throws InterruptedException {
        return Gogo.awaitState(training, run, states, millis);
    }

    private String run(String command) throws Exception {
        return Gogo.run(commands, command);
    }
}
