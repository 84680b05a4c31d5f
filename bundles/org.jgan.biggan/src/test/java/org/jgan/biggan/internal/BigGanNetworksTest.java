package org.jgan.biggan.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.api.Side;
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


/** Shapes, ranges, the projection term, truncation, refused settings and gradients of the BigGAN networks. */
class BigGanNetworksTest {

    static final int LATENT = 20;

    static Networks create(DataShape shape, int latent, int classes, String... options) {
        Map<String, String> given = new HashMap<>(Map.of("channels", "8", "embedding", "6"));
        for (int i = 0; i < options.length; i += 2) {
            given.put(options[i], options[i + 1]);
        }
        return new BigGanArchitecture().create(shape, latent, classes,
                Options.resolve("architecture 'biggan'", BigGanArchitecture.OPTIONS, given));
    }

    record Pair(SameDiff sd, TestScope g, TestScope.Store store, SDVariable fake, Critique real, SDVariable loss) {
        static Pair build(Networks nets, DataShape shape, int classes, boolean training) {
            SameDiff sd = SameDiff.create();
            TestScope.Store store = new TestScope.Store();
            TestScope g = new TestScope(sd, Side.GENERATOR, training, store);
            TestScope d = new TestScope(sd, Side.DISCRIMINATOR, training, store);
            SDVariable z = sd.placeHolder("z", DataType.FLOAT, -1, LATENT);
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, shape.batched(-1));
            SDVariable labels = classes > 0 ? sd.placeHolder("labels", DataType.FLOAT, -1, classes) : null;
            SDVariable fake = nets.generator(g, z, labels);
            Critique real = nets.discriminator(d, x, labels);
            Critique onFake = nets.discriminator(d, fake, labels);
            // D's hinge loss plus twice G's term (once would cancel D's fake-side gradient where D(fake) > -1)
            SDVariable loss = sd.nn.relu(real.logits().rsub(1), 0).mean()
                    .add(sd.nn.relu(onFake.logits().add(1), 0).mean()).add(onFake.logits().mean().mul(-2));
            sd.setLossVariables(loss);
            return new Pair(sd, g, store, fake, real, loss);
        }

