package org.jgan.metrics.fashion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.GanComponent;
import org.jgan.api.Options;
import org.jgan.api.SampleSource;
import org.jgan.metrics.features.internal.FeatureMetric;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The shipped classifier on the real Fashion-MNIST test set (skipped where the Debian package is not installed):
 * its documented accuracy, and the sanity checks of the feature metrics with its features.
 */
class FashionMetricsTest {

    /** Test accuracy of the shipped weights, as docs/evaluation.md states it; a retrained file must match it. */
    static final double DOCUMENTED_ACCURACY = 0.90;

    static DataSource test;

    @BeforeAll
    static void open() {
        assumeTrue(FashionData.present(), "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        test = FashionData.open("test");
    }

    @Test
    void theShippedClassifierReachesItsDocumentedTestAccuracy() {
        double accuracy = ClassifierTraining.accuracy(Classifier.shipped(), test);
        assertTrue(accuracy >= DOCUMENTED_ACCURACY, "test accuracy " + accuracy);
    }

    /** The first half of the test set, read by the metric as its real images. */
    static DataSource firstHalf() {
        return new DataSource() {
            @Override
            public DataShape shape() {
                return test.shape();
            }

            @Override
            public long size() {
                return 5000;
            }

            @Override
            public int classes() {
                return test.classes();
            }

            @Override
            public Batch sample(int batchSize, long seed) {
                throw new AssertionError("read by range");
            }

            @Override
            public Batch range(long from, int count) {
                return test.range(from, count);
            }
        };
    }

    static Map<String, Double> score(SampleSource generator) {
        FeatureMetric metric = new FeatureMetric();
        FashionClassifier fx = new FashionClassifier();
        metric.addExtractor(fx, Map.of(GanComponent.NAME, "fashion-mnist"));
        Map<String, String> o = new HashMap<>(Map.of("samples", "5000"));
        return metric.evaluate(generator, firstHalf(), null, "t-", 1,
                Options.resolve("metric 'features'", metric.options(), o)).scores();
    }

    @Test
    void twoHalvesOfTheTestSetAreCloseAndNoiseOrOneImageAreFar() {
        Map<String, Double> halves = score((n, s) -> test.range(5000, n).data());
        Map<String, Double> noise = score((n, s) -> Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, 1, 28, 28)
                .muli(2).subi(1));
        INDArray one = test.range(5000, 1).data();
        Map<String, Double> single = score((n, s) -> one.repeat(0, n));
        System.out.printf("fashion-mnist features, 5000 vs 5000: halves %s%nnoise %s%nsingle %s%n", halves, noise, single);
        assertTrue(halves.get("fd") < 0.02 * noise.get("fd") && halves.get("fd") < 0.05 * single.get("fd"),
                halves + " " + noise + " " + single);
        assertTrue(Math.abs(halves.get("kid")) < 4 * halves.get("kid_se") + 1e-3, halves.toString());
        assertTrue(noise.get("kid") > 100 * halves.get("kid_se"), noise.toString());
        assertTrue(halves.get("precision") > 0.75 && halves.get("recall") > 0.75, halves.toString());
        assertTrue(single.get("recall") < 0.01, single.toString());
        assertTrue(halves.get("cs") > 5 && single.get("cs") < 1.01, halves + " " + single);
        assertEquals(5000.0, halves.get("samples"));
    }
}
