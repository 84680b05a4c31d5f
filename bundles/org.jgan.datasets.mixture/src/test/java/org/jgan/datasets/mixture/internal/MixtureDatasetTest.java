package org.jgan.datasets.mixture.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.MixtureModel;
import org.jgan.api.Options;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Statistics of the mixture datasets. */
class MixtureDatasetTest {

    static DataSource open(Dataset d, Map<String, String> options) {
        return d.open(Options.resolve("dataset", d.options(), options));
    }

    /** Per-sample distance to the nearest mean, and counts per mode. */
    static double[] nearest(double[][] x, double[][] means, int[] counts) {
        double[] dist = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double best = Double.MAX_VALUE;
            int arg = -1;
            for (int m = 0; m < means.length; m++) {
                double d = 0;
                for (int j = 0; j < means[m].length; j++) {
                    d += (x[i][j] - means[m][j]) * (x[i][j] - means[m][j]);
                }
                if (d < best) {
                    best = d;
                    arg = m;
                }
            }
            dist[i] = Math.sqrt(best);
            counts[arg]++;
        }
        return dist;
    }

    @Test
    void ringHasEightEquallyLikelyModesOfRadiusTwoAndStd002() {
        DataSource ring = open(new RingDataset(), Map.of());
        MixtureModel mix = (MixtureModel) ring;
        assertEquals(8, mix.means().length);
        for (double[] m : mix.means()) {
            assertEquals(2.0, Math.hypot(m[0], m[1]), 1e-12);
        }
        double[][] x = ring.sample(16000, 3).data().toDoubleMatrix();
        int[] counts = new int[8];
        double[] dist = nearest(x, mix.means(), counts);
        for (int c : counts) {
            assertEquals(2000, c, 150, "mode counts " + java.util.Arrays.toString(counts));
        }
        // For 2-D isotropic noise, E|e|^2 = 2 std^2.
        double ms = java.util.Arrays.stream(dist).map(d -> d * d).average().orElseThrow();
        assertEquals(2 * 0.02 * 0.02, ms, 0.05 * 2 * 0.02 * 0.02);
    }

    @Test
    void labelsNameEachSamplesModeWhenAskedFor() {
        assertEquals(0, open(new RingDataset(), Map.of()).classes());
        assertEquals(null, open(new RingDataset(), Map.of()).sample(4, 1).labels());
        DataSource ring = open(new RingDataset(), Map.of("labels", "true"));
        assertEquals(8, ring.classes());
        org.jgan.api.Batch b = ring.sample(500, 5);
        assertArrayEquals(new long[] {500, 8}, b.labels().shape());
        int[] counts = new int[8];
        double[] dist = nearest(b.data().toDoubleMatrix(), ((MixtureModel) ring).means(), counts);
        for (int i = 0; i < 500; i++) {
            double[] row = b.labels().getRow(i).toDoubleVector();
            assertEquals(1.0, java.util.Arrays.stream(row).sum(), 0);
            int label = 0;
            while (row[label] != 1) {
                label++;
            }
            double[] mean = ((MixtureModel) ring).means()[label];
            double[] x = b.data().getRow(i).toDoubleVector();
            assertEquals(dist[i], Math.hypot(x[0] - mean[0], x[1] - mean[1]), 1e-6, "row " + i + " is labelled with its mode");
        }
        assertEquals(open(new RingDataset(), Map.of()).sample(500, 5).data(), b.data(), "labels do not change the data");
    }

    @Test
    void sameSeedSameBatchOtherSeedOtherBatch() {
        DataSource grid = open(new GridDataset(), Map.of());
        INDArray a = grid.sample(32, 11).data();
        assertEquals(a, grid.sample(32, 11).data());
        assertTrue(!a.equals(grid.sample(32, 12).data()));
        assertArrayEquals(new long[] {32, 2}, a.shape());
    }

    @Test
    void gridMeansSpanMinusFourToFour() {
        double[][] means = ((MixtureModel) open(new GridDataset(), Map.of())).means();
        assertEquals(25, means.length);
        assertArrayEquals(new double[] {-4, -4}, means[0], 1e-12);
        assertArrayEquals(new double[] {4, 4}, means[24], 1e-12);
        assertArrayEquals(new double[] {0, 0}, means[12], 1e-12);
    }

    @Test
    void submanifoldLiesInATiltedPlaneThroughTheShiftedCenter() {
        DataSource sub = open(new SubmanifoldDataset(), Map.of());
        MixtureModel mix = (MixtureModel) sub;
        assertEquals(7, mix.means().length);
        assertEquals(3, sub.shape().dims()[0]);
        // The plane z=0 rotated about (1,-1,0)/sqrt2 by pi/4: its normal is R^T applied to (0,0,1) for row vectors.
        double[][] r = SubmanifoldDataset.rodrigues(new double[] {1 / Math.sqrt(2), -1 / Math.sqrt(2), 0}, Math.PI / 4);
        double[] normal = {r[2][0], r[2][1], r[2][2]};
        assertTrue(Math.abs(normal[2]) < 0.99, "the plane is tilted, not z = const");
        double shift = 1 / Math.sqrt(3);
        double[][] x = sub.sample(2000, 5).data().toDoubleMatrix();
        for (double[] p : x) {
            double off = (p[0] - shift) * normal[0] + (p[1] - shift) * normal[1] + (p[2] - shift) * normal[2];
            assertEquals(0, off, 1e-5, "every sample lies on the 2-D submanifold");
            double radius = Math.sqrt((p[0] - shift) * (p[0] - shift) + (p[1] - shift) * (p[1] - shift)
                    + (p[2] - shift) * (p[2] - shift));
            assertEquals(1.0, radius, 0.06);
        }
        int[] counts = new int[7];
        double[] dist = nearest(x, mix.means(), counts);
        assertTrue(java.util.Arrays.stream(dist).max().orElseThrow() < 6 * 0.01);
    }
}
