package org.jgan.engine.internal.analysis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.folder.Json;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.engine.internal.model.Players;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scoring a restored run and the cross-testing protocol of Roth et al. 2017, section 5.5. */
class EvaluationTest {

    @TempDir
    Path dir;

    Evaluation.Restored ring(String name, int iterations) throws java.io.IOException {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "iterations", "1000", "batchSize", "128",
                "lrG", "1e-3", "lrD", "1e-3", "latent", "4", "seed", "3", "outputDir", dir.resolve(name).toString()));
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), name);
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        GanModel m = new GanModel(spec, data);
        for (int it = 0; it < iterations; it++) {
            m.discriminatorStep(it, 0);
            m.generatorStep(it);
        }
        return restored(spec, data, m, iterations, dir.resolve(name));
    }

    /** The players of {@code m}, saved in a checkpoint and restored as analysis restores them; {@code m} is closed. */
    static Evaluation.Restored restored(RunSpec spec, DataSource data, GanModel m, long iteration, Path out)
            throws java.io.IOException {
        Checkpoint c = m.checkpoint(iteration);
        m.close();
        Path checkpoints = Files.createDirectories(out.resolve("checkpoint-test"));
        c.write(checkpoints);
        c.free();
        Checkpoint read = Checkpoint.readPlayers(checkpoints.resolve(Checkpoint.FILE));
        return new Evaluation.Restored(spec, Players.restore(spec, data.shape(), data.classes(), read.arrays()),
                data, iteration, out);
    }

    @Test
    void confusionCountsFollowTheSignOfTheLogits() {
        Evaluation.Confusion c = Evaluation.Confusion.of(new double[] {2, -1, 0.5, 0}, new double[] {-3, 1e-9, -2});
        assertEquals(new Evaluation.Confusion(2, 2, 1, 2), c); // a logit of exactly 0 (probability 0.5) is not "real"
        assertEquals(0.5, c.fnRate());
        assertEquals(1 / 3.0, c.fpRate(), 1e-12);
        assertEquals(2 / 3.0, Evaluation.Confusion.positiveFraction(new double[] {1, 2, -1}), 1e-12);
    }

    @Test
    void aTrainedDiscriminatorRejectsAnUntrainedGeneratorsSamples() throws Exception {
        Evaluation.Restored trained = ring("trained", 300);
        Evaluation.Restored fresh = ring("fresh", 0);
        String text = Evaluation.crossTest(trained, fresh, Map.of("samples", "2000"));
        Map<?, ?> json = (Map<?, ?>) Json.read(Files.readString(dir.resolve("trained/eval/crosstest-trained-vs-fresh.json")));
        assertEquals(2000L, ((Number) json.get("samples")).longValue());
        Map<?, ?> ca = (Map<?, ?>) json.get("confusionA");
        assertEquals(2000L, ((Number) ca.get("tp")).longValue() + ((Number) ca.get("fn")).longValue());
        assertEquals(2000L, ((Number) ca.get("fp")).longValue() + ((Number) ca.get("tn")).longValue());
        double crossA = ((Number) ((Map<?, ?>) json.get("crossA")).get("fp")).doubleValue();
        // the untrained generator puts its samples near the origin, far from the ring: D of A is not fooled
        assertTrue(crossA < 0.2, text);
        // and takes most ring points for data
        assertTrue(((Number) ca.get("fnRate")).doubleValue() < 0.5, text);
        assertTrue(text.contains("D of A on samples of B: FP") && text.contains("no test split"), text);
        // deterministic for the seed
        assertEquals(text, Evaluation.crossTest(trained, fresh, Map.of("samples", "2000")));
    }

    @Test
    void discriminateScoresEachRowIndependentlyOfTheBatchingWithoutBatchNorm() throws Exception {
        Evaluation.Restored r = ring("d", 50);
        INDArray x = r.data().sample(300, 9).data();
        double[] all = r.model().discriminate(x, null);
        double[] tail = r.model().discriminate(x.get(NDArrayIndex.interval(200, 300), NDArrayIndex.all()), null);
        double[] expected = new double[100];
        System.arraycopy(all, 200, expected, 0, 100);
        assertArrayEquals(expected, tail, 1e-6);
    }

    @Test
    void evaluateWritesScoresWithTheirOptionsAndRefusesBadInput() throws Exception {
        Evaluation.Restored r = ring("ev", 100);
        ComponentCatalog catalog = TestCatalog.create();
        String text = Evaluation.evaluate(r, Map.of("metric.mixture.samples", "1000", "metric.mixture.plot", "false"), catalog);
        assertTrue(text.contains("mixture:") && text.contains("modes ") && text.contains("iteration 100"), text);
        Map<?, ?> json = (Map<?, ?>) Json.read(Files.readString(dir.resolve("ev/eval/evaluation-iter-0000100.json")));
        Map<?, ?> mixture = (Map<?, ?>) ((Map<?, ?>) json.get("metrics")).get("mixture");
        assertEquals(1000L, ((Number) ((Map<?, ?>) mixture.get("options")).get("samples")).longValue());
        assertTrue(((Map<?, ?>) mixture.get("scores")).containsKey("high_quality"));
        assertEquals(text, Evaluation.evaluate(r, Map.of("metric.mixture.samples", "1000", "metric.mixture.plot", "false"),
                catalog));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Evaluation.evaluate(r, Map.of("metrics", "fid"), catalog));
        assertTrue(e.getMessage().contains("fid"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Evaluation.evaluate(r, Map.of("samples", "5"), catalog));
        assertTrue(e.getMessage().contains("unknown option 'samples'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Evaluation.evaluate(r, Map.of("metric.mixture.samples", "-3"), catalog));
        assertTrue(e.getMessage().contains("samples"), e.getMessage());
    }

    @Test
    void crossTestingRefusesRunsOfDifferentData() throws Exception {
        Map<String, String> raw = Map.of("architecture", "dcgan", "architecture.channels", "4", "dataset",
                "test-images", "batchSize", "8", "latent", "8", "metrics", "none");
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "img");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        Evaluation.Restored img = restored(spec, data, new GanModel(spec, data), 0, dir.resolve("img"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Evaluation.crossTest(ring("r", 0), img, Map.of()));
        assertTrue(e.getMessage().contains("same dataset"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Evaluation.crossTest(img, img, Map.of("samples", "0")));
        assertTrue(e.getMessage().contains("[1, 1000000]"), e.getMessage());
    }
}