        Map<String, INDArray> feed(DataShape shape, int batch, int classes, long seed) {
            Nd4j.getRandom().setSeed(seed);
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("z", Nd4j.randn(DataType.FLOAT, batch, LATENT));
            feed.put("x", Nd4j.rand(DataType.FLOAT, shape.batched(batch)).muli(2).subi(1));
            if (classes > 0) {
                feed.put("labels", oneHot(batch, classes));
            }
            g.feedRandoms(feed, batch, seed + 1);
            return feed;
        }
    }

    /** Row i has class i mod classes. */
    static INDArray oneHot(int batch, int classes) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, classes);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % classes, 1);
        }
        return y;
    }

    @ParameterizedTest(name = "{0}x{1}x{1}, {2} classes")
    @CsvSource({"1, 32, 10", "3, 32, 0", "3, 64, 4", "1, 64, 0"})
    void producesImagesInRangeAndLogits(int channels, int size, int classes) {
        DataShape shape = new DataShape(channels, size, size);
        Networks nets = create(shape, LATENT, classes, "truncation", "1.5");
        for (boolean training : new boolean[] {true, false}) {
            Pair p = Pair.build(nets, shape, classes, training);
            Map<String, INDArray> out = p.sd().output(p.feed(shape, 4, classes, 5), p.fake().name(),
                    p.real().logits().name(), p.real().features().name());
            INDArray fake = out.get(p.fake().name());
            assertArrayEquals(new long[] {4, channels, size, size}, fake.shape());
            assertTrue(fake.amaxNumber().doubleValue() <= 1 && fake.stdNumber().doubleValue() > 0, "in [-1, 1], varied");
            assertArrayEquals(new long[] {4, 1}, out.get(p.real().logits().name()).shape());
            assertArrayEquals(new long[] {4, 8}, out.get(p.real().features().name()).shape());
            // hierarchical latent: the input layer sees one chunk of latent / (blocks + 1)
            int chunks = size == 32 ? 4 : 5;
            assertArrayEquals(new long[] {LATENT / chunks, 8 * 16}, p.store().params.get("g/fc/W").shape());
            assertArrayEquals(new long[] {(classes > 0 ? 6 : 0) + LATENT / chunks, 8},
                    p.store().params.get("g/up1/cbn1/gain/W").shape());
            assertEquals(!training, !p.g().randoms.isEmpty(), "truncation resamples only in sampling graphs");
        }
    }

    @Test
    void projectionTermIsTheInnerProductOfClassEmbeddingAndFeatures() {
        DataShape shape = new DataShape(1, 32, 32);
        int classes = 3;
        Pair p = Pair.build(create(shape, LATENT, classes), shape, classes, true);
        Nd4j.getRandom().setSeed(11);
        INDArray v = p.store().params.get("d/embedding");
        v.assign(Nd4j.randn(DataType.FLOAT, v.shape()));
        Map<String, INDArray> feed = p.feed(shape, 6, classes, 2);
        Map<String, INDArray> out = p.sd().output(feed, p.real().logits().name(), p.real().features().name());
        INDArray phi = out.get(p.real().features().name());
        INDArray w = p.store().params.get("d/out/W");
        double b = p.store().params.get("d/out/b").getDouble(0);
        for (int i = 0; i < 6; i++) {
            double expected = b;
            for (int f = 0; f < 8; f++) {
                expected += phi.getDouble(i, f) * (w.getDouble(f, 0) + v.getDouble(i % classes, f));
            }
            double logit = out.get(p.real().logits().name()).getDouble(i, 0);
            assertEquals(expected, logit, 1e-4 * Math.max(1, Math.abs(expected)), "row " + i);
        }
        double projection = 0;
        for (int f = 0; f < 8; f++) {
            projection += Math.abs(phi.getDouble(0, f) * v.getDouble(0, f));
        }
        assertTrue(projection > 1e-3, "the projection term is not negligible");
    }

    @Test
    void truncationThresholdZeroGivesTheMeanLatent() {
        DataShape shape = new DataShape(1, 32, 32);
        Pair truncated = Pair.build(create(shape, LATENT, 0, "truncation", "0"), shape, 0, false);
        Pair plain = Pair.build(create(shape, LATENT, 0), shape, 0, false);
        // same parameter values in both graphs
        plain.store().params.forEach((n, a) -> a.assign(truncated.store().params.get(n)));
        Map<String, INDArray> feed = truncated.feed(shape, 3, 0, 4);
        INDArray t = truncated.sd().output(feed, truncated.fake().name()).get(truncated.fake().name());
        INDArray zero = plain.sd().output(Map.of("z", Nd4j.zeros(DataType.FLOAT, 3, LATENT)), plain.fake().name())
                .get(plain.fake().name());
        assertEquals(0, t.sub(zero).amaxNumber().doubleValue(), 1e-6, "G(truncated z) == G(0)");
        INDArray untruncated = plain.sd().output(Map.of("z", feed.get("z")), plain.fake().name()).get(plain.fake().name());
        assertTrue(untruncated.sub(zero).amaxNumber().doubleValue() > 1e-3, "without truncation z matters");
    }

    @Test
    void truncationResamplesExactlyTheComponentsBeyondTheThreshold() {
        SameDiff sd = SameDiff.create();
        TestScope scope = new TestScope(sd, Side.GENERATOR, false, new TestScope.Store());
        SDVariable z = sd.placeHolder("z", DataType.FLOAT, -1, 50);
        SDVariable out = Truncation.resample(scope, z, 50, 0.5);
        Map<String, INDArray> feed = new HashMap<>();
        Nd4j.getRandom().setSeed(9);
        INDArray zv = Nd4j.randn(DataType.FLOAT, 40, 50);
        feed.put("z", zv);
        scope.feedRandoms(feed, 40, 10);
        INDArray t = sd.output(feed, out.name()).get(out.name());
        int resampled = 0;
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 50; j++) {
                double before = zv.getDouble(i, j);
                double after = t.getDouble(i, j);
                assertTrue(Math.abs(after) <= 0.5, "within the threshold");
                if (Math.abs(before) <= 0.5) {
                    assertEquals(before, after, 0, "kept");
                } else {
                    resampled++;
                    assertTrue(after != 0, "resampled, not zeroed (probability 0.62^32)");
                }
            }
        }
        // about 62% of N(0, 1) draws lie beyond 0.5
        assertTrue(resampled > 1000 && resampled < 1500, "resampled " + resampled);
        // the resampled values follow N(0, 1) truncated to [-0.5, 0.5]: mean 0, variance 0.0802
        double var = t.mul(t).meanNumber().doubleValue();
        assertEquals(0.0802, var, 0.01);
    }

    @Test
    void refusesLatentSizesThatDoNotSplitAndUnsupportedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> create(new DataShape(1, 32, 32), 18, 0));
        assertTrue(e.getMessage().contains("'latent'") && e.getMessage().contains("multiple of 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> create(new DataShape(1, 28, 28), LATENT, 0));
        assertTrue(e.getMessage().contains("[C, 32, 32]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Options.resolve("architecture 'biggan'",
                BigGanArchitecture.OPTIONS, Map.of("truncation", "-1")));
        assertTrue(e.getMessage().contains("'truncation'"), e.getMessage());
    }
}
