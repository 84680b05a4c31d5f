package org.jgan.resnet.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.api.Side;
import org.jgan.layers.ResidualBlock;
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;


/** Shapes, ranges, block plan, conditioning, batch norm wiring, options and gradients of the ResNet networks. */
class ResnetNetworksTest {

    static final int LATENT = 16;

    static Networks create(DataShape shape, int classes, String... options) {
        Map<String, String> given = new HashMap<>(Map.of("channels", "8"));
        for (int i = 0; i < options.length; i += 2) {
            given.put(options[i], options[i + 1]);
        }
        return new ResnetArchitecture().create(shape, LATENT, classes,
                Options.resolve("architecture 'resnet'", ResnetArchitecture.OPTIONS, given));
    }

    /** fake = G(z), D(x), D(fake) and the non-saturating D loss, in one graph. */
    record Pair(SameDiff sd, TestScope g, TestScope d, SDVariable fake, Critique real, Critique onFake,
            SDVariable loss) {

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
            SDVariable loss = sd.nn.softplus(real.logits().neg()).mean().add(sd.nn.softplus(onFake.logits()).mean());
            sd.setLossVariables(loss);
            return new Pair(sd, g, d, fake, real, onFake, loss);
        }

        Map<String, INDArray> output(Map<String, INDArray> feed) {
            return sd.output(feed, fake.name(), real.logits().name(), real.features().name(),
                    onFake.logits().name(), loss.name());
        }

