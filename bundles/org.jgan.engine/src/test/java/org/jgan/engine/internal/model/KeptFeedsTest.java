package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The inputs a step draws itself, written into arrays kept from step to step ({@link FeedArrays}), train as the new
 * arrays drawn at every step before them did ({@code Seeds.gaussian}, {@code LatentLayout.draw}, {@code Nd4j.scalar},
 * with the switch off): after four iterations every array of the model (parameters, optimizer state, buffers) has the
 * same bits, and no input array was made after the first two iterations.
 */
class KeptFeedsTest {

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(delimiter = ';', value = {
        // per-layer noise inputs, R1's weight (a lazy term: due on some steps, so two graphs)
        "stylegan; regularizers=r1 regularizer.r1.every=2",
        // a G step's uniformly drawn labels
        "biggan; dataset.classes=4",
        // InfoGAN's codes written into z
        "mlp; regularizers=infogan regularizer.infogan.categorical=4 regularizer.infogan.continuous=1",
        // micro-batches: rows of the kept arrays
        "mlp; regularizers=r1 accumulate=2"})
    void keptInputsGiveTheStepsOfNewOnesAndAreMadeOnce(String architecture, String extra) {
        String label = architecture + " " + extra;
        Run kept = run(architecture, extra, true);
        Run anew = run(architecture, extra, false);
        assertTrue(kept.afterTwo > 0, label + ": the steps fed arrays of their own");
        assertEquals(kept.afterTwo, kept.atEnd, label + ": input arrays made after two iterations (kept: none)");
        assertEquals(0, anew.atEnd, label + ": switched off, the steps drew into new arrays as before");
        assertEquals(anew.arrays.keySet(), kept.arrays.keySet(), label);
        kept.arrays.forEach((name, a) -> assertArrayEquals(anew.arrays.get(name), a, 0f, label + ": " + name));
    }

    @Test
    void aScheduledModelOptionWrittenInPlaceTakesEachIterationsValue() {
        // a VAE whose KL weight rises at every iteration: the kept scalar is written over with each step's value
        Map<String, String> raw = new HashMap<>(Map.of("model", "vae", "batchSize", "6", "latent", "2",
                "metrics", "none", "architecture.hidden", "5", "schedule.model.beta",
                "cosine(to=1, warmup=4, from=0)"));
        Map<String, float[]> kept = vae(raw, true);
        Map<String, float[]> anew = vae(raw, false);
        assertEquals(anew.keySet(), kept.keySet());
        kept.forEach((name, a) -> assertArrayEquals(anew.get(name), a, 0f, name));
    }

    private record Run(long afterTwo, long atEnd, Map<String, float[]> arrays) {
    }

    /** Four iterations of the configuration; the input arrays made after two iterations and at the end. */
    private static Run run(String architecture, String extra, boolean keep) {
        boolean before = FeedArrays.enable(keep);
        try (GanModel m = StackedCritiquesTest.model(architecture, StackedCritiquesTest.settings(extra))) {
            long afterTwo = 0;
            for (int it = 0; it < 4; it++) {
                m.discriminatorStep(it, 0);
                m.generatorStep(it);
                if (it == 1) {
                    // (a lazy term's graph without it runs first at iteration 1)
                    afterTwo = m.feedsMade();
                }
            }
            return new Run(afterTwo, m.feedsMade(), SameSteps.checkpointArrays(m, 4));
        } finally {
            FeedArrays.enable(before);
        }
    }

    private static Map<String, float[]> vae(Map<String, String> raw, boolean keep) {
        boolean before = FeedArrays.enable(keep);
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "vae");
        try (GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()))) {
            for (long it = 0; it < 4; it++) {
                m.run(m.schedule().phases().get(0), it, 0);
            }
            return SameSteps.checkpointArrays(m, 4);
        } finally {
            FeedArrays.enable(before);
        }
    }
}
