package org.jgan.metrics.features.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.FeatureExtractor;
import org.jgan.api.GanComponent;
import org.jgan.api.Options;
import org.jgan.api.SampleSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The metric component with a stand-in extractor: sanity of its scores, determinism, extractor choice. */
class FeatureMetricTest {

    static final DataShape SHAPE = new DataShape(1, 4, 4);

    /** Features: the 16 pixels; probabilities: one-hot of the largest of the first 4 pixels. */
    static final class PixelExtractor implements FeatureExtractor {
        int calls;

        @Override
        public String description() {
            return "pixels";
        }

        @Override
        public boolean supports(DataShape shape) {
            return shape.equals(SHAPE);
        }

        @Override
        public Features extract(INDArray images) {
            calls++;
            INDArray f = images.reshape(images.size(0), 16).castTo(DataType.FLOAT);
            INDArray p = Nd4j.zeros(DataType.FLOAT, images.size(0), 4);
            INDArray arg = f.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4)).argMax(1);
            for (int i = 0; i < images.size(0); i++) {
                p.putScalar(i, arg.getInt(i), 1);
            }
            return new Features(f, p);
        }
    }

    static INDArray gaussianImages(int n, double mean, long seed) {
        double[][] x = FeatureMathTest.gaussian(n, 16, mean, 1, seed);
        return Nd4j.createFromArray(x).castTo(DataType.FLOAT).reshape(n, 1, 4, 4);
    }

    /** 6000 fixed N(0, 1) images; {@link #range} reads them in order. */
    static final class GaussianData implements DataSource {
        final INDArray images = gaussianImages(6000, 0, 99);

        @Override
        public DataShape shape() {
            return SHAPE;
        }

        @Override
        public long size() {
            return 6000;
        }

        @Override
        public int classes() {
            return 0;
        }

        @Override
        public Batch sample(int batchSize, long seed) {
            throw new AssertionError("a finite dataset is read by range");
        }

        @Override
        public Batch range(long from, int count) {
            return new Batch(images.get(NDArrayIndex.interval(from, from + count)).dup(), null);
        }
    }

    final PixelExtractor extractor = new PixelExtractor();
    final FeatureMetric metric = new FeatureMetric();
    final GaussianData data = new GaussianData();

    FeatureMetricTest() {
        metric.addExtractor(extractor, Map.of(GanComponent.NAME, "pixels"));
    }

    Map<String, Double> score(SampleSource g, Map<String, String> given) {
        Map<String, String> o = new HashMap<>(Map.of("samples", "2000"));
        o.putAll(given);
        return metric.evaluate(g, data, null, "t-", 7, Options.resolve("metric 'features'", metric.options(), o)).scores();
    }

    @Test
    void aGeneratorOfTheDataDistributionScoresFarBetterThanAShiftedOneOrOneRepeatedImage() {
        Map<String, Double> good = score((n, s) -> gaussianImages(n, 0, s), Map.of());
        Map<String, Double> shifted = score((n, s) -> gaussianImages(n, 1, s), Map.of());
        Map<String, Double> single = score((n, s) -> gaussianImages(1, 0, 5).repeat(0, n), Map.of());
        assertTrue(good.get("fd") < 0.2, good.toString());
        assertTrue(shifted.get("fd") > 14 && single.get("fd") > 14, shifted + " " + single); // |mu|^2 = 16; 16 * 1^2
        assertTrue(Math.abs(good.get("kid")) < 4 * good.get("kid_se") + 1e-3, good.toString());
        assertTrue(shifted.get("kid") > 20 * good.get("kid_se"), shifted.toString());
        // in 16-D, 2000 points with k = 3 cover about 3/4 of their own distribution
        assertTrue(good.get("precision") > 0.7 && good.get("recall") > 0.7, good.toString());
        assertTrue(shifted.get("precision") < 0.3 && shifted.get("recall") < 0.3, shifted.toString());
        assertTrue(single.get("recall") < 0.01, single.toString());
        assertTrue(good.get("cs") > 3.5, good.toString()); // argmax spread evenly over 4 classes
        assertEquals(1.0, single.get("cs"), 1e-9);
        assertEquals(2000.0, good.get("samples"));
        assertEquals(2000.0, good.get("real_samples"));
    }

    @Test
    void scoresAreDeterministicForASeedAndRealFeaturesAreExtractedOnce() {
        SampleSource g = (n, s) -> gaussianImages(n, 0.2, s);
        Map<String, Double> a = score(g, Map.of("realSamples", "3000"));
        int calls = extractor.calls;
        Map<String, Double> b = score(g, Map.of("realSamples", "3000"));
        assertEquals(a, b);
        assertEquals(3000.0, a.get("real_samples"));
        assertEquals(4, extractor.calls - calls); // 2000 generated images in chunks of 500, real ones cached
    }

    @Test
    void theExtractorIsChosenByShapeOrNameWithClearErrors() {
        assertTrue(metric.supports(data));
        assertEquals("pixels", metric.choose("auto", SHAPE).name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> metric.choose("inception", SHAPE));
        assertTrue(e.getMessage().contains("'inception'") && e.getMessage().contains("installed extractors: pixels"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> metric.choose("auto", new DataShape(3, 32, 32)));
        assertTrue(e.getMessage().contains("[3, 32, 32]"), e.getMessage());
        metric.removeExtractor(extractor);
        assertFalse(metric.supports(data));
    }
}
