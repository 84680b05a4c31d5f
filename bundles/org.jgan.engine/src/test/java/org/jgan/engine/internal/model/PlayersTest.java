package org.jgan.engine.internal.model;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Analysis restores only what it reads: the generator (with its EMA weights) and the critic, from a checkpoint's
 * parameters and state buffers, and gives exactly the samples and logits of the trained model.
 */
class PlayersTest {

    @TempDir
    Path dir;

    /**
     * A conditional DCGAN with spectral normalization (state buffers in D), batch norm (running statistics) and an
     * EMA of G, trained a few steps with an R1 penalty (its graphs are training state analysis must not build).
     */
    private static RunSpec spec() {
        Map<String, String> raw = new HashMap<>(Map.of("architecture", "dcgan", "architecture.channels", "4",
                "dataset", "test-images", "dataset.classes", "3", "batchSize", "8", "latent", "8", "ema", "0.9",
                "regularizers", "spectral-norm,r1", "metrics", "none", "seed", "11"));
        raw.put("lrG", "1e-2");
        return RunSpec.parse(raw, TestCatalog.create(), "players");
    }

    @Test
    void restoredPlayersGiveTheTrainedModelsSamplesAndLogitsWithoutItsTrainingState() throws Exception {
        RunSpec spec = spec();
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        assertTrue(data.classes() > 0, "the test covers a conditional run");
        try (GanModel m = new GanModel(spec, data)) {
            for (int it = 0; it < 3; it++) {
                m.discriminatorStep(it, 0);
                m.generatorStep(it);
            }
            Checkpoint c = m.checkpoint(3);
            c.write(dir);
            c.free();
            INDArray samples = m.sample(12, 5);
            INDArray x = data.sample(12, 7).data();
            INDArray labels = Players.cyclingLabels(0, 12, data.classes());
            double[] logits = m.players().discriminate(x, labels);

            Checkpoint read = Checkpoint.readPlayers(dir.resolve(Checkpoint.FILE));
            assertFalse(read.arrays().keySet().stream().anyMatch(n -> n.startsWith("opt/")),
                    "optimizer state is not read: " + read.arrays().keySet());
            assertTrue(read.arrays().keySet().stream().anyMatch(n -> n.startsWith("ema/")), "EMA weights are read");
            long modelBytes = m.heldBytes();
            try (Players p = Players.restore(spec, data.shape(), data.classes(), read.arrays())) {
                assertEquals(samples, p.sample(12, 5), "samples of the EMA generator, bit for bit");
                assertArrayEquals(logits, p.discriminate(x, labels), 0, "logits of the critic, bit for bit");
                // no training graphs, penalty graphs, gradients or optimizer moments
                assertTrue(p.cachedBytes() < modelBytes / 2, p.cachedBytes() + " bytes restored, the model held "
                        + modelBytes);
            }
        }
    }

    @Test
    void aCheckpointWithoutAParameterTheNetworksNeedIsRefusedNamingItAndFreesWhatItRead() throws Exception {
        RunSpec spec = spec();
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        try (GanModel m = new GanModel(spec, data)) {
            Checkpoint c = m.checkpoint(0);
            c.write(dir);
            c.free();
        }
        Checkpoint read = Checkpoint.readPlayers(dir.resolve(Checkpoint.FILE));
        String dropped = read.arrays().keySet().stream().filter(n -> n.startsWith("param/d/")).findFirst()
                .orElseThrow();
        read.arrays().remove(dropped).close();
        int open = GraphMemory.open();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Players.restore(spec, data.shape(), data.classes(), read.arrays()));
        assertTrue(e.getMessage().contains(dropped.substring("param/".length())) && e.getMessage().contains("dcgan"),
                e.getMessage());
        assertEquals(open, GraphMemory.open(), "the graphs built before the refusal are released");
        assertTrue(read.arrays().values().stream().allMatch(a -> a.wasClosed()), "the checkpoint's arrays are freed");
    }
}
