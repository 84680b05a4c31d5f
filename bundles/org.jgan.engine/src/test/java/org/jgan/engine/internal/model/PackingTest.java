package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** PacGAN's packing: D judges m samples at once, concatenated, and everything else stays as it was. */
class PackingTest {

    private static RunSpec spec(String... kv) {
        Map<String, String> raw = new HashMap<>(Map.of("batchSize", "6", "latent", "4", "metrics", "none"));
        for (int i = 0; i < kv.length; i += 2) {
            raw.put(kv[i], kv[i + 1]);
        }
        if (raw.getOrDefault("architecture", "mlp").equals("mlp")) {
            raw.put("architecture.hidden", "8");
        }
        return RunSpec.parse(raw, TestCatalog.create(), "pack");
    }

    private static GanModel model(RunSpec spec) {
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        return new GanModel(spec, data);
    }

    /** D of the MLP preset's layout in double precision on one pack, from the model's own parameters. */
    private static double logit(Map<String, INDArray> p, double[] pack) {
        double[] h = pack;
        for (String layer : new String[] {"fc0", "fc1", "out"}) {
            double[][] w = p.get("d/" + layer + "/W").castTo(DataType.DOUBLE).toDoubleMatrix();
            double[] b = p.get("d/" + layer + "/b").castTo(DataType.DOUBLE).toDoubleVector();
            double[] next = new double[b.length];
            for (int j = 0; j < b.length; j++) {
                next[j] = b[j];
                for (int i = 0; i < h.length; i++) {
                    next[j] += h[i] * w[i][j];
                }
                next[j] = layer.equals("out") ? next[j] : Math.max(0, next[j]);
            }
            h = next;
        }
        return h[0];
    }

    @Test
    void theDiscriminatorOfVectorDataJudgesConsecutiveRowsConcatenated() {
        try (GanModel m = model(spec("packing", "2"))) {
            Map<String, INDArray> p = m.store().params();
            // ring-8 samples are 2-D: a pack of 2 is 4 inputs; G is unchanged
            assertArrayEquals(new long[] {4, 8}, p.get("d/fc0/W").shape());
            assertArrayEquals(new long[] {8, 2}, p.get("g/out/W").shape());
            m.discriminatorStep(0, 0);
            m.generatorStep(0);
            double[][] rows = {{0.1, 2}, {-1.5, 0.3}, {2, -2}, {0.7, 0.7}, {-0.2, -1.1}};
            double[] got = m.players().discriminate(Nd4j.createFromArray(rows).castTo(DataType.FLOAT), null);
            double[] pack01 = {0.1, 2, -1.5, 0.3};
            double[] pack23 = {2, -2, 0.7, 0.7};
            // the last row is completed with the first
            double[] pack40 = {-0.2, -1.1, 0.1, 2};
            double[] expected = {logit(p, pack01), logit(p, pack01), logit(p, pack23), logit(p, pack23),
                    logit(p, pack40)};
            for (int i = 0; i < rows.length; i++) {
                assertEquals(expected[i], got[i], 1e-5, "row " + i);
            }
            assertTrue(Math.abs(expected[0] - expected[2]) > 1e-4, "the packs are told apart");
            assertArrayEquals(new long[] {7, 2}, m.sample(7, 3).shape());
        }
    }

    @Test
    void theDiscriminatorOfImagesStacksChannelsAndSamplesKeepTheirShape() {
        String[] images = {"dataset", "test-images", "dataset.channels", "1", "architecture", "dcgan",
                "architecture.channels", "4"};
        long[] single;
        try (GanModel m = model(spec(images))) {
            single = m.store().params().get("d/conv0/W").shape();
        }
        String[] packed = java.util.Arrays.copyOf(images, images.length + 2);
        packed[images.length] = "packing";
        packed[images.length + 1] = "3";
        try (GanModel m = model(spec(packed))) {
            // DCGAN's first convolution takes 3 stacked 1-channel images: one dimension of its kernel is 3 times longer
            long[] stacked = m.store().params().get("d/conv0/W").shape();
            int differing = 0;
            for (int i = 0; i < single.length; i++) {
                if (stacked[i] != single[i]) {
                    assertEquals(3 * single[i], stacked[i], java.util.Arrays.toString(stacked));
                    differing++;
                }
            }
            assertEquals(1, differing, java.util.Arrays.toString(single) + " -> " + java.util.Arrays.toString(stacked));
            Map<String, Double> d = m.discriminatorStep(0, 0);
            Map<String, Double> g = m.generatorStep(0);
            assertTrue(Double.isFinite(d.get("d_loss")) && Double.isFinite(g.get("g_loss")), d + " " + g);
            assertArrayEquals(new long[] {5, 1, 28, 28}, m.sample(5, 1).shape());
            assertEquals(5, m.players().discriminate(m.sample(5, 2), null).length);
        }
    }

    @Test
    void packingIsRefusedWhereItHasNoMeaning() {
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> spec("packing", "4"));
        assertEquals("setting 'packing' is 4, which does not divide the batchSize 6; expected a divisor (whole packs "
                + "of samples)", batch.getMessage());
        IllegalArgumentException micro = assertThrows(IllegalArgumentException.class,
                () -> spec("packing", "2", "batchSize", "12", "accumulate", "4"));
        assertTrue(micro.getMessage().startsWith("setting 'packing' is 2, which does not divide the micro-batch "
                + "batchSize/accumulate 3"), micro.getMessage());
        IllegalArgumentException codes = assertThrows(IllegalArgumentException.class,
                () -> spec("packing", "2", "regularizers", "infogan", "latent", "12"));
        assertEquals("setting 'packing' is 2 with regularizer 'infogan', which recovers each sample's latent codes "
                + "from D's features where a packed D sees packs; expected packing=1", codes.getMessage());
        IllegalArgumentException conditional = assertThrows(IllegalArgumentException.class,
                () -> model(spec("packing", "2", "dataset.labels", "true")).close());
        assertEquals("setting 'packing' is 2 in a run conditional on 8 classes: a pack of samples has no one class to "
                + "condition D on; expected packing=1", conditional.getMessage());
        // what packing allows: instance noise, spectral normalization, gradient penalties on the packs (their
        // exactness on a packed D: PenaltyExactnessTest, "mlp packing 2")
        try (GanModel m = model(spec("packing", "2", "regularizers", "instance-noise,spectral-norm,r1,roth"))) {
            Map<String, Double> d = m.discriminatorStep(0, 0);
            assertTrue(Double.isFinite(d.get("d_r1")) && d.get("d_r1") > 0, d.toString());
            assertTrue(Double.isFinite(d.get("d_roth")) && d.get("d_roth") > 0, d.toString());
        }
    }

    @Test
    void packingOneIsTheArchitecturesOwnNetworks() {
        try (GanModel m = model(spec())) {
            assertEquals(1, Packing.of(m.networks()));
            assertArrayEquals(new long[] {2, 8}, m.store().params().get("d/fc0/W").shape());
        }
    }
}