        TestScope.Store store() {
            return g.store;
        }
    }

    static Map<String, INDArray> feed(DataShape shape, int batch, int classes, long seed) {
        Nd4j.getRandom().setSeed(seed);
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("z", Nd4j.randn(DataType.FLOAT, batch, LATENT));
        feed.put("x", Nd4j.rand(DataType.FLOAT, shape.batched(batch)).muli(2).subi(1));
        if (classes > 0) {
            feed.put("labels", oneHot(batch, classes, seed));
        }
        return feed;
    }

    static INDArray oneHot(int batch, int classes, long shift) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, classes);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, (i * 7 + shift) % classes, 1);
        }
        return y;
    }

    @ParameterizedTest
    @CsvSource({"28, 2, 'block2'", "32, 3, 'block2'", "64, 4, 'block2 block3'"})
    void blockPlanFollowsTheResolution(int size, int upBlocks, String downBlocks) {
        DataShape shape = new DataShape(3, size, size);
        Pair p = Pair.build(create(shape, 0), shape, 0, true);
        java.util.Set<String> names = p.store().params.keySet();
        for (int i = 1; i <= 4; i++) {
            assertEquals(i <= upBlocks, names.contains("g/up" + i + "/conv1/W"), "G up block " + i);
            // first block and down blocks have a 1x1 shortcut, plain blocks the identity
            boolean down = i == 1 || downBlocks.contains("block" + i);
            assertEquals(down, names.contains("d/block" + i + "/shortcut/W"), "D block " + i);
            assertTrue(names.contains("d/block" + i + "/conv2/W"), "D has four blocks");
        }
        assertFalse(names.contains("d/block5/conv1/W"));
    }

    @Test
    void blocksAddTheirShortcuts() {
        TestScope.Store store = new TestScope.Store();
        TestScope scope = new TestScope(SameDiff.create(), Side.GENERATOR, false, store);
        SDVariable x = scope.sd.placeHolder("x", DataType.FLOAT, -1, 2, 4, 4);
        SDVariable plain = ResidualBlock.plain(scope, "plain", x, 2, true);
        SDVariable up = ResidualBlock.up(scope, "up", x, 2, 2, false, true);
        SDVariable down = ResidualBlock.down(scope, "down", x, 2, 2, false);
        // with the main path's last convolution zero, a block is its shortcut
        for (String block : List.of("plain", "up", "down")) {
            store.params.get("g/" + block + "/conv2/W").assign(0);
        }
        INDArray identity = Nd4j.eye(2).castTo(DataType.FLOAT).reshape(1, 1, 2, 2);
        store.params.get("g/up/shortcut/W").assign(identity);
        store.params.get("g/down/shortcut/W").assign(identity);
        Nd4j.getRandom().setSeed(3);
        INDArray in = Nd4j.randn(DataType.FLOAT, 2, 2, 4, 4);
        Map<String, INDArray> out = scope.sd.output(Map.of("x", in), plain.name(), up.name(), down.name());
        assertEquals(in, out.get(plain.name()));
        INDArray u = out.get(up.name());
        INDArray d = out.get(down.name());
        assertArrayEquals(new long[] {2, 2, 8, 8}, u.shape());
        assertArrayEquals(new long[] {2, 2, 2, 2}, d.shape());
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                assertEquals(in.getFloat(1, 1, i / 2, j / 2), u.getFloat(1, 1, i, j), 1e-6, "nearest upsampling");
            }
        }
        INDArray patch = in.get(NDArrayIndex.point(1), NDArrayIndex.point(0), NDArrayIndex.interval(2, 4),
                NDArrayIndex.interval(0, 2));
        assertEquals(patch.meanNumber().doubleValue(), d.getDouble(1, 0, 1, 0), 1e-6, "2x2 average pooling");
    }

    @Test
    void conditionalNetworksUseTheLabels() {
        DataShape shape = new DataShape(1, 28, 28);
        Pair p = Pair.build(create(shape, 10), shape, 10, true);
        Map<String, INDArray> feed = feed(shape, 4, 10, 3);
        Map<String, INDArray> a = p.output(feed);
        assertArrayEquals(new long[] {4, 1, 28, 28}, a.get(p.fake().name()).shape());
        assertArrayEquals(new long[] {4, 1}, a.get(p.real().logits().name()).shape());
        Map<String, INDArray> other = new HashMap<>(feed);
        other.put("labels", oneHot(4, 10, 4));
        Map<String, INDArray> b = p.output(other);
        assertFalse(a.get(p.fake().name()).equalsWithEps(b.get(p.fake().name()), 1e-6), "G depends on the labels");
        assertFalse(a.get(p.real().logits().name()).equalsWithEps(b.get(p.real().logits().name()), 1e-6),
                "D depends on the labels");
        assertArrayEquals(new long[] {3, 3, 11, 8}, p.store().params.get("d/block1/conv1/W").shape());
        assertArrayEquals(new long[] {LATENT + 10, 8 * 49}, p.store().params.get("g/fc/W").shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pair.build(create(shape, 10), shape, 0, true));
        assertTrue(e.getMessage().contains("resnet") && e.getMessage().contains("10 classes"), e.getMessage());
    }

    @Test
    void batchNormIsInGByDefaultAndInDOnRequest() {
        DataShape shape = new DataShape(3, 32, 32);
        Pair plain = Pair.build(create(shape, 0), shape, 0, true);
        // G: two per up block and one before the output; mean and variance each
        assertEquals(2 * (3 * 2 + 1), plain.g().updates.size());
        assertTrue(plain.d().updates.isEmpty(), "no batch norm in D by default");
        assertEquals(0, count(plain.store().params.keySet(), "d/", "/bn"));
        Pair dNorm = Pair.build(create(shape, 0, "dNorm", "batch"), shape, 0, true);
        // D: two in each of blocks 2 to 4 (none in the input block), applied to data and samples
        assertEquals(2 * 3 * 2 * 2, dNorm.d().updates.size());
        assertEquals(ParamKind.OTHER, dNorm.store().kinds.get("d/block3/bn1/gamma"));
        assertFalse(dNorm.store().params.containsKey("d/block3/conv1/b"), "no bias before batch norm");
        Pair none = Pair.build(create(shape, 0, "gNorm", "none"), shape, 0, true);
        assertEquals(0, count(none.store().params.keySet(), "", "/bn"));
        assertTrue(none.store().buffers.isEmpty() && none.g().updates.isEmpty());
        assertTrue(none.store().params.containsKey("g/up1/conv1/b"));
        Pair sampling = Pair.build(create(shape, 0, "dNorm", "batch"), shape, 0, false);
        assertTrue(sampling.g().updates.isEmpty() && sampling.d().updates.isEmpty());
    }

    /**
     * The backward passes of convolutions, nearest upsampling, average pooling and batch statistics against
     * central differences of the float32 loss at the entry with the largest gradient (steps as in the DCGAN test:
     * 1e-4 for weights and biases, 1e-3 for batch-norm gains).
     */
    @Test
    void gradientsAgreeWithCentralDifferences() {
        DataShape shape = new DataShape(3, 32, 32);
        Pair p = Pair.build(create(shape, 0, "channels", "4", "dNorm", "batch"), shape, 0, true);
        Map<String, INDArray> feed = feed(shape, 4, 0, 11);
        TestScope.Store store = p.store();
        List<String> names = List.of("g/fc/W", "g/up1/shortcut/W", "g/up1/conv1/W", "g/up2/bn2/gamma",
                "g/up3/conv2/W", "g/out/W", "g/out/b", "d/block1/conv1/W", "d/block1/shortcut/W",
                "d/block2/conv2/W", "d/block3/bn1/gamma", "d/block4/conv2/b", "d/out/W");
        Map<String, INDArray> grads = p.sd().calculateGradients(feed, names);
        for (String name : names) {
            double h = store.kinds.get(name) == ParamKind.OTHER ? 1e-3 : 1e-4;
            INDArray w = store.params.get(name);
            INDArray g = grads.get(name).reshape(-1);
            long i = g.dup().muli(g).argMax().getLong(0);
            long[] at = org.nd4j.linalg.api.shape.Shape.ind2subC(w, i);
            double w0 = w.getDouble(at);
            w.putScalar(at, w0 + h);
            double up = p.sd().outputSingle(feed, p.loss().name()).getDouble(0);
            w.putScalar(at, w0 - h);
            double down = p.sd().outputSingle(feed, p.loss().name()).getDouble(0);
            w.putScalar(at, w0);
            double analytic = g.getDouble(i);
            assertEquals(analytic, (up - down) / (2 * h), 0.03 * Math.abs(analytic) + 1e-3, name + "[" + i + "]");
        }
    }

    /** The parameter counts of docs/architectures.md, at the default width, latent size 128, unconditional. */
    @ParameterizedTest
    @CsvSource({"28, 1, '', '', 1434241, 1051009", "32, 3, '', '', 1203587, 1053569", "64, 3, '', '', 1515523, 1069953",
            "32, 3, dNorm, batch, 1203587, 1054721", "32, 3, gNorm, none, 1202307, 1053569"})
    void parameterCountsMatchTheDocumentation(int size, int imageChannels, String option, String value, long g,
            long d) {
        DataShape shape = new DataShape(imageChannels, size, size);
        Map<String, String> given = option.isEmpty() ? Map.of() : Map.of(option, value);
        Networks nets = new ResnetArchitecture().create(shape, 128, 0,
                Options.resolve("architecture", ResnetArchitecture.OPTIONS, given));
        TestScope.Store store = new TestScope.Store();
        SameDiff sd = SameDiff.create();
        nets.generator(new TestScope(sd, Side.GENERATOR, true, store), sd.placeHolder("z", DataType.FLOAT, -1, 128),
                null);
        nets.discriminator(new TestScope(sd, Side.DISCRIMINATOR, true, store),
                sd.placeHolder("x", DataType.FLOAT, shape.batched(-1)), null);
        assertEquals(g, size(store, "g/"), "G parameters");
        assertEquals(d, size(store, "d/"), "D parameters");
    }

    private static long size(TestScope.Store store, String prefix) {
        return store.params.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(e -> e.getValue().length()).sum();
    }

    private static long count(java.util.Collection<String> names, String prefix, String part) {
        return names.stream().filter(n -> n.startsWith(prefix) && n.contains(part)).count();
    }
}
