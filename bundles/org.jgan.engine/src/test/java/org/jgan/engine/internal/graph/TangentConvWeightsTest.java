package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link TangentConvWeights}: in a plan given the gradient of a convolution's output (a penalty's tangent pass given
 * its adjoints), the convolution and its weight gradient run as one op, against both written out as sums in float64,
 * over two calls with new inputs: the WGAN-GP ResNet's 3x3 layers, a first layer on one channel, a 1x1 shortcut,
 * DCGAN's 4x4 stride-2 layers, a map that is not square, and a stride that does not cover the padded input exactly
 * (the two ops after all). Where the input gradient is read, the output's gradient is computed in the pass, or the
 * fusion is off, the plan runs the two ops, to the same values.
 */
class TangentConvWeightsTest {

    /** The kind the plan counts the fused op's calls under. */
    private static final String KIND = TangentConvWeights.KIND;

    private record Conv(int n, int c, int h, int w, int co, int k, int s, int p) {
        int oh() {
            return (h + 2 * p - k) / s + 1;
        }

        int ow() {
            return (w + 2 * p - k) / s + 1;
        }
    }

    /** z = conv(x, W) and dW = sum dz x in float64 (weights [k, k, c, co], NCHW). */
    private static double[][] reference(Conv g, INDArray x, INDArray w, INDArray dz) {
        double[] z = new double[g.n() * g.co() * g.oh() * g.ow()];
        double[] dw = new double[g.k() * g.k() * g.c() * g.co()];
        for (int i = 0; i < g.n(); i++) {
            for (int o = 0; o < g.co(); o++) {
                for (int y = 0; y < g.oh(); y++) {
                    for (int xx = 0; xx < g.ow(); xx++) {
                        int at = ((i * g.co() + o) * g.oh() + y) * g.ow() + xx;
                        double d = dz.getDouble(i, o, y, xx);
                        for (int ky = 0; ky < g.k(); ky++) {
                            for (int kx = 0; kx < g.k(); kx++) {
                                int iy = y * g.s() - g.p() + ky;
                                int ix = xx * g.s() - g.p() + kx;
                                if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) {
                                    continue;
                                }
                                for (int c = 0; c < g.c(); c++) {
                                    double v = x.getDouble(i, c, iy, ix);
                                    z[at] += w.getDouble(ky, kx, c, o) * v;
                                    dw[((ky * g.k() + kx) * g.c() + c) * g.co() + o] += d * v;
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {z, dw};
    }

    /** The graph {@code sum(conv(x, W) * r)} with x a placeholder or a variable, and its gradient function. */
    private record Graph(SameDiff sd, SDVariable x, SDVariable w, SDVariable z) {
        static Graph of(Conv g, boolean xVariable) {
            SameDiff sd = GraphMemory.create();
            SDVariable x = xVariable ? sd.var("x", Nd4j.zeros(DataType.FLOAT, g.n(), g.c(), g.h(), g.w()))
                    : sd.placeHolder("x", DataType.FLOAT, -1, g.c(), g.h(), g.w());
            SDVariable w = sd.var("w", Nd4j.randn(DataType.FLOAT, g.k(), g.k(), g.c(), g.co()));
            SDVariable z = sd.cnn.conv2d(x, w, Conv2DConfig.builder().kH(g.k()).kW(g.k()).sH(g.s()).sW(g.s())
                    .pH(g.p()).pW(g.p()).dataFormat("NCHW").build());
            z.mul(sd.placeHolder("r", DataType.FLOAT, -1, g.co(), g.oh(), g.ow())).sum().rename("loss");
            sd.setLossVariables("loss");
            sd.createGradFunction();
            return new Graph(sd, x, w, z);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "the ResNet's 3x3; 2, 8, 8, 8, 8, 3, 1, 1",
        "a first layer on one channel; 3, 1, 6, 6, 8, 3, 1, 1",
        "a 1x1 shortcut; 2, 4, 4, 4, 6, 1, 1, 0",
        "DCGAN's 4x4 stride 2; 2, 3, 14, 14, 4, 4, 2, 1",
        "a map that is not square; 2, 3, 5, 9, 4, 3, 1, 1",
        "stride 2 not covering the input (the two ops); 2, 3, 8, 8, 4, 3, 2, 1"})
    void theConvolutionAndItsWeightGradientAsOneOp(String name, String geometry) {
        int[] a = java.util.Arrays.stream(geometry.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        Conv g = new Conv(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        boolean before = GraphPlan.ownArithmetic(true);
        Graph graph = Graph.of(g, false);
        try {
            Nd4j.getRandom().setSeed(7);
            String dz = graph.z().getGradient().name();
            String dw = graph.w().getGradient().name();
            for (int call = 0; call < 2; call++) {
                INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w());
                INDArray given = Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
                Map<String, INDArray> feed = Map.of("x", x, "r", Nd4j.zeros(DataType.FLOAT, given.shape()), dz, given);
                long calls = GraphPlan.kernelCalls().getOrDefault(KIND, 0L);
                Map<String, INDArray> got = GraphPlan.output(graph.sd().getFunction("grad"), feed,
                        List.of(graph.z().name(), dw), Set.of(dz));
                assertEquals(calls + 1, GraphPlan.kernelCalls().getOrDefault(KIND, 0L),
                        name + ", call " + call + ": the two ops as one: " + GraphPlan.kernelCalls());
                double[][] expected = reference(g, x, graph.w().getArr(), given);
                FewChannelDeconvTest.assertClose(expected[0], got.get(graph.z().name()), 1e-5,
                        name + ", call " + call + ": the convolution");
                FewChannelDeconvTest.assertClose(expected[1], got.get(dw), 1e-5,
                        name + ", call " + call + ": its weight gradient");
                graph.w().getArr().muli(-0.75);
            }
        } finally {
            GraphMemory.release(graph.sd());
            GraphPlan.ownArithmetic(before);
        }
    }

    /**
     * The input gradient read (x a variable whose gradient is requested), the output's gradient computed in the pass
     * (from r), the fusion off: the plan runs conv2d and conv2d_bp, to the definition's values.
     */
    @Test
    void otherwiseThePlanRunsTheTwoOps() {
        Conv g = new Conv(2, 8, 8, 8, 8, 3, 1, 1);
        boolean before = GraphPlan.ownArithmetic(true);
        try {
            for (String c : List.of("input gradient read", "gradient computed", "fusion off")) {
                Graph graph = Graph.of(g, c.equals("input gradient read"));
                try {
                    Nd4j.getRandom().setSeed(11);
                    INDArray x = Nd4j.randn(DataType.FLOAT, g.n(), g.c(), g.h(), g.w());
                    INDArray r = Nd4j.randn(DataType.FLOAT, g.n(), g.co(), g.oh(), g.ow());
                    String dz = graph.z().getGradient().name();
                    String dw = graph.w().getGradient().name();
                    Map<String, INDArray> feed = new HashMap<>(Map.of("r", r, dz, r));
                    List<String> requested = new java.util.ArrayList<>(List.of(graph.z().name(), dw));
                    Set<String> given = Set.of(dz);
                    if (c.equals("input gradient read")) {
                        graph.x().getArr().assign(x);
                        requested.add(graph.x().getGradient().name());
                    } else {
                        feed.put("x", x);
                    }
                    if (c.equals("gradient computed")) {
                        given = Set.of();
                    }
                    TangentConvWeights.enable(!c.equals("fusion off"));
                    long calls = GraphPlan.kernelCalls().getOrDefault(KIND, 0L);
                    Map<String, INDArray> got = GraphPlan.output(graph.sd().getFunction("grad"), feed, requested,
                            given);
                    assertEquals(calls, GraphPlan.kernelCalls().getOrDefault(KIND, 0L), c + ": the two ops");
                    double[][] expected = reference(g, x, graph.w().getArr(), r);
                    FewChannelDeconvTest.assertClose(expected[0], got.get(graph.z().name()), 1e-5,
                            c + ": the convolution");
                    FewChannelDeconvTest.assertClose(expected[1], got.get(dw), 1e-5, c + ": its weight gradient");
                } finally {
                    TangentConvWeights.enable(true);
                    GraphMemory.release(graph.sd());
                }
            }
        } finally {
            GraphPlan.ownArithmetic(before);
        }
    }
}
