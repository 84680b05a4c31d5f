package org.jgan.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.apache.felix.service.command.CommandProcessor;
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
 * The evaluation bundles inside Felix: the Fashion-MNIST classifier is found as a feature extractor, the feature
 * metrics score image runs while they train, and gan:evaluate, gan:crosstest and gan:classifier work from the shell.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class EvaluationFrameworkTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 120_000, filter = "(ready=true)")
    NumericsBackend backend;

    @InjectService(timeout = 30_000)
    TrainingService training;

    @InjectService(timeout = 30_000)
    CommandProcessor commands;

    private static final String STAMP = "eval-" + System.currentTimeMillis();

    private String run(String command) throws Exception {
        return Gogo.run(commands, command);
    }

    /** Twelve 28x28 grey PNGs: dark and light squares. */
    private Path images() throws Exception {
        return GreyImages.write(Path.of(context.getProperty("jgan.itest.dir"), STAMP, "images"), 12);
    }

    private RunStatusDTO train(String name, Path images, String extra) throws Exception {
        Path out = Path.of(context.getProperty("jgan.itest.dir"), STAMP, name);
        String started = run("gan:start name=" + name + " architecture=dcgan architecture.channels=4 dataset=image-folder "
                + "dataset.path=" + images + " dataset.size=28 dataset.channels=1 batchSize=8 latent=8 iterations=4 "
                + "sampleInterval=4 checkpointInterval=4 metric.features.samples=40 outputDir=" + out + " " + extra);
        assertTrue(started.startsWith("started " + name), started);
        RunStatusDTO s = Gogo.awaitState(training, name, Set.of(State.COMPLETED, State.FAILED), 180_000);
        assertEquals(State.COMPLETED, s.state, s.summary);
        return s;
    }

    @Test
    void featureMetricsScoreImageRunsAndTheShellEvaluatesAndCrossTests() throws Exception {
        String listing = run("gan:components feature-extractor");
        assertTrue(listing.contains("fashion-mnist"), listing);
        Path images = images();
        RunStatusDTO a = train("eval-a", images, "");
        for (String score : new String[] {"features.fd", "features.kid", "features.kid_se", "features.precision",
            "features.recall", "features.cs", "features.samples"}) {
            assertTrue(a.metrics.containsKey(score), score + " missing from " + a.metrics);
        }
        assertEquals(40.0, a.metrics.get("features.samples"));
        train("eval-b", images, "lrD=1e-3");

        String evaluated = run("gan:evaluate eval-a metric.features.samples=60");
        assertTrue(evaluated.contains("features:") && evaluated.contains("samples 60") && evaluated.contains(" fd "),
                evaluated);
        assertTrue(Files.exists(Path.of(a.outputDir, "eval", "evaluation-iter-0000004.json")), evaluated);

        String cross = run("gan:crosstest eval-a eval-b samples=10");
        assertTrue(cross.contains("D of A on samples of B: FP") && cross.contains("D of B on samples of A: FP")
                && cross.contains("10 held-out images"), cross);
        assertTrue(Files.exists(Path.of(a.outputDir, "eval", "crosstest-eval-a-vs-eval-b.json")), cross);

        // bad input: one line naming the problem
        String unknownRun = run("gan:evaluate no-such-run");
        assertTrue(unknownRun.contains("unknown run 'no-such-run'"), unknownRun);
        String badOption = run("gan:crosstest eval-a eval-b samples=lots");
        assertTrue(badOption.contains("samples 'lots' is invalid"), badOption);
        String badAction = run("gan:classifier fit");
        assertTrue(badAction.contains("unknown action 'fit'; expected train or test"), badAction);
        assertTrue(run("help gan:classifier").contains("Retrain the Fashion-MNIST classifier"));
    }
}
