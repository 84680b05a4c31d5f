package org.jgan.stylegan.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
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


/** Shapes, ranges, noise inputs, style mixing, truncation in W and gradients of the StyleGAN networks. */
class StyleGanNetworksTest {

    static final int LATENT = 12;

    static StyleGanNetworks create(DataShape shape, String... options) {
        Map<String, String> given = new HashMap<>(Map.of("channels", "8", "wDim", "16", "mappingLayers", "3"));
        for (int i = 0; i < options.length; i += 2) {
            given.put(options[i], options[i + 1]);
        }
        return (StyleGanNetworks) new StyleGanArchitecture().create(shape, LATENT, 0,
                Options.resolve("architecture 'stylegan'", StyleGanArchitecture.OPTIONS, given));
    }

    record Pair(SameDiff sd, TestScope g, TestScope.Store store, SDVariable fake, Critique real, SDVariable loss) {
        static Pair build(StyleGanNetworks nets, DataShape shape, boolean training) {
            SameDiff sd = SameDiff.create();
            TestScope.Store store = new TestScope.Store();
            TestScope g = new TestScope(sd, Side.GENERATOR, training, store);
            TestScope d = new TestScope(sd, Side.DISCRIMINATOR, training, store);
            SDVariable z = sd.placeHolder("z", DataType.FLOAT, -1, LATENT);
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, shape.batched(-1));
            SDVariable fake = nets.generator(g, z, null);
            Critique real = nets.discriminator(d, x, null);
            Critique onFake = nets.discriminator(d, fake, null);
            SDVariable loss = sd.nn.softplus(real.logits().neg()).mean().add(sd.nn.softplus(onFake.logits()).mean())
                    .add(sd.nn.softplus(onFake.logits().neg()).mean().mul(2));
            sd.setLossVariables(loss);
            return new Pair(sd, g, store, fake, real, loss);
        }

        Map<String, INDArray> feed(DataShape shape, int batch, long seed) {
            Nd4j.getRandom().setSeed(seed);
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("z", Nd4j.randn(DataType.FLOAT, batch, LATENT));
            feed.put("x", Nd4j.rand(DataType.FLOAT, shape.batched(batch)).muli(2).subi(1));
            g.feedRandoms(feed, batch, seed + 1);
            return feed;
        }

