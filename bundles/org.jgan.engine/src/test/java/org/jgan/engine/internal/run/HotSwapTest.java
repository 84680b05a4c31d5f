package org.jgan.engine.internal.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.Waits;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Swapping the loss or the regularizers of a running model keeps its weights and optimizer state. */
class HotSwapTest {

    private static RunSpec spec(Map<String, String> extra) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", "16",
                "batchSize", "32", "lrD", "1e-3", "lrG", "1e-3", "metrics", "none"));
        raw.putAll(extra);
        return RunSpec.parse(raw, TestCatalog.create(), "swap");
    }

    private static GanModel model(RunSpec s) {
        return new GanModel(s, s.datasetComponent().open(s.dataset().options()));
    }

    @Test
    void aSwappedModelContinuesExactlyAsAFreshModelOfTheNewConfigurationFromTheSameState() {
        GanModel a = model(spec(Map.of()));
        for (int it = 0; it < 3; it++) {
            a.discriminatorStep(it, 0);
            a.generatorStep(it);
        }
        Map<String, INDArray> before = a.checkpoint(3).arrays();
        RunSpec hinge = spec(Map.of("loss", "hinge", "regularizers", "r1", "regularizer.r1.weight", "2"));
        a.swap(hinge);
        Map<String, INDArray> afterSwap = a.checkpoint(3).arrays();
        before.forEach((k, v) -> assertEquals(v, afterSwap.get(k), k + " is kept by the swap"));

        GanModel b = model(hinge);
        b.restore(a.checkpoint(3));
        Map<String, Double> la = a.discriminatorStep(3, 0);
        Map<String, Double> lb = b.discriminatorStep(3, 0);
        assertEquals(lb, la, "the swapped model uses the new loss and penalty");
        assertTrue(la.containsKey("d_r1"), la.toString());
        assertEquals(lb.get("d_loss"), la.get("d_loss"));
        a.generatorStep(3);
        b.generatorStep(3);
        Map<String, INDArray> pa = a.checkpoint(4).arrays();
        Map<String, INDArray> pb = b.checkpoint(4).arrays();
        pb.forEach((k, v) -> assertEquals(v, pa.get(k), k));
        assertEquals(List.of("d_loss", "d_adv", "d_r1", "g_loss", "g_adv"), a.lossNames());
    }

    @Test
    void latentCodesAndReparametrizationsCannotBeSwappedIn() {
        GanModel a = model(spec(Map.of()));
        IllegalArgumentException codes = assertThrows(IllegalArgumentException.class,
                () -> a.swap(spec(Map.of("regularizers", "infogan", "regularizer.infogan.categorical", "4"))));
        assertTrue(codes.getMessage().contains("the latent codes would change"), codes.getMessage());
        IllegalArgumentException sn = assertThrows(IllegalArgumentException.class,
                () -> a.swap(spec(Map.of("regularizers", "spectral-norm"))));
        assertTrue(sn.getMessage().contains("the weight reparametrizations would change"), sn.getMessage());
        // nothing changed: the model still trains with its own loss
        assertEquals(List.of("d_loss", "d_adv", "g_loss", "g_adv"), a.lossNames());
    }

    @Test
    void aRunSwapsMidRunAndItsLossLogGainsTheNewColumns(@TempDir Path dir) throws Exception {
        Map<String, String> base = Map.of("outputDir", dir.toString(), "iterations", "100000", "sampleInterval", "0",
                "checkpointInterval", "0");
        TrainingRun run = new TrainingRun(spec(base), Map.of());
        Thread t = new Thread(run);
        t.start();
        Waits.forIteration(run, 20);
        Map<String, String> swapped = new HashMap<>(base);
        swapped.putAll(Map.of("iterations", "120", "loss", "hinge", "regularizers", "r1"));
        run.requestChange(spec(swapped));
        assertTrue(run.awaitFinished(60_000));
        t.join(60_000); // the thread ends before its temporary folder is deleted
        assertEquals(State.COMPLETED, run.status().state);
        List<String> lines = Files.readAllLines(dir.resolve("losses.csv"));
        assertEquals("iteration,d_loss,d_adv,g_loss,g_adv,d_r1", lines.get(0));
        assertEquals(121, lines.size(), "one row per iteration: the run was not restarted");
        assertTrue(lines.get(1).endsWith(","), "rows before the swap have an empty d_r1 cell: " + lines.get(1));
        assertTrue(!lines.get(120).endsWith(","), "rows after it have a d_r1 value: " + lines.get(120));
        String history = Files.readString(dir.resolve("history.csv"));
        assertTrue(history.contains(",loss,nonsaturating,hinge") && history.contains(",regularizers,,r1"), history);
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"loss\": \"hinge\""));
    }

    @Test
    void aRunWaitsPausedWhileAComponentIsGoneAndRebindsToItsNewVersion(@TempDir Path dir) throws Exception {
        ComponentCatalog catalog = TestCatalog.create();
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", "16",
                "batchSize", "32", "metrics", "none", "outputDir", dir.toString(), "iterations", "400",
                "sampleInterval", "0", "checkpointInterval", "0"));
        RunSpec s = RunSpec.parse(raw, catalog, "gone");
        TrainingRun run = new TrainingRun(s, Map.of(), catalog);
        Thread t = new Thread(run);
        t.start();
        Waits.forIteration(run, 10);
        ComponentCatalog.Entry loss = catalog.find(Kind.LOSS, "nonsaturating").orElseThrow();
        catalog.remove(Kind.LOSS, "nonsaturating", loss.component());
        Waits.forState(run, State.PAUSED);
        assertTrue(run.status().error.contains("waiting for loss 'nonsaturating'"), run.status().error);
        assertTrue(Files.exists(dir.resolve("checkpoints").resolve(Checkpoint.FILE)), "state saved while waiting");
        long at = run.status().iteration;
        Thread.sleep(300);
        assertEquals(at, run.status().iteration, "no training while the loss is gone");
        // a new version of the component (another instance) comes back: the run resumes and rebinds to it
        org.jgan.api.GanComponent newer = loss.component().getClass().getDeclaredConstructor().newInstance();
        catalog.add(Kind.LOSS, "nonsaturating", newer, loss.bundle(), "2.0.0");
        assertTrue(run.awaitFinished(60_000));
        t.join(60_000); // the thread ends before its temporary folder is deleted
        assertEquals(State.COMPLETED, run.status().state);
        assertEquals(401, Files.readAllLines(dir.resolve("losses.csv")).size(), "no iteration lost or repeated");
    }

    /**
     * A change and a pause that reach the same iteration boundary (the dashboard's "set" then "pause", a sweep's
     * reconfigure then pause): the change is taken first, so the paused run's history.csv, config.json and checkpoint
     * have it. Both are asked for before the run's thread starts, so its first boundary sees both.
     */
    @Test
    void aChangeAskedForBeforeAPauseIsTakenBeforeTheRunPauses(@TempDir Path dir) throws Exception {
        Map<String, String> base = Map.of("outputDir", dir.toString(), "iterations", "30", "sampleInterval", "0",
                "checkpointInterval", "0");
        TrainingRun run = new TrainingRun(spec(base), Map.of());
        Map<String, String> faster = new HashMap<>(base);
        faster.put("lrD", "3e-4");
        assertEquals(1, run.requestChange(spec(faster)).size());
        run.pause();
        Thread t = new Thread(run);
        t.start();
        Waits.forState(run, State.PAUSED);
        String history = Files.exists(dir.resolve("history.csv")) ? Files.readString(dir.resolve("history.csv")) : "";
        assertTrue(history.contains("\n0,lrD,"), "history.csv while paused: " + history);
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"lrD\": \"3.0E-4\""),
                Files.readString(dir.resolve("config.json")));
        run.resume();
        assertTrue(run.awaitFinished(60_000), run.status().summary);
        t.join(60_000);
        assertEquals(State.COMPLETED, run.status().state, run.status().summary);
        assertEquals(1, Files.readString(dir.resolve("history.csv")).split(",lrD,", -1).length - 1,
                "the change is taken once");
    }

    /** The MLP, counting the networks it creates: proves which registration a run built its model with. */
    static final class CountingMlp implements org.jgan.api.Architecture {
        final org.jgan.mlp.internal.MlpArchitecture mlp = new org.jgan.mlp.internal.MlpArchitecture();
        final java.util.concurrent.atomic.AtomicInteger created = new java.util.concurrent.atomic.AtomicInteger();

        public String description() {
            return mlp.description();
        }

        public List<org.jgan.api.OptionSpec> options() {
            return mlp.options();
        }

        public org.jgan.api.Networks create(org.jgan.api.DataShape shape, int latent, int classes,
                org.jgan.api.Options options) {
            created.incrementAndGet();
            return mlp.create(shape, latent, classes, options);
        }
    }

    /**
     * An architecture registered with a higher service ranking takes over the name: the run saves a checkpoint and
     * builds its model again with it; when it leaves, the name stands for the shipped one again (it used to
     * disappear, and the run paused forever) and the run rebuilds once more. Both rebuilds restore the
     * checkpoint exactly: losses.csv is the uninterrupted run's, byte for byte.
     */
    @Test
    void anArchitectureOfHigherRankingIsRebuiltWithAndTheShippedOneTakesOverWhenItLeaves(@TempDir Path dir)
            throws Exception {
        Map<String, String> raw = new HashMap<>(Map.of("architecture.hidden", "16", "batchSize", "32",
                "metrics", "none", "iterations", "120", "sampleInterval", "0", "checkpointInterval", "0"));
        raw.put("outputDir", dir.resolve("plain").toString());
        ComponentCatalog plainCatalog = TestCatalog.create();
        new TrainingRun(RunSpec.parse(raw, plainCatalog, "plain"), Map.of(), plainCatalog).run();

        raw.put("outputDir", dir.resolve("rebound").toString());
        ComponentCatalog catalog = TestCatalog.create();
        TrainingRun run = new TrainingRun(RunSpec.parse(raw, catalog, "rebound"), Map.of(), catalog);
        Thread t = new Thread(run);
        t.start();
        Waits.forIteration(run, 10);
        run.pause();
        Waits.forState(run, State.PAUSED);
        CountingMlp variant = new CountingMlp();
        catalog.add(Kind.ARCHITECTURE, "mlp", variant, "org.example.mlp", "9.0.0", 5, Long.MAX_VALUE);
        run.resume();
        Waits.until(() -> variant.created.get() > 0 && run.status().state == State.RUNNING, 60_000,
                () -> "variant created " + variant.created.get() + " networks; " + run.status().summary);
        long rebuiltAt = run.status().iteration;
        run.pause();
        Waits.forState(run, State.PAUSED);
        catalog.remove(Kind.ARCHITECTURE, "mlp", variant);
        run.resume();
        assertTrue(run.awaitFinished(120_000), run.status().summary);
        t.join(60_000);
        assertEquals(State.COMPLETED, run.status().state, run.status().summary);
        assertTrue(rebuiltAt >= 10 && rebuiltAt < 120, "rebuilt at " + rebuiltAt);
        String history = Files.readString(dir.resolve("rebound").resolve("history.csv"));
        assertTrue(history.contains(",component.architecture.mlp,org.jgan.mlp 0,org.example.mlp 9.0.0")
                && history.contains(",component.architecture.mlp,org.example.mlp 9.0.0,org.jgan.mlp 0"), history);
        assertEquals(Files.readAllLines(dir.resolve("plain").resolve("losses.csv")),
                Files.readAllLines(dir.resolve("rebound").resolve("losses.csv")));
    }
}
