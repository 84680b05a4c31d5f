package org.jgan.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jgan.api.Architecture;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.api.Side;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every architecture's networks promise the engine, checked on each configuration ({@link Case}) that an
 * architecture bundle's test lists when it extends this class:
 * <ul>
 * <li>G fills the data shape (within [-1, 1] for images) and varies; D returns one logit per sample and a
 * features matrix; in training and in sampling graphs;</li>
 * <li>a conditional network uses its labels: other labels, other samples and other logits;</li>
 * <li>every parameter of both networks gets a finite, non-zero gradient from the players' losses;</li>
 * <li>building the networks again on the same parameters (as the engine does for each of its graphs) creates no
 * parameter and computes the same outputs;</li>
 * <li>{@link Networks#independentSamples} is true exactly where D's rows are: where the gradient of one row's logit
 * and features with respect to the batch's inputs is zero on every other row and other values in the other rows
 * leave that row's critique as it was; a D whose rows are independent asks for no random input with a batch
 * axis;</li>
 * <li>a data shape the architecture cannot serve is refused naming the architecture and the shape.</li>
 * </ul>
 * The checks specific to an architecture (its equations, block plans, parameter counts) stay in its own tests.
 */
public abstract class ArchitectureContract {

    /** One configuration of the architecture: a data shape, a class count (0: unconditional) and options. */
    public record Case(String label, DataShape shape, int classes, Map<String, String> options) {
        /** A case; {@code options} are key, value pairs. */
        public static Case of(DataShape shape, int classes, String... options) {
            Map<String, String> given = new LinkedHashMap<>();
            for (int i = 0; i < options.length; i += 2) {
                given.put(options[i], options[i + 1]);
            }
            return new Case(shape + (classes > 0 ? ", " + classes + " classes" : "") + (given.isEmpty() ? ""
                    : ", " + given), shape, classes, given);
        }
    }

    private final Architecture architecture;
    private final String name;
    private final int latent;

    /**
     * @param architecture the architecture under test
     * @param name         its name in messages, e.g. {@code dcgan}
     * @param latent       the latent size of the networks built
     */
    protected ArchitectureContract(Architecture architecture, String name, int latent) {
        this.architecture = architecture;
        this.name = name;
        this.latent = latent;
    }

    protected final Architecture architecture() {
        return architecture;
    }

    protected final String name() {
        return name;
    }

    protected final int latent() {
        return latent;
    }

    /** The configurations to check; options not given take the architecture's defaults. */
    protected abstract List<Case> cases();

    /** Data shapes the architecture refuses. */
    protected List<DataShape> unsupportedShapes() {
        return List.of();
    }

    /** Whether G's samples lie in [-1, 1] (images); generators of vector data may be unbounded. */
    protected boolean boundedSamples() {
        return true;
    }

    /**
     * Moves parameters off values where some gradients vanish by design, before the gradient checks (SAGAN's
     * attention gain starts at 0, which zeroes the gradients of its projections and hides its path).
     */
    protected void beforeGradients(TestScope.Store store) {
    }

    protected Networks networks(Case c) {
        Options options = Options.resolve("architecture '" + name() + "'", architecture().options(), c.options());
        return architecture().create(c.shape(), latent(), c.classes(), options);
    }

    /** G(z), D(x), D(G(z)) in one graph, with D's loss plus twice G's non-saturating loss. */
    protected final class Graph {
        final Case c;
        final SameDiff sd = SameDiff.create();
        final TestScope.Store store;
        final TestScope g;
        final TestScope d;
        final SDVariable fake;
        final Critique real;
        final Critique onFake;
        final SDVariable loss;

        Graph(Case c, Networks nets, TestScope.Store store, boolean training) {
            this.c = c;
            this.store = store;
            g = new TestScope(sd, Side.GENERATOR, training, store);
            d = new TestScope(sd, Side.DISCRIMINATOR, training, store);
            SDVariable z = sd.placeHolder("z", DataType.FLOAT, -1, latent());
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, c.shape().batched(-1));
            SDVariable labels = c.classes() > 0 ? sd.placeHolder("labels", DataType.FLOAT, -1, c.classes()) : null;
            fake = nets.generator(g, z, labels);
            real = nets.discriminator(d, x, labels);
            onFake = nets.discriminator(d, fake, labels);
            loss = softplus(real.logits().neg()).mean().add(softplus(onFake.logits()).mean())
                    .add(softplus(onFake.logits().neg()).mean().mul(2));
            sd.setLossVariables(loss);
        }

        /**
         * log(1 + e^v) as relu(v) + log1p(e^-|v|), which never overflows (ND4J's softplus is inf beyond v = 88 in
         * float32, where an untrained discriminator's logits can be).
         */
        private SDVariable softplus(SDVariable v) {
            return sd.nn.relu(v, 0).add(sd.math.log1p(sd.math.exp(sd.math.abs(v).neg())));
        }

        /** Inputs for a batch: z ~ N(0, I), x uniform in [-1, 1], labels one-hot (shifted by {@code shift}). */
        Map<String, INDArray> feed(int batch, long seed, int shift) {
            Nd4j.getRandom().setSeed(seed);
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("z", Nd4j.randn(DataType.FLOAT, batch, latent()));
            feed.put("x", Nd4j.rand(DataType.FLOAT, c.shape().batched(batch)).muli(2).subi(1));
            if (c.classes() > 0) {
                INDArray y = Nd4j.zeros(DataType.FLOAT, batch, c.classes());
                for (int i = 0; i < batch; i++) {
                    y.putScalar(i, (i * 7 + seed + shift) % c.classes(), 1);
                }
                feed.put("labels", y);
            }
            g.feedRandoms(feed, batch, seed + 1);
            d.feedRandoms(feed, batch, seed + 2);
            return feed;
        }

        Map<String, INDArray> outputs(Map<String, INDArray> feed) {
            return sd.output(feed, fake.name(), real.logits().name(), real.features().name(),
                    onFake.logits().name(), loss.name());
        }
    }

    private Graph graph(Case c, boolean training) {
        return new Graph(c, networks(c), new TestScope.Store(), training);
    }

    private Stream<DynamicTest> each(List<Case> cases, java.util.function.Consumer<Case> check) {
        return cases.stream().map(c -> DynamicTest.dynamicTest(name() + " " + c.label(), () -> check.accept(c)));
    }

    @TestFactory
    Stream<DynamicTest> generatorFillsTheDataShapeAndDiscriminatorReturnsLogitsAndFeatures() {
        return each(cases(), c -> {
            for (boolean training : new boolean[] {true, false}) {
                Graph p = graph(c, training);
                Map<String, INDArray> out = p.outputs(p.feed(3, 1, 0));
                INDArray fake = out.get(p.fake.name());
                String where = (training ? "training" : "sampling") + " graph";
                assertArrayEquals(c.shape().batched(3), fake.shape(), where + ": G's sample shape");
                if (boundedSamples()) {
                    assertTrue(Math.abs(fake.amaxNumber().doubleValue()) <= 1, where + ": samples in [-1, 1]");
                }
                assertTrue(fake.stdNumber().doubleValue() > 0, where + ": samples vary");
                assertArrayEquals(new long[] {3, 1}, out.get(p.real.logits().name()).shape(), where + ": logits");
                assertArrayEquals(new long[] {3, 1}, out.get(p.onFake.logits().name()).shape(), where);
                long[] features = out.get(p.real.features().name()).shape();
                assertTrue(features.length == 2 && features[0] == 3 && features[1] > 0,
                        where + ": features " + java.util.Arrays.toString(features));
                assertTrue(Double.isFinite(out.get(p.loss.name()).getDouble(0)), where + ": loss "
                        + out.get(p.loss.name()) + " with logits " + out.get(p.real.logits().name()));
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> conditionalNetworksUseTheirLabels() {
        return each(cases().stream().filter(c -> c.classes() > 0).toList(), c -> {
            Graph p = graph(c, false);
            Map<String, INDArray> a = p.outputs(p.feed(4, 3, 0));
            Map<String, INDArray> b = p.outputs(p.feed(4, 3, 1));
            assertTrue(a.get(p.fake.name()).sub(b.get(p.fake.name())).amaxNumber().doubleValue() > 1e-6,
                    "other labels, other samples");
            assertTrue(a.get(p.real.logits().name()).sub(b.get(p.real.logits().name())).amaxNumber()
                    .doubleValue() > 1e-6, "other labels, other logits of the same data");
        });
    }

    @TestFactory
    Stream<DynamicTest> everyParameterGetsAFiniteNonZeroGradient() {
        return each(cases(), c -> {
            Graph p = graph(c, true);
            beforeGradients(p.store);
            List<String> names = new ArrayList<>(p.store.params.keySet());
            Map<String, INDArray> grads = p.sd.calculateGradients(p.feed(4, 9, 0), names);
            assertEquals(names.size(), grads.size(), "a gradient for every parameter");
            for (String n : names) {
                INDArray grad = grads.get(n);
                assertArrayEquals(p.store.params.get(n).shape(), grad.shape(), n);
                double norm = grad.norm2Number().doubleValue();
                assertTrue(Double.isFinite(norm) && norm > 0, "gradient of " + n + ": norm " + norm);
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> buildingAgainBindsTheSameParametersAndComputesTheSame() {
        return each(cases(), c -> {
            Networks nets = networks(c);
            TestScope.Store store = new TestScope.Store();
            Graph first = new Graph(c, nets, store, false);
            List<String> params = new ArrayList<>(store.params.keySet());
            List<String> buffers = new ArrayList<>(store.buffers.keySet());
            Graph second = new Graph(c, networks(c), store, false);
            assertEquals(params, new ArrayList<>(store.params.keySet()), "no parameter created again");
            assertEquals(buffers, new ArrayList<>(store.buffers.keySet()), "no buffer created again");
            Map<String, INDArray> a = first.outputs(first.feed(3, 5, 0));
            Map<String, INDArray> b = second.outputs(second.feed(3, 5, 0));
            assertEquals(a.get(first.fake.name()), b.get(second.fake.name()), "the same samples");
            assertEquals(a.get(first.real.logits().name()), b.get(second.real.logits().name()), "the same logits");
        });
    }

    @TestFactory
    Stream<DynamicTest> independentSamplesSaysWhetherOneRowsCritiqueReadsOtherRows() {
        return each(cases(), c -> {
            Networks nets = networks(c);
            int batch = 4;
            int row = 1;
            SameDiff sd = SameDiff.create();
            TestScope.Store store = new TestScope.Store();
            TestScope d = new TestScope(sd, Side.DISCRIMINATOR, true, store);
            Nd4j.getRandom().setSeed(17);
            SDVariable x = sd.var("x", Nd4j.rand(DataType.FLOAT, c.shape().batched(batch)).muli(2).subi(1));
            SDVariable labels = null;
            if (c.classes() > 0) {
                INDArray y = Nd4j.zeros(DataType.FLOAT, batch, c.classes());
                for (int i = 0; i < batch; i++) {
                    y.putScalar(i, (i * 3) % c.classes(), 1);
                }
                labels = sd.var("labels", y);
            }
            Critique critique = nets.discriminator(d, x, labels);
            // one row's logit and features: a network whose rows are independent gives every other row of the
            // inputs a gradient of exactly 0 (nothing flows there), batch statistics give them one
            SDVariable only = sd.constant("row", Nd4j.zeros(DataType.FLOAT, batch, 1).putScalar(row, 0, 1));
            SDVariable probe = critique.logits().mul(only).sum()
                    .add(critique.features().mul(only).sum().mul(0.5));
            sd.setLossVariables(probe);
            beforeGradients(store);
            Map<String, INDArray> feed = new HashMap<>();
            d.feedRandoms(feed, batch, 23);
            List<String> inputs = labels == null ? List.of("x") : List.of("x", "labels");
            Map<String, INDArray> grads = sd.calculateGradients(feed, inputs);
            boolean independent = true;
            for (String in : inputs) {
                INDArray g = grads.get(in).reshape(batch, -1);
                for (int i = 0; i < batch; i++) {
                    double m = g.getRow(i).amaxNumber().doubleValue();
                    if (i == row && in.equals("x")) {
                        assertTrue(m > 0, "the probed row's own input gets a gradient");
                    } else if (i != row && m != 0) {
                        independent = false;
                    }
                }
            }
            // and forward: other values in the other rows leave the row's critique as it was (a coupling the gradient
            // does not see, through a path without one)
            INDArray[] before = {critique.logits().eval(feed).getRow(row).dup(),
                critique.features().eval(feed).getRow(row).dup()};
            INDArray moved = x.getArr().dup();
            INDArray others = Nd4j.rand(DataType.FLOAT, moved.shape()).muli(4).subi(2);
            for (int i = 0; i < batch; i++) {
                if (i != row) {
                    moved.slice(i).assign(others.slice(i));
                }
            }
            x.setArray(moved);
            INDArray[] after = {critique.logits().eval(feed).getRow(row), critique.features().eval(feed).getRow(row)};
            for (int k = 0; k < 2; k++) {
                double change = after[k].sub(before[k]).amaxNumber().doubleValue();
                if (change > 1e-5 * Math.max(1, before[k].amaxNumber().doubleValue())) {
                    independent = false;
                }
            }
            if (nets.independentSamples()) {
                d.randoms.forEach((name, shape) -> assertTrue(shape.getKey().length == 0 || shape.getKey()[0] >= 0,
                        "a D whose rows are independent asks for no random input with a batch axis: " + name));
            }
            assertEquals(independent, nets.independentSamples(), name() + " " + c.label() + ": D's rows are "
                    + (independent ? "" : "not ") + "independent (one row's critique has a gradient with respect "
                    + "to another row's inputs" + (independent ? ": none" : "") + "), independentSamples() says "
                    + nets.independentSamples());
        });
    }

    @TestFactory
    Stream<DynamicTest> unsupportedShapesAreRefusedNamingTheArchitectureAndTheShape() {
        return unsupportedShapes().stream().map(shape -> DynamicTest.dynamicTest(name() + " " + shape, () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> networks(Case.of(shape, 0)));
            assertTrue(e.getMessage().contains(name()) && e.getMessage().contains(shape.toString()),
                    e.getMessage());
        }));
    }
}
