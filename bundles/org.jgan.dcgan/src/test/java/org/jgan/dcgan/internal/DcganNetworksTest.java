package org.jgan.dcgan.internal;

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
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


/** Shapes, ranges, conditioning, batch norm wiring, options and gradients of the DCGAN networks. */
class DcganNetworksTest {

    static final int LATENT = 16;

    static Networks create(DataShape shape, int classes, String... options) {
        Map<String, String> given = new HashMap<>(Map.of("channels", "8"));
        for (int i = 0; i < options.length; i += 2) {
            given.put(options[i], options[i + 1]);
        }
        return new DcganArchitecture().create(shape, LATENT, classes,
                Options.resolve("architecture 'dcgan'", DcganArchitecture.OPTIONS, given));
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
    }

    static Map<String, INDArray> feed(DataShape shape, int batch, int classes, long seed) {
        Nd4j.getRandom().setSeed(seed);
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("z", Nd4j.randn(DataType.FLOAT, batch, LATENT));
        feed.put("x", Nd4j.rand(DataType.FLOAT, shape.batched(batch)).muli(2).subi(1));
        if (classes > 0) {
            INDArray y = Nd4j.zeros(DataType.FLOAT, batch, classes);
            for (int i = 0; i < batch; i++) {
                y.putScalar(i, (i * 7 + seed) % classes, 1);
            }
            feed.put("labels", y);
        }
        return feed;
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
        INDArray shifted = Nd4j.zeros(DataType.FLOAT, 4, 10);
        for (int i = 0; i < 4; i++) {
            shifted.putScalar(i, (feed.get("labels").argMax(1).getInt(i) + 1) % 10, 1);
        }
        other.put("labels", shifted);
        Map<String, INDArray> b = p.output(other);
        assertFalse(a.get(p.fake().name()).equalsWithEps(b.get(p.fake().name()), 1e-6), "G depends on the labels");
        assertFalse(a.get(p.real().logits().name()).equalsWithEps(b.get(p.real().logits().name()), 1e-6),
                "D depends on the labels");
        // D's first convolution sees C + K input channels
        assertArrayEquals(new long[] {4, 4, 11, 8}, p.d().store.params.get("d/conv0/W").shape());
        assertArrayEquals(new long[] {LATENT + 10, 16 * 49}, p.g().store.params.get("g/project/W").shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pair.build(create(shape, 10), shape, 0, true));
        assertTrue(e.getMessage().contains("dcgan") && e.getMessage().contains("10 classes"), e.getMessage());
    }

    @Test
    void trainingGraphsUpdateRunningStatisticsOfEveryBatchNormLayerAndSamplingGraphsNone() {
        DataShape shape = new DataShape(3, 32, 32);
        Pair training = Pair.build(create(shape, 0), shape, 0, true);
        // G: projection + 2 transposed convolutions; D: 2 of its 3 convolutions, applied to data and samples
        assertEquals(2 * 3, training.g().updates.size());
        assertEquals(2 * 2 * 2, training.d().updates.size());
        Map<String, INDArray> feed = feed(shape, 4, 0, 5);
        training.g().applyUpdates(feed);
        INDArray mean = training.g().store.buffers.get("g/buffer/deconv1/bn/mean");
        assertTrue(mean.amaxNumber().doubleValue() > 0, "running mean moved: " + mean);
        Pair sampling = Pair.build(create(shape, 0), shape, 0, false);
        assertTrue(sampling.g().updates.isEmpty() && sampling.d().updates.isEmpty());
        assertEquals(3, count(sampling.g().store.params.keySet(), "g/", "/bn/gamma"));
    }

    @Test
    void normNoneCreatesNoBatchNormParametersAndGivesEveryLayerABias() {
        DataShape shape = new DataShape(3, 32, 32);
        Pair p = Pair.build(create(shape, 0, "norm", "none"), shape, 0, true);
        TestScope.Store store = p.g().store;
        assertEquals(0, count(store.params.keySet(), "", "/bn/"), store.params.keySet().toString());
        assertTrue(store.buffers.isEmpty(), "no running statistics");
        assertTrue(p.g().updates.isEmpty() && p.d().updates.isEmpty());
        for (String name : store.params.keySet()) {
            if (name.endsWith("/W")) {
                String bias = name.substring(0, name.length() - 1) + "b";
                assertTrue(store.params.containsKey(bias), "bias of " + name);
                assertEquals(ParamKind.BIAS, store.kinds.get(bias));
            }
        }
        Pair withNorm = Pair.build(create(shape, 0), shape, 0, true);
        assertEquals(ParamKind.OTHER, withNorm.g().store.kinds.get("g/deconv1/bn/gamma"));
        assertEquals(ParamKind.BIAS, withNorm.g().store.kinds.get("g/deconv1/bn/beta"));
        assertFalse(withNorm.g().store.params.containsKey("g/deconv1/b"), "no bias before batch norm");
    }

