package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.Side;
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
        Run kept = run(architecture, extra, true, null);
        Run anew = run(architecture, extra, false, null);
        assertTrue(kept.afterTwo > 0, label + ": the steps fed arrays of their own");
        assertEquals(kept.afterTwo, kept.atEnd, label + ": input arrays made after two iterations (kept: none)");
        assertEquals(0, anew.atEnd, label + ": switched off, the steps drew into new arrays as before");
        assertEquals(anew.arrays.keySet(), kept.arrays.keySet(), label);
        kept.arrays.forEach((name, a) -> assertArrayEquals(anew.arrays.get(name), a, 0f, label + ": " + name));
    }

    /**
     * The data batch is drawn into the graph's kept arrays where the source writes there (the ring's mixture, the
     * test images), and a source that does not (the API's default, a new batch) trains the same bits; a G step whose
     * outputs do not depend on the data batch draws none, one whose loss or terms read it does (a relativistic loss,
     * feature matching; a conditional game's G step draws its labels itself and reads no batch).
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(delimiter = ';', value = {
        "mlp; ''; D",
        "mlp; loss=rpgan; D G",
        "mlp; regularizers=feature-matching; D G",
        "dcgan; dataset.classes=4 dataset.pool=40; D"})
    void theDataBatchIsDrawnIntoKeptArraysWhereAStepReadsIt(String architecture, String extra, String reading) {
        String label = architecture + " " + extra;
        Counting into = new Counting(false);
        Counting anew = new Counting(true);
        Run kept = run(architecture, extra, true, into);
        Run fresh = run(architecture, extra, true, anew);
        assertEquals(kept.afterTwo, kept.atEnd, label + ": input arrays made after two iterations");
        Set<Side> expected = EnumSet.noneOf(Side.class);
        for (String s : reading.split(" ")) {
            expected.add(s.equals("D") ? Side.DISCRIMINATOR : Side.GENERATOR);
        }
        assertEquals(expected, kept.readingData, label + ": the sides whose steps read the data batch");
        assertEquals(4 * expected.size(), into.draws, label + ": batches drawn in four iterations");
        assertEquals(into.draws, into.written, label + ": every batch written into the kept arrays");
        assertEquals(into.draws, anew.draws, label + ": a source without sample(.., into) is asked as often");
        assertEquals(fresh.arrays.keySet(), kept.arrays.keySet(), label);
        kept.arrays.forEach((name, a) -> assertArrayEquals(fresh.arrays.get(name), a, 0f, label + ": " + name));
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

    /**
     * A data source that counts the batches asked of it and those its source wrote into the caller's arrays; with
     * {@code fresh} it offers the source no arrays (as a source without {@code sample(.., into)} behaves).
     */
    private static final class Counting implements DataSource {
        private final boolean fresh;
        DataSource inner;
        int draws;
        int written;

        Counting(boolean fresh) {
            this.fresh = fresh;
        }

        @Override
        public DataShape shape() {
            return inner.shape();
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public int classes() {
            return inner.classes();
        }

        @Override
        public Batch sample(int batchSize, long seed) {
            draws++;
            return inner.sample(batchSize, seed);
        }

        @Override
        public Batch sample(int batchSize, long seed, Batch into) {
            if (fresh) {
                return sample(batchSize, seed);
            }
            draws++;
            Batch b = inner.sample(batchSize, seed, into);
            if (b == into) {
                written++;
            }
            return b;
        }
    }

    private record Run(long afterTwo, long atEnd, Map<String, float[]> arrays, Set<Side> readingData) {
    }

    /**
     * Four iterations of the configuration; the input arrays made after two iterations and at the end. With a
     * {@link Counting} source, on its dataset seen through it.
     */
    private static Run run(String architecture, String extra, boolean keep, Counting counting) {
        boolean before = FeedArrays.enable(keep);
        RunSpec spec = StackedCritiquesTest.spec(architecture, StackedCritiquesTest.settings(extra));
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        if (counting != null) {
            counting.inner = data;
        }
        try (GanModel m = new GanModel(spec, counting != null ? counting : data)) {
            long afterTwo = 0;
            for (int it = 0; it < 4; it++) {
                m.discriminatorStep(it, 0);
                m.generatorStep(it);
                if (it == 1) {
                    // (a lazy term's graph without it runs first at iteration 1)
                    afterTwo = m.feedsMade();
                }
            }
            return new Run(afterTwo, m.feedsMade(), SameSteps.checkpointArrays(m, 4), m.sidesReadingData());
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