        INDArray fake(Map<String, INDArray> feed) {
            return sd.output(feed, fake.name()).get(fake.name());
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{1}, {2}")
    @CsvSource({"1, 32, adain", "3, 32, demodulation", "3, 64, adain", "1, 64, demodulation"})
    void producesImagesInRangeAndLogits(int channels, int size, String modulation) {
        DataShape shape = new DataShape(channels, size, size);
        StyleGanNetworks nets = create(shape, "modulation", modulation);
        for (boolean training : new boolean[] {true, false}) {
            Pair p = Pair.build(nets, shape, training);
            Map<String, INDArray> out = p.sd().output(p.feed(shape, 4, 3), p.fake().name(), p.real().logits().name());
            INDArray fake = out.get(p.fake().name());
            assertArrayEquals(new long[] {4, channels, size, size}, fake.shape());
            assertTrue(fake.amaxNumber().doubleValue() <= 1 && fake.stdNumber().doubleValue() > 0, "in [-1, 1], varied");
            assertArrayEquals(new long[] {4, 1}, out.get(p.real().logits().name()).shape());
            // StyleGAN's D head: blocks down to 4x4, then conv3x3, flatten, dense C (the features), dense logit
            assertArrayEquals(new long[] {8 * 4 * 4, 8}, p.store().params.get("d/fc/W").shape());
            assertArrayEquals(new long[] {8, 1}, p.store().params.get("d/out/W").shape());
            INDArray features = p.sd().output(p.feed(shape, 4, 3), p.real().features().name())
                    .get(p.real().features().name());
            assertArrayEquals(new long[] {4, 8}, features.shape());
            assertEquals(size == 32 ? 3 : 4, p.store().params.keySet().stream()
                    .filter(n -> n.startsWith("d/block") && n.endsWith("/conv1/W")).count(), "blocks 'size' to 4x4");
            int layers = 2 * (size == 32 ? 4 : 5);
            assertEquals(layers, nets.styleLayers());
            long noiseInputs = p.g().randoms.keySet().stream().filter(n -> n.endsWith("/noise")).count();
            assertEquals(modulation.equals("adain") ? layers : layers - 1, noiseInputs, "one noise input per conv layer");
            assertEquals(training, p.g().randoms.containsKey("g/noise/mixing/z"), "mixing only while training");
        }
    }

    @Test
    void noiseInputsChangeTheImageThroughTheirLearnedStrength() {
        DataShape shape = new DataShape(1, 32, 32);
        Pair p = Pair.build(create(shape), shape, false);
        Map<String, INDArray> feed = p.feed(shape, 2, 5);
        INDArray a = p.fake(feed).dup();
        p.g().feedRandoms(feed, 2, 99);
        assertEquals(0, a.sub(p.fake(feed)).amaxNumber().doubleValue(), 1e-6, "strengths start at 0");
        p.store().params.get("g/b16/layer0/noise/strength").assign(0.5);
        INDArray b = p.fake(feed).dup();
        p.g().feedRandoms(feed, 2, 7);
        assertTrue(b.sub(p.fake(feed)).amaxNumber().doubleValue() > 1e-4, "other noise, other image");
    }

    @Test
    void truncationWithPsiZeroGivesTheMeanW() {
        DataShape shape = new DataShape(1, 32, 32);
        Pair p = Pair.build(create(shape, "psi", "0"), shape, false);
        Nd4j.getRandom().setSeed(4);
        p.store().buffers.get("g/buffer/w_avg").assign(Nd4j.randn(DataType.FLOAT, 16));
        INDArray samples = p.fake(p.feed(shape, 3, 8));
        // equal up to float32 rounding, which differs between rows where a kernel's blocking puts them at
        // different positions (2.2e-6 with one OpenMP thread): far below the 1e-4 of another w_avg below
        for (int i = 1; i < 3; i++) {
            assertEquals(0, samples.slice(i).sub(samples.slice(0)).amaxNumber().doubleValue(), 1e-5,
                    "every latent maps to G(w_avg)");
        }
        INDArray atAvg = samples.slice(0).dup();
        p.store().buffers.get("g/buffer/w_avg").assign(Nd4j.randn(DataType.FLOAT, 16));
        assertTrue(p.fake(p.feed(shape, 3, 8)).slice(0).sub(atAvg).amaxNumber().doubleValue() > 1e-4,
                "the image follows w_avg");
        Pair untruncated = Pair.build(create(shape), shape, false);
        INDArray free = untruncated.fake(untruncated.feed(shape, 3, 8));
        assertTrue(free.slice(1).sub(free.slice(0)).amaxNumber().doubleValue() > 1e-3, "psi 1: latents matter");
    }

    @Test
    void theRunningAverageOfWFollowsTheMappedBatch() {
        DataShape shape = new DataShape(1, 32, 32);
        Pair p = Pair.build(create(shape), shape, true);
        Map<String, INDArray> feed = p.feed(shape, 4, 2);
        p.g().applyUpdates(feed);
        INDArray avg = p.store().buffers.get("g/buffer/w_avg");
        assertTrue(avg.amaxNumber().doubleValue() > 0, "w_avg moved from 0");
        // 0.005 of the batch mean of w, which is non-negative after the last LeakyReLU layer on average
        assertTrue(avg.amaxNumber().doubleValue() < 0.05, "by one step of decay 0.995: " + avg);
    }

    @Test
    void mixingDependsOnTheSecondLatentOnlyForMixingSamples() {
        DataShape shape = new DataShape(1, 32, 32);
        Pair p = Pair.build(create(shape, "mixing", "1"), shape, true);
        Map<String, INDArray> feed = p.feed(shape, 2, 6);
        // sample 0 mixes from layer 3 on, sample 1 never (u0 = 1 >= probability 1)
        feed.put("g/uniform/mixing/choice", Nd4j.create(new float[] {0f, 0.3f, 1f, 0.3f}, new long[] {2, 2}));
        INDArray a = p.fake(feed).dup();
        feed.put("g/noise/mixing/z", Nd4j.randn(DataType.FLOAT, 2, LATENT));
        INDArray b = p.fake(feed);
        // batch norm is absent, so samples do not interact
        assertTrue(a.slice(0).sub(b.slice(0)).amaxNumber().doubleValue() > 1e-4, "mixing sample follows z2");
        assertEquals(0, a.slice(1).sub(b.slice(1)).amaxNumber().doubleValue(), 1e-6, "other sample ignores z2");
    }
}
