package org.jgan.sagan.internal;

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


/** Shapes, ranges, where the attention sits, refused options and gradients of the SAGAN networks. */
class SaganNetworksTest {

    static final int LATENT = 16;

    static Networks create(DataShape shape, int classes, String... options) {
        Map<String, String> given = new HashMap<>(Map.of("channels", "8"));
        for (int i = 0; i < options.length; i += 2) {
            given.put(options[i], options[i + 1]);
        }
        return new SaganArchitecture().create(shape, LATENT, classes,
                Options.resolve("architecture 'sagan'", SaganArchitecture.OPTIONS, given));
    }

    record Pair(SameDiff sd, TestScope.Store store, SDVariable fake, Critique real, SDVariable loss) {
        static Pair build(Networks nets, DataShape shape, boolean training) {
            SameDiff sd = SameDiff.create();
            TestScope.Store store = new TestScope.Store();
            TestScope g = new TestScope(sd, Side.GENERATOR, training, store);
            TestScope d = new TestScope(sd, Side.DISCRIMINATOR, training, store);
            SDVariable z = sd.placeHolder("z", DataType.FLOAT, -1, LATENT);
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, shape.batched(-1));
            SDVariable fake = nets.generator(g, z, null);
            Critique real = nets.discriminator(d, x, null);
            Critique onFake = nets.discriminator(d, fake, null);
            // hinge loss of D plus twice G's term (once would cancel D's fake-side gradient where D(fake) > -1)
            SDVariable loss = sd.nn.relu(real.logits().rsub(1), 0).mean()
                    .add(sd.nn.relu(onFake.logits().add(1), 0).mean()).add(onFake.logits().mean().mul(-2));
            sd.setLossVariables(loss);
            return new Pair(sd, store, fake, real, loss);
        }
    }

    static Map<String, INDArray> feed(DataShape shape, int batch) {
        Nd4j.getRandom().setSeed(3);
        return new HashMap<>(Map.of("z", Nd4j.randn(DataType.FLOAT, batch, LATENT),
                "x", Nd4j.rand(DataType.FLOAT, shape.batched(batch)).muli(2).subi(1)));
    }

    @ParameterizedTest(name = "{0}x{1}x{1}, attention at {2}")
    @CsvSource({"1, 32, 16", "3, 32, 8", "3, 64, 32", "1, 64, 16"})
    void producesImagesInRangeAndLogits(int channels, int size, int attention) {
        DataShape shape = new DataShape(channels, size, size);
        Networks nets = create(shape, 0, "attention", Integer.toString(attention));
        for (boolean training : new boolean[] {true, false}) {
            Pair p = Pair.build(nets, shape, training);
            Map<String, INDArray> out = p.sd().output(feed(shape, 3), p.fake().name(), p.real().logits().name(),
                    p.real().features().name());
            INDArray fake = out.get(p.fake().name());
            assertArrayEquals(new long[] {3, channels, size, size}, fake.shape());
            assertTrue(fake.amaxNumber().doubleValue() <= 1, "samples in [-1, 1]");
            assertTrue(fake.stdNumber().doubleValue() > 0, "samples vary");
            assertArrayEquals(new long[] {3, 1}, out.get(p.real().logits().name()).shape());
            assertArrayEquals(new long[] {3, 8}, out.get(p.real().features().name()).shape());
            assertTrue(p.store().params.containsKey("g/attention/gamma"), "G has an attention block");
            assertTrue(p.store().params.containsKey("d/attention/gamma"), "D has an attention block");
            // the attention block sits at the requested side: h's 1x1 weight is [1, 1, C, C/8]
            assertArrayEquals(new long[] {1, 1, 8, 1}, p.store().params.get("g/attention/h/W").shape());
        }
    }

    @Test
    void attentionChangesTheOutputOnceGammaIsNonZero() {
        DataShape shape = new DataShape(1, 32, 32);
        Pair p = Pair.build(create(shape, 0, "attention", "16", "reduction", "2"), shape, false);
        Map<String, INDArray> feed = feed(shape, 2);
        INDArray before = p.sd().output(feed, p.fake().name()).get(p.fake().name()).dup();
        p.store().params.get("g/attention/gamma").assign(1);
        INDArray after = p.sd().output(feed, p.fake().name()).get(p.fake().name());
        assertTrue(before.sub(after).amaxNumber().doubleValue() > 1e-4, "G's attention is on the path");
    }

    @Test
    void refusesAttentionSidesThatBothNetworksDoNotHave() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> create(new DataShape(3, 32, 32), 0, "attention", "32"));
        assertTrue(e.getMessage().contains("option 'attention'") && e.getMessage().contains("8 or 16"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> create(new DataShape(1, 28, 28), 0));
        assertTrue(e.getMessage().contains("[1, 28, 28]") && e.getMessage().contains("[C, 32, 32]"), e.getMessage());
    }
}
