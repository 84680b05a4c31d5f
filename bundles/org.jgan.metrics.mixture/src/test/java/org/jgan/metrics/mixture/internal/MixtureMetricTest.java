package org.jgan.metrics.mixture.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.MetricResult;
import org.jgan.api.MixtureModel;
import org.jgan.api.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/** The mixture metric on point sets whose answer is known. */
class MixtureMetricTest {

    private static final double[][] MEANS = {{0, 0}, {10, 0}, {0, 10}, {10, 10}};

    @Test
    void countsModesAndHighQualityFraction() {
        // 30 points on mode 0, 25 near mode 1 (within 3 std), 10 on mode 2 (below minPerMode 20), 35 far away.
        double[][] pts = new double[100][];
        int i = 0;
        for (int k = 0; k < 30; k++) {
            pts[i++] = new double[] {0, 0};
        }
        for (int k = 0; k < 25; k++) {
            pts[i++] = new double[] {10 + 0.25, 0};
        }
        for (int k = 0; k < 10; k++) {
            pts[i++] = new double[] {0, 10};
        }
        for (int k = 0; k < 35; k++) {
            pts[i++] = new double[] {5, 5};
        }
        ModeCoverage c = ModeCoverage.of(pts, MEANS, 0.1, 3, 20);
        // published convention: one high-quality sample covers a mode; strict: minPerMode of them
        assertEquals(3, c.modesCovered());
        assertEquals(2, c.modesStrict());
        assertEquals(0.65, c.highQuality(), 1e-12);
        assertArrayEquals(new int[] {30, 25, 10, 0}, c.counts());
        // 0.31 is beyond 3 std of 0.1
        assertEquals(0, ModeCoverage.of(new double[][] {{10.31, 0}}, MEANS, 0.1, 3, 1).highQuality());
        // strictly within: a sample exactly 3 std away does not count (PacGAN's and VEEGAN's code compare with <)
        ModeCoverage edge = ModeCoverage.of(new double[][] {{10.5, 0}}, MEANS, 0.25, 2, 1);
        assertEquals(0, edge.highQuality());
        assertEquals(0, edge.modesCovered());
        // one stray sample on mode 3 counts under the published convention only
        double[][] stray = java.util.Arrays.copyOf(pts, 101);
        stray[100] = new double[] {10, 10};
        ModeCoverage s = ModeCoverage.of(stray, MEANS, 0.1, 3, 20);
        assertEquals(4, s.modesCovered());
        assertEquals(2, s.modesStrict());
    }

    @Test
    void evaluatesAGeneratorAndWritesAScatterPlot(@TempDir Path dir) throws Exception {
        MixtureMetric metric = new MixtureMetric();
        DataSource data = new FixedMixture();
        // A generator that puts every sample exactly on one of two modes.
        MetricResult r = metric.evaluate((n, seed) -> {
            double[][] out = new double[n][];
            for (int k = 0; k < n; k++) {
                out[k] = MEANS[k % 2].clone();
            }
            return Nd4j.create(out);
        }, data, dir, "t-", 1, Options.resolve("metric", metric.options(), Map.of("samples", "200")));
        assertEquals(Map.of("modes", 2.0, "modes_strict", 2.0, "modes_total", 4.0, "high_quality", 1.0), r.scores());
        assertTrue(Files.size(dir.resolve("t-scatter.png")) > 1000);
        assertTrue(metric.supports(data));
    }

    /** Four modes, std 0.1, samples exactly at the means. */
    private static final class FixedMixture implements DataSource, MixtureModel {
        @Override
        public DataShape shape() {
            return new DataShape(2);
        }

        @Override
        public long size() {
            return Long.MAX_VALUE;
        }

        @Override
        public int classes() {
            return 0;
        }

        @Override
        public Batch sample(int batchSize, long seed) {
            double[][] out = new double[batchSize][];
            for (int k = 0; k < batchSize; k++) {
                out[k] = MEANS[k % 4].clone();
            }
            return new Batch(Nd4j.create(out), null);
        }

        @Override
        public double[][] means() {
            return MEANS;
        }

        @Override
        public double stddev() {
            return 0.1;
        }
    }
}