    @Test
    void activationTanhReplacesReluInGAndLeakyReluInD() {
        DataShape shape = new DataShape(3, 32, 32);
        Pair standard = Pair.build(create(shape, 0), shape, 0, true);
        Pair tanh = Pair.build(create(shape, 0, "activation", "tanh"), shape, 0, true);
        // G: 3 hidden layers and the tanh output; D: 3 convolutions applied twice
        assertEquals(Map.of("relu", 3L, "leakyrelu", 6L, "tanh", 1L), activations(standard.sd()));
        assertEquals(Map.of("relu", 0L, "leakyrelu", 0L, "tanh", 1L + 3 + 6), activations(tanh.sd()));
        Map<String, INDArray> feed = feed(shape, 4, 0, 2);
        INDArray fStandard = standard.output(feed).get(standard.real().features().name());
        INDArray fTanh = tanh.output(feed).get(tanh.real().features().name());
        assertTrue(fTanh.amaxNumber().doubleValue() < 1, "tanh features inside (-1, 1)");
        assertTrue(fStandard.maxNumber().doubleValue() > 1 && fStandard.minNumber().doubleValue() < 0,
                "LeakyReLU after batch norm: values above 1 and negative ones");
    }

    private static Map<String, Long> activations(SameDiff sd) {
        Map<String, Long> n = new HashMap<>(Map.of("relu", 0L, "leakyrelu", 0L, "tanh", 0L));
        for (SameDiffOp op : sd.getOps().values()) {
            n.computeIfPresent(op.getOp().opName(), (k, v) -> v + 1);
        }
        return n;
    }

    /**
     * The backward passes of the convolutions, transposed convolutions and batch statistics against central
     * differences of the float32 loss, at the entry with the largest gradient of each checked parameter. Steps:
     * 1e-4 for weights and biases (a larger step moves many pre-activations across ReLU kinks: 1e-3 was off by
     * up to 17% for G's output bias), 1e-3 for batch-norm gains (near 1); float32 rounding of the loss then
     * contributes about 1e-3 to the difference quotient.
     */
    @Test
    void gradientsAgreeWithCentralDifferences() {
        DataShape shape = new DataShape(3, 32, 32);
        Pair p = Pair.build(create(shape, 0, "channels", "4"), shape, 0, true);
        Map<String, INDArray> feed = feed(shape, 4, 0, 11);
        TestScope.Store store = p.g().store;
        List<String> names = List.of("g/project/W", "g/project/bn/gamma", "g/deconv1/W", "g/deconv2/bn/beta",
                "g/out/W", "g/out/b", "d/conv0/W", "d/conv0/b", "d/conv1/W", "d/conv2/bn/gamma", "d/out/W");
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

    /** The parameter counts of docs/architectures.md, at the default width, latent size 100, unconditional. */
    @ParameterizedTest
    @CsvSource({"28, 1, '', '', 759681, 138689", "32, 3, '', '', 1068931, 663361", "64, 3, '', '', 3576707, 2765633",
            "32, 3, norm, none, 1072323, 662977"})
    void parameterCountsMatchTheDocumentation(int size, int imageChannels, String option, String value, long g,
            long d) {
        DataShape shape = new DataShape(imageChannels, size, size);
        Map<String, String> given = option.isEmpty() ? Map.of() : Map.of(option, value);
        Networks nets = new DcganArchitecture().create(shape, 100, 0,
                Options.resolve("architecture", DcganArchitecture.OPTIONS, given));
        TestScope.Store store = new TestScope.Store();
        SameDiff sd = SameDiff.create();
        nets.generator(new TestScope(sd, Side.GENERATOR, true, store), sd.placeHolder("z", DataType.FLOAT, -1, 100),
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
