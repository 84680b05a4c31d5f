package org.jgan.engine.internal.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.Side;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.Waits;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings that change while a run trains take effect at the next step, with weights and optimizer state kept. */
class LiveChangeTest {

    private static RunSpec spec(Map<String, String> extra) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", "16",
                "batchSize", "32", "lrD", "1e-4", "lrG", "1e-4", "regularizers", "r1", "metrics", "none"));
        raw.putAll(extra);
        return RunSpec.parse(raw, TestCatalog.create(), "live");
    }

    private static GanModel model(RunSpec spec) {
        return new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
    }

    /**
     * While the training thread applies a change (the model being reconfigured), readers of the run's configuration
     * see the change, not the configuration before it (RunRegistryTest read lrD 1e-4 in that window after setting
     * 3e-4); a request that arrives meanwhile stays waiting for the next boundary.
     */
    @Test
    void theConfigurationBeingAppliedIsTheLatestUntilItIsCurrent() {
        RunSpec first = spec(Map.of());
        LiveSpec live = new LiveSpec(first);
        RunSpec faster = spec(Map.of("lrD", "3e-4"));
        live.request(faster);
        RunSpec applying = live.waiting();
        assertTrue(applying == faster);
        assertTrue(live.latest() == faster, "while it is applied: lrD " + live.latest().resolved().get("lrD"));
        RunSpec later = spec(Map.of("lrD", "5e-4"));
        live.request(later);
        live.taken(applying);
        assertTrue(live.current() == faster);
        assertTrue(live.latest() == later && live.waiting() == later, "the later request waits for the next boundary");
        live.taken(live.waiting());
        assertTrue(live.latest() == later && live.waiting() == null);
    }

    /** Parameter change of one player's step, as one flat vector. */
    private static INDArray delta(GanModel m, Side side, Runnable step) {
        String prefix = "param/" + (side == Side.GENERATOR ? "g/" : "d/");
        Map<String, INDArray> before = m.checkpoint(0).arrays();
        step.run();
        Map<String, INDArray> after = m.checkpoint(0).arrays();
        List<INDArray> parts = before.keySet().stream().filter(k -> k.startsWith(prefix))
                .map(k -> after.get(k).sub(before.get(k)).reshape(-1)).toList();
        return org.nd4j.linalg.factory.Nd4j.concat(0, parts.toArray(new INDArray[0]));
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "rmsprop"})
    void aNewLearningRateScalesTheNextStepAndKeepsTheOptimizerState(String optimizer) {
        GanModel a = model(spec(Map.of("optimizer", optimizer)));
        GanModel b = model(spec(Map.of("optimizer", optimizer)));
        for (int it = 0; it < 3; it++) {
            for (GanModel m : List.of(a, b)) {
                m.discriminatorStep(it, 0);
                m.generatorStep(it);
            }
        }
        b.reconfigure(spec(Map.of("optimizer", optimizer, "lrD", "1e-3")));
        assertEquals(1e-3, b.learningRate(Side.DISCRIMINATOR, 3), 1e-12);
        assertEquals(1e-4, b.learningRate(Side.GENERATOR, 3), 1e-12, "G's learning rate did not change");
        INDArray da = delta(a, Side.DISCRIMINATOR, () -> a.discriminatorStep(3, 0));
        INDArray db = delta(b, Side.DISCRIMINATOR, () -> b.discriminatorStep(3, 0));
        // same weights, data, gradients and optimizer state (moments, mean squares): only the step size differs, 10x
        double ratio = db.norm2Number().doubleValue() / da.norm2Number().doubleValue();
        assertEquals(10, ratio, 1e-2, "D's step grows with its learning rate");
        assertEquals(0, db.sub(da.mul(10)).norm2Number().doubleValue() / db.norm2Number().doubleValue(), 1e-3);
    }

    @Test
    void regularizerWeightsAndSchedulesChangeLive() {
        RunSpec before = spec(Map.of());
        GanModel m = model(before);
        RunSpec.RegularizerChoice r1 = before.regularizers().get(0);
        assertEquals(r1.weight(), m.termWeight(r1, 10, 0), 1e-12);
        m.reconfigure(spec(Map.of("regularizer.r1.weight", "7", "regularizer.r1.every", "4")));
        assertEquals(28, m.termWeight(r1, 10, 8), 1e-9, "weight 7, lazy every 4: 7 x 4 on every 4th step");
        assertEquals(0, m.termWeight(r1, 10, 9), 1e-12);
    }

    @Test
    void settingsThatFixTheGraphsAreNamed() {
        List<LiveSettings.Change> d = LiveSettings.diff(spec(Map.of()).resolved(),
                spec(Map.of("lrD", "2e-4", "architecture.hidden", "32", "loss", "hinge")).resolved());
        // the architecture fixes the parameters; another loss (and the old loss's options it drops) is swapped in
        assertEquals(List.of("architecture.hidden"), LiveSettings.fixed(d));
        assertTrue(LiveSettings.needsSwap(d));
        assertTrue(!LiveSettings.needsSwap(LiveSettings.diff(spec(Map.of()).resolved(),
                spec(Map.of("lrD", "2e-4", "regularizer.r1.weight", "3")).resolved())), "new values need no swap");
        assertTrue(d.stream().anyMatch(c -> c.key().equals("lrD") && c.from().equals("1.0E-4")), d.toString());
        assertTrue(LiveSettings.isLive("regularizer.r1.weight"));
        assertTrue(!LiveSettings.isLive("regularizer.infogan.categorical"));
        // a VAE's beta is swapped in (its graph rebuilt on the same parameters); the model family needs a restart
        List<LiveSettings.Change> vae = LiveSettings.diff(spec(Map.of("model", "vae", "regularizers", "")).resolved(),
                spec(Map.of("model", "vae", "regularizers", "", "model.beta", "4")).resolved());
        assertEquals(List.of(), LiveSettings.fixed(vae));
        assertTrue(LiveSettings.needsSwap(vae));
        assertEquals(List.of("model"), LiveSettings.fixed(LiveSettings.diff(spec(Map.of()).resolved(),
                spec(Map.of("model", "vae", "regularizers", "")).resolved())));
    }

    @Test
    void aRunTakesAChangeAtTheNextIterationAndRecordsIt(@TempDir Path dir) throws Exception {
        RunSpec s = spec(Map.of("outputDir", dir.toString(), "iterations", "100000", "sampleInterval", "0",
                "checkpointInterval", "0"));
        TrainingRun run = new TrainingRun(s, Map.of());
        Thread t = new Thread(run);
        t.start();
        Waits.forIteration(run, 20);
        // a setting that fixes the graphs is refused and the run goes on
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run.requestChange(spec(Map.of("outputDir", dir.toString(), "iterations", "100000",
                        "sampleInterval", "0", "checkpointInterval", "0", "architecture.hidden", "32"))));
        assertTrue(e.getMessage().contains("architecture.hidden cannot change while the run trains"), e.getMessage());
        long at = run.status().iteration;
        run.requestChange(spec(Map.of("outputDir", dir.toString(), "iterations", "150", "sampleInterval", "0",
                "checkpointInterval", "0", "lrD", "5e-4", "regularizer.r1.weight", "3")));
        assertTrue(run.awaitFinished(60_000), "the shortened run ends");
        t.join(60_000); // the thread ends before its temporary folder is deleted
        assertEquals(State.COMPLETED, run.status().state);
        assertEquals(150, run.status().iteration);
        List<String> history = Files.readAllLines(dir.resolve("history.csv"));
        assertEquals("iteration,setting,from,to", history.get(0));
        assertEquals(3, history.size() - 1, history.toString());
        for (String line : history.subList(1, history.size())) {
            long when = Long.parseLong(line.split(",")[0]);
            assertTrue(when >= at && when < 150, line + " after " + at);
        }
        assertTrue(history.stream().anyMatch(l -> l.endsWith(",lrD,1.0E-4,5.0E-4")), history.toString());
        assertTrue(history.stream().anyMatch(l -> l.endsWith(",regularizer.r1.weight,1.0,3.0")), history.toString());
        String config = Files.readString(dir.resolve("config.json"));
        assertTrue(config.contains("\"lrD\": \"5.0E-4\""), config);
        // the losses keep one row per iteration across the change: no restart
        assertEquals(151, Files.readAllLines(dir.resolve("losses.csv")).size());
    }
}
