package org.jgan.engine.internal.penalty;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.jgan.api.Side;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.BatchNormFusion;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every tangent rule of {@link Tangents} against a central difference of the op itself in double precision: for a
 * graph {@code y = op(x)} (with constant second operands where the op has them) the tangent the extended graph
 * computes along a random {@code x'} must equal {@code (y(x + h x') - y(x - h x')) / 2h}. Points are drawn away from
 * the kinks of relu, leakyrelu and abs, where the difference would not be a derivative.
 */
class TangentsTest {

    /** A graph from the input x of the given shape to one output. */
    record Op(String name, long[] shape, BiFunction<SameDiff, SDVariable, SDVariable> build) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static SDVariable constant(SameDiff sd, String name, long... shape) {
        Nd4j.getRandom().setSeed(name.hashCode());
        return sd.constant(name, Nd4j.randn(DataType.DOUBLE, shape));
    }

    static Stream<Arguments> ops() {
        long[] m = {3, 4};
        long[] img = {2, 3, 6, 6};
        return Stream.of(
                new Op("add (both dependent, bias)", m, (sd, x) -> x.add(x.mul(x)).add(constant(sd, "b", 1, 4))),
                new Op("subtract", m, (sd, x) -> constant(sd, "c", 3, 4).sub(x.mul(x)).sub(x)),
                new Op("multiply", m, (sd, x) -> x.mul(x).mul(constant(sd, "c", 3, 4))),
                new Op("divide", m, (sd, x) -> x.div(x.mul(x).add(2.0))),
                new Op("scalar ops", m, (sd, x) -> x.add(1.5).sub(0.5).mul(3.0).div(2.0).rsub(1.0).neg()),
                new Op("matmul, constant right", m, (sd, x) -> sd.mmul(x, constant(sd, "w", 4, 5))),
                new Op("matmul, both dependent, transposed", m, (sd, x) -> sd.mmul(x, x.mul(x), true, false, false)),
                new Op("matmul, transposed result", m, (sd, x) -> sd.mmul(constant(sd, "w", 2, 3), x, false, false, true)),
                new Op("conv2d with bias", img, (sd, x) -> sd.cnn.conv2d(x, constant(sd, "k", 3, 3, 3, 4),
                        constant(sd, "kb", 4), Conv2DConfig.builder().kH(3).kW(3).sH(2).sW(2).pH(1).pW(1).build())),
                new Op("depthwise_conv2d, stride 2", img, (sd, x) -> sd.cnn.depthWiseConv2d(x,
                        constant(sd, "dk", 4, 4, 3, 2), Conv2DConfig.builder().kH(4).kW(4).sH(2).sW(2).pH(1).pW(1)
                        .build())),
                new Op("avgpool2d", img, (sd, x) -> sd.cnn.avgPooling2d(x, Pooling2DConfig.builder().kH(2).kW(2)
                        .sH(2).sW(2).build())),
                new Op("reshape, permute, expand_dims", img, (sd, x) -> sd.expandDims(sd.permute(sd.reshape(x, 2, 3,
                        36), 0, 2, 1), 1)),
                new Op("reshape to a shape variable", m, (sd, x) -> sd.reshape(x, sd.constant("s",
                        Nd4j.createFromArray(2L, 6L)))),
                new Op("concat with a constant", m, (sd, x) -> sd.concat(1, x, constant(sd, "c", 3, 2), x.mul(x))),
                new Op("strided slice", img, (sd, x) -> x.get(SDIndex.all(), SDIndex.interval(1, 3), SDIndex.all(),
                        SDIndex.interval(0, 2, 6))),
                new Op("reduce_sum, reduce_mean", img, (sd, x) -> x.mul(x).sum(true, 1).add(x.mean(2, 3).sum()
                        .add(x.mean(true, 0, 2, 3).mean()))),
                new Op("relu", m, (sd, x) -> sd.nn.relu(x, 0)),
                new Op("leakyrelu", m, (sd, x) -> sd.nn.leakyRelu(x, 0.2)),
                new Op("relu and leakyrelu as the scope builds them (x times a comparison mask)", m, (sd, x) -> {
                    GraphScope scope = new GraphScope(sd, Side.DISCRIMINATOR, true, new ParameterStore(1), List.of());
                    return scope.relu(x).add(scope.leakyRelu(x.mul(x).sub(1.0), 0.2));
                }),
                new Op("comparisons with a constant and with a variable (zero tangent)", m, (sd, x) -> {
                    SDVariable c = constant(sd, "c", 3, 4);
                    return x.mul(sd.lt(x, 0.3).castTo(DataType.DOUBLE)).add(x.mul(sd.gte(x, c).castTo(DataType.DOUBLE)))
                            .add(x.mul(x).mul(sd.lte(x, c).castTo(DataType.DOUBLE)))
                            .add(x.mul(sd.gt(x, c).castTo(DataType.DOUBLE)).mul(sd.lt(x, c).castTo(DataType.DOUBLE)))
                            .add(x.mul(sd.gte(x, -0.3).castTo(DataType.DOUBLE)))
                            .add(x.mul(sd.lte(x, 0.5).castTo(DataType.DOUBLE)));
                }),
                new Op("a cast of a dependent tensor (its tangent cast alike)", m, (sd, x) -> {
                    SDVariable y = x.mul(x).castTo(DataType.DOUBLE);
                    assertEquals("cast", y.getCreator().opName(), "the cast is in the graph");
                    return y.mul(3.0);
                }),
                new Op("abs", m, (sd, x) -> sd.math.abs(x)),
                new Op("exp, sqrt, rsqrt", m, (sd, x) -> sd.math.exp(x).add(sd.math.sqrt(x.mul(x).add(1.0)))
                        .add(sd.math.rsqrt(x.mul(x).add(0.5)))),
                new Op("square, tanh, sigmoid", m, (sd, x) -> sd.math.square(x).add(sd.math.tanh(x))
                        .add(sd.nn.sigmoid(x))),
                new Op("softmax over each axis", img, (sd, x) -> sd.nn.softmax(x, 1).add(sd.nn.softmax(x, 3))),
                new Op("batch norm with its own statistics (the whole layer's rule)", img,
                        (sd, x) -> normLayer(sd, x.mul(x).add(x), false)),
                new Op("instance norm with its own statistics (the whole layer's rule)", img,
                        (sd, x) -> normLayer(sd, x.mul(x).add(x), true)),
                new Op("a per-batch statistic broadcast onto a map (minibatch stddev)", img, (sd, x) ->
                        sd.concat(1, x, sd.zerosLike(x).add(sd.math.sqrt(x.sub(x.mean(true, 0)).mul(x.sub(
                                x.mean(true, 0))).mean(true, 0).add(1e-8)).mean())))
        ).map(Arguments::of);
    }

    /**
     * A batch-norm layer (statistics over axes 0, 2, 3) or an instance-norm layer (over 2, 3) in the form
     * {@code BatchNorm.apply} and {@code StyleLayers.adain} write them, which {@link Tangents} gives the rule of the
     * whole layer.
     */
    private static SDVariable normLayer(SameDiff sd, SDVariable x, boolean instance) {
        int[] axes = instance ? new int[] {2, 3} : new int[] {0, 2, 3};
        Nd4j.getRandom().setSeed(5);
        SDVariable gamma = sd.reshape(sd.var("gamma", Nd4j.rand(DataType.DOUBLE, 3).addi(0.5)), 1, 3, 1, 1);
        SDVariable beta = sd.reshape(sd.var("beta", Nd4j.randn(DataType.DOUBLE, 3)), 1, 3, 1, 1);
        SDVariable m = x.mean(true, axes);
        SDVariable c = x.sub(m);
        SDVariable scale = gamma.mul(sd.math.rsqrt(c.mul(c).mean(true, axes).add(1e-5)));
        SDVariable y = instance ? c.mul(scale).add(beta) : x.mul(scale).add(beta.sub(m.mul(scale)));
        assertEquals(1, BatchNormFusion.layers(sd).size(), "the layer is recognized");
        return y;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void tangentEqualsTheDifferenceOfTheOp(Op op) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, op.shape());
        SDVariable y = op.build().apply(sd, x);
        Nd4j.getRandom().setSeed(17);
        INDArray at = Nd4j.randn(DataType.DOUBLE, op.shape());
        // away from zero, so that no kink lies within the difference's step
        at.addi(Nd4j.math().sign(at).muli(0.1));
        INDArray direction = Nd4j.randn(DataType.DOUBLE, op.shape());
        Map<String, long[]> shapes = GraphPath.shapes(sd, Map.of("x", at), names(sd, y));
        SDVariable xDot = sd.placeHolder("xdot", DataType.DOUBLE, op.shape());
        Tangents.Result r = Tangents.extend(sd, "x", xDot, y.name(), shapes);
        assertEquals(List.of(), r.unsupported(), op.name());
        SDVariable yDot = r.of(y.name());
        INDArray got = sd.output(Map.of("x", at, "xdot", direction), yDot.name()).get(yDot.name());
        double h = 1e-6;
        INDArray plus = sd.output(Map.of("x", at.add(direction.mul(h))), y.name()).get(y.name());
        INDArray minus = sd.output(Map.of("x", at.sub(direction.mul(h))), y.name()).get(y.name());
        INDArray want = plus.sub(minus).div(2 * h);
        assertTrue(java.util.Arrays.equals(want.shape(), got.shape()), op.name() + ": tangent of shape "
                + java.util.Arrays.toString(got.shape()) + " for an output of shape "
                + java.util.Arrays.toString(want.shape()));
        double error = got.sub(want).norm2Number().doubleValue() / want.norm2Number().doubleValue();
        assertTrue(error < 1e-7, op.name() + ": relative error " + error);
    }

    /** The variables on the way from x to y, whose shapes the rules need. */
    private static List<String> names(SameDiff sd, SDVariable y) {
        List<String> names = new java.util.ArrayList<>(List.of("x"));
        GraphPath.ops(sd, "x", y.name()).forEach(o -> names.addAll(o.getOutputsOfOp()));
        return names;
    }

    /**
     * A normalization layer's intermediates get no tangent of their own: its output's is the whole layer's rule (the
     * op-by-op rules would give the centred input and rsqrt theirs).
     */
    @ParameterizedTest(name = "instance norm {0}")
    @ValueSource(booleans = {false, true})
    void aNormalizationLayerTakesTheWholeLayersRule(boolean instance) {
        SameDiff sd = SameDiff.create();
        long[] img = {2, 3, 6, 6};
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, img);
        SDVariable y = normLayer(sd, x.mul(x).add(x), instance);
        INDArray at = Nd4j.randn(DataType.DOUBLE, img);
        Tangents.Result r = Tangents.extend(sd, "x", sd.placeHolder("xdot", DataType.DOUBLE, img), y.name(),
                GraphPath.shapes(sd, Map.of("x", at), names(sd, y)));
        BatchNormFusion.NormLayer layer = BatchNormFusion.layers(sd).get(0);
        assertTrue(r.of(y.name()) != null, "the output's tangent");
        for (String inner : List.of(layer.mean(), layer.centered(), layer.var(), layer.rsqrt(), layer.scale())) {
            assertEquals(null, r.of(inner), "a tangent of " + inner);
        }
    }

    @Test
    void anOpWithoutARuleIsReportedByName() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, 3, 4);
        SDVariable y = sd.math.cos(x).add(x);
        Map<String, INDArray> feed = new HashMap<>(Map.of("x", Nd4j.rand(DataType.DOUBLE, 3, 4)));
        Tangents.Result r = Tangents.extend(sd, "x", sd.placeHolder("xdot", DataType.DOUBLE, 3, 4), y.name(),
                GraphPath.shapes(sd, feed, names(sd, y)));
        assertEquals(List.of("cos"), r.unsupported());
    }

    @Test
    void opsOffThePathToTheOutputNeedNoRule() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, 3, 4);
        sd.math.cos(x);
        SDVariable y = x.mul(2.0);
        Tangents.Result r = Tangents.extend(sd, "x", sd.placeHolder("xdot", DataType.DOUBLE, 3, 4), y.name(),
                GraphPath.shapes(sd, Map.of("x", Nd4j.rand(DataType.DOUBLE, 3, 4)), names(sd, y)));
        assertEquals(List.of(), r.unsupported());
    }

    /**
     * A discriminator with an op that has no tangent rule ({@code cos}) falls back to the difference, and its penalty
     * gradient is still right: it matches, to the difference's O(e^2) error, tangents on the same function built
     * without that op.
     */
    @Test
    void aDiscriminatorWithAnOpWithoutARuleFallsBackToTheDifference() {
        ParameterStore store = new ParameterStore(1);
        INDArray x = Nd4j.randn(DataType.FLOAT, 16, 2);
        InputGradientPenalty withCos = r1(tanhLayer(true), store);
        InputGradientPenalty plain = r1(tanhLayer(false), store);
        try {
            assertEquals(InputGradientPenalty.Method.DIFFERENCE, withCos.method());
            assertEquals(InputGradientPenalty.Method.TANGENT, plain.method());
            Map<String, INDArray> fallback = withCos.evaluate(List.of(x), null, 1.0).gradients();
            Map<String, INDArray> exact = plain.evaluate(List.of(x), null, 1.0).gradients();
            for (String p : List.of("d/w", "d/v")) {
                double error = fallback.get(p).sub(exact.get(p)).norm2Number().doubleValue()
                        / exact.get(p).norm2Number().doubleValue();
                assertTrue(error < 1e-2, p + ": relative error " + error);
            }
        } finally {
            withCos.release();
            plain.release();
        }
    }

    /** D(x) = tanh(x W) v, written with cos(h) - cos(h) added when {@code cos} is set. */
    private static org.jgan.api.Networks tanhLayer(boolean cos) {
        return new org.jgan.api.Networks() {
            @Override
            public SDVariable generator(org.jgan.api.NetworkScope scope, SDVariable z, SDVariable labels) {
                throw new UnsupportedOperationException();
            }

            @Override
            public org.jgan.api.Critique discriminator(org.jgan.api.NetworkScope scope, SDVariable x,
                    SDVariable labels) {
                SDVariable w = scope.param("w", org.jgan.api.NetworkScope.ParamKind.WEIGHT,
                        org.jgan.api.Initializer.normal(0.5), 2, 3);
                SDVariable v = scope.param("v", org.jgan.api.NetworkScope.ParamKind.WEIGHT,
                        org.jgan.api.Initializer.normal(0.5), 3, 1);
                SDVariable h = scope.sd().mmul(x, w);
                SDVariable a = scope.sd().math.tanh(h);
                if (cos) {
                    SDVariable c = scope.sd().math.cos(h);
                    a = a.add(c.sub(c));
                }
                return new org.jgan.api.Critique(scope.sd().mmul(a, v), null);
            }
        };
    }

    private static InputGradientPenalty r1(org.jgan.api.Networks networks, ParameterStore store) {
        org.jgan.regularizers.internal.R1Penalty r1 = new org.jgan.regularizers.internal.R1Penalty();
        ComponentCatalog.Entry entry = new ComponentCatalog.Entry(Kind.PENALTY, "r1", r1, "test", "0");
        RunSpec.RegularizerChoice choice = new RunSpec.RegularizerChoice(entry,
                org.jgan.api.Options.resolve("penalty", r1.options(), Map.of("gamma", "2")), 1, 1, false, 0.01);
        return new InputGradientPenalty(choice, 1, networks, new org.jgan.api.DataShape(2), 0, store, List.of());
    }
}
