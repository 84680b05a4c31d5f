package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.Pointer;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link GraphPlan} on small graphs, against {@code SameDiff#output} on the same graph: values over repeated calls
 * and a changed batch size, a changed parameter, pass-through and legacy ops, an unread output of a multi-output op,
 * the ownership of what it returns, its memory and its release, and the fall-back for graphs it does not plan. The
 * training graphs of every architecture are compared in {@code GraphPlanArchitecturesTest}. Bit for bit, so with
 * libnd4j's own arithmetic ({@link GraphPlan#ownArithmetic(boolean)}; {@code BroadcastsTest} and
 * {@code PatchConvTest} check the plans' own kernels), and with libnd4j's kernels for small arrays, so that the
 * other replacements run on these small graphs ({@code SmallKernelsTest} checks those of {@link SmallKernels}).
 */
class GraphPlanTest {

    private boolean ownArithmetic;
    private boolean smallKernels;

    /** libnd4j's arithmetic, and its kernels for small arrays: these graphs' arrays are all small. */
    @BeforeEach
    void libnd4jArithmetic() {
        ownArithmetic = GraphPlan.ownArithmetic(false);
        smallKernels = GraphPlan.smallKernels(false);
    }

    @AfterEach
    void restoreArithmetic() {
        GraphPlan.ownArithmetic(ownArithmetic);
        GraphPlan.smallKernels(smallKernels);
    }

    /** x [n, 3] -> relu(x W + b) -> (sum over rows, a softmax, the max with its index, an identity). */
    private static SameDiff graph() {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3);
        SDVariable w = sd.var("w", Nd4j.linspace(-1, 1, 6, DataType.FLOAT).reshape(3, 2));
        SDVariable b = sd.constant("b", Nd4j.createFromArray(0.1f, -0.2f));
        SDVariable h = sd.nn.relu(x.mmul(w).add(b), 0);
        h.mul(2.0).add(1e-3).sum(1).rename("s");
        sd.nn.softmax(h, 1).rename("p");
        // moments has two outputs; only the mean is read
        SDVariable[] moments = sd.math.moments(h, new int[] {0}, false);
        moments[0].mul(sd.identity(h).sum()).rename("m");
        return sd;
    }

    private static INDArray data(long n, double offset) {
        return Nd4j.linspace(-2 + offset, 2 + offset, n * 3, DataType.FLOAT).reshape(n, 3);
    }

    private static void assertBits(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertArrayEquals(expected.data().asFloat(), actual.data().asFloat(), 0f, what);
    }

    @Test
    void sameBitsAsSameDiffOverCallsBatchSizesAndParameterChanges() {
        SameDiff sd = graph();
        List<String> names = List.of("s", "p", "m");
        long[] before = GraphPlan.calls();
        for (Object[] call : new Object[][] {{4L, 0.0}, {4L, 0.5}, {7L, -0.3}, {4L, 0.25}}) {
            Map<String, INDArray> feed = Map.of("x", data((Long) call[0], (Double) call[1]));
            if ((Long) call[0] == 7L) {
                sd.getVariable("w").getArr().muli(-0.5);
            }
            Map<String, INDArray> planned = GraphPlan.output(sd, feed, names);
            Map<String, INDArray> reference = sd.output(feed, names.toArray(new String[0]));
            for (String n : names) {
                assertBits(reference.get(n), planned.get(n), n + " with " + call[0] + " rows, offset " + call[1]);
            }
        }
        long[] after = GraphPlan.calls();
        assertEquals(4, after[0] - before[0], "calls through the plan");
        assertEquals(0, after[1] - before[1], "calls that fell back");
        GraphMemory.release(sd);
    }

    /**
     * Given intermediates: fed as if placeholders, so that their producers do not run and what reads them reads the
     * fed values. Here h = relu(x W + b) is given a value that x does not produce, and s, p and m are what SameDiff
     * computes from that h; with h not given the same plan's graph computes them from x again, and with plans
     * switched off SameDiff computes h itself (the given value ignored). A name that is not an op's output is
     * refused, and a missing value named.
     */
    @Test
    void givenIntermediatesAreReadAsFedAndTheirProducersDoNotRun() {
        SameDiff sd = graph();
        List<String> names = List.of("s", "p", "m");
        INDArray x = data(4, 0);
        // the relu's output: the input of the mul that leads to s
        String relu = sd.getOps().values().stream().filter(o -> o.getOp().opName().equals("relu")).findFirst()
                .orElseThrow().getOutputsOfOp().get(0);
        INDArray fed = Nd4j.linspace(-3, 5, 8, DataType.FLOAT).reshape(4, 2);
        INDArray fedBefore = fed.dup();
        List<String> ran = new java.util.ArrayList<>();
        sd.addListeners(new org.nd4j.autodiff.listeners.BaseListener() {
            @Override
            public boolean isActive(org.nd4j.autodiff.listeners.Operation operation) {
                return true;
            }

            @Override
            public void opExecution(SameDiff g, org.nd4j.autodiff.listeners.At at,
                    org.nd4j.linalg.dataset.api.MultiDataSet batch, org.nd4j.autodiff.samediff.internal.SameDiffOp op,
                    org.nd4j.linalg.api.ops.OpContext context, INDArray[] outputs) {
                ran.add(op.getOp().opName());
            }
        });
        Map<String, INDArray> planned = GraphPlan.output(sd, Map.of("x", x, relu, fed), names, Set.of(relu));
        assertFalse(ran.isEmpty(), "the listener saw the call");
        assertFalse(ran.contains("relu") || ran.contains("matmul") || ran.contains("mmul"),
                "the given value's producers ran: " + ran);
        assertBits(fedBefore, fed, "the given array, unchanged");
        // the reference: the same graph downstream of h, with h a placeholder
        SameDiff ref = GraphMemory.create();
        SDVariable hr = ref.placeHolder("h", DataType.FLOAT, -1, 2);
        hr.mul(2.0).add(1e-3).sum(1).rename("s");
        ref.nn.softmax(hr, 1).rename("p");
        SDVariable[] moments = ref.math.moments(hr, new int[] {0}, false);
        moments[0].mul(ref.identity(hr).sum()).rename("m");
        Map<String, INDArray> expected = ref.output(Map.of("h", fed), "s", "p", "m");
        for (String n : names) {
            assertBits(expected.get(n), planned.get(n), n + " from the given h");
        }
        // a second call with another array of the same shape: the plan binds the new one
        INDArray other = fed.mul(-2);
        Map<String, INDArray> again = GraphPlan.output(sd, Map.of("x", x, relu, other), names, Set.of(relu));
        Map<String, INDArray> expectedAgain = ref.output(Map.of("h", other), "s", "p", "m");
        for (String n : names) {
            assertBits(expectedAgain.get(n), again.get(n), n + " from another given h");
        }
        Map<String, INDArray> fromX = sd.output(Map.of("x", x), "s", "p", "m");
        Map<String, INDArray> planFromX = GraphPlan.output(sd, Map.of("x", x), names);
        assertBits(fromX.get("s"), planFromX.get("s"), "s from x");
        assertFalse(Arrays.equals(fromX.get("s").data().asFloat(), planned.get("s").data().asFloat()),
                "the fed h differs from relu(x W + b)");
        GraphPlan.enable(false);
        try {
            Map<String, INDArray> off = GraphPlan.output(sd, Map.of("x", x, relu, fed), names, Set.of(relu));
            assertBits(fromX.get("s"), off.get("s"), "s with plans off");
        } finally {
            GraphPlan.enable(true);
        }
        IllegalArgumentException notAnOutput = assertThrows(
                IllegalArgumentException.class, () -> GraphPlan.output(sd, Map.of("x", x), names, Set.of("x")));
        assertTrue(notAnOutput.getMessage().contains("'x' is not an op's output"), notAnOutput.getMessage());
        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class, () -> GraphPlan.output(sd, Map.of("x", x), names, Set.of(relu)));
        assertTrue(missing.getMessage().contains("given intermediate '" + relu + "'"), missing.getMessage());
        GraphMemory.release(sd);
        GraphMemory.release(ref);
    }

    /**
     * A graph without placeholders whose variables get arrays of another shape between calls, as the penalties'
     * per-sample graphs do with each batch: each set of shapes gets its own arrays (a plan keyed by placeholder
     * shapes alone reused the first call's intermediates).
     */
    @Test
    void variablesReplacedByArraysOfAnotherShapeGetTheirOwnPlan() {
        SameDiff sd = GraphMemory.create();
        SDVariable a = sd.var("a", Nd4j.zeros(DataType.FLOAT, 1, 1));
        SDVariable b = sd.var("b", Nd4j.zeros(DataType.FLOAT, 1, 1));
        sd.math.log1p(sd.math.exp(a.neg())).add(b.mul(b).mul(0.5)).rename("f");
        List<String> names = List.of("f");
        for (long n : new long[] {3, 5, 3, 1}) {
            sd.associateArrayWithVariable(Nd4j.linspace(-1, 1, n, DataType.FLOAT).reshape(n, 1), "a");
            sd.associateArrayWithVariable(Nd4j.linspace(2, -2, n, DataType.FLOAT).reshape(n, 1), "b");
            INDArray planned = GraphPlan.output(sd, Map.of(), names).get("f");
            INDArray reference = sd.output(Map.of(), "f").get("f");
            assertBits(reference, planned, "f with " + n + " rows");
        }
        GraphMemory.release(sd);
    }

    /**
     * A reshape of an array the plan allocated is a view of it, and that array lives while the view is read: here
     * the reshape r is its input's last direct reader, r is read again after an op that takes an array of the input's
     * shape, which would be the input's own if its release did not wait for the view's readers. Requested alone and
     * with r (then the plan returns the view, and owns it as its other outputs). A reshape of a placeholder copies,
     * and so does one of a planned array to rank 0.
     */
    @Test
    void reshapesOfPlannedArraysAreViewsThatKeepTheirInputAlive() {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 4, 4);
        SDVariable r = sd.reshape(x.mul(2.0), -1, 16).rename("r");
        SDVariable e = sd.math.exp(x.neg());
        SDVariable q = sd.reshape(x, -1, 16);
        // a reshape of a planned array to rank 0 is not a view (ND4J's reshape gives a new array): the op copies
        SDVariable total = sd.reshape(x.mul(x).sum(true, 0, 1, 2), new long[0]);
        r.sum(1).add(sd.reshape(e, -1, 16).sum(1)).add(q.mul(r).sum(1)).add(total).rename("c");
        long views = GraphPlan.views();
        for (List<String> names : List.of(List.of("c"), List.of("c", "r"))) {
            for (Object[] call : new Object[][] {{3L, 0.0}, {3L, 0.5}, {5L, -0.3}}) {
                long n = (Long) call[0];
                Map<String, INDArray> feed = Map.of("x", Nd4j.linspace(-2 + (Double) call[1], 2, n * 16,
                        DataType.FLOAT).reshape(n, 4, 4));
                Map<String, INDArray> planned = GraphPlan.output(sd, feed, names);
                Map<String, INDArray> reference = sd.output(feed, names.toArray(new String[0]));
                for (String v : names) {
                    assertBits(reference.get(v), planned.get(v), v + " of " + names + " with " + n + " rows");
                    assertTrue(GraphPlan.owns(planned.get(v)), v + " belongs to the plan");
                }
            }
        }
        // r and the reshape of e, at the first call with 3 and with 5 rows, for each of the two plans; not the
        // reshape of the placeholder x nor the one to rank 0
        assertEquals(8, GraphPlan.views() - views, "reshapes planned as views");
        GraphMemory.release(sd);
    }

    @Test
    void broadcastingProductsHaveTheSameGradientsAsSameDiff() {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3, 4, 4);
        // per channel, per sample and pixel, along the last axis with a lower rank, a scalar, and a full-shape one
        SDVariable c = sd.var("c", Nd4j.linspace(0.5, 2, 3, DataType.FLOAT).reshape(1, 3, 1, 1));
        SDVariable p = sd.var("p", Nd4j.linspace(-1, 1, 2 * 16, DataType.FLOAT).reshape(2, 1, 4, 4));
        SDVariable v = sd.var("v", Nd4j.createFromArray(0.3f, -0.7f, 1.1f, 0.2f));
        SDVariable k = sd.var("k", Nd4j.createFromArray(1.5f));
        SDVariable h = x.mul(c).mul(p).mul(v).mul(k);
        SDVariable r = sd.constant("r", Nd4j.linspace(-3, 3, 2 * 3 * 16, DataType.FLOAT).reshape(2, 3, 4, 4));
        sd.setLossVariables(h.mul(h.mul(r)).sum().rename("loss"));
        sd.createGradFunction();
        SameDiff grad = sd.getFunction("grad");
        assertTrue(grad.getOps().values().stream().filter(o -> o.getOp().opName().equals("multiply_bp")).count() >= 4,
                "the gradient has broadcasting multiply_bp ops");
        List<String> names = List.of("loss", "x-grad", "c-grad", "p-grad", "v-grad", "k-grad").stream()
                .filter(n -> n.equals("loss") || grad.hasVariable(n)).toList();
        assertTrue(names.contains("c-grad") && names.contains("k-grad"), names.toString());
        for (double offset : new double[] {0, 0.7, -0.2}) {
            Map<String, INDArray> feed = Map.of("x", data(2 * 16, offset).reshape(2, 3, 4, 4));
            Map<String, INDArray> planned = GraphPlan.output(grad, feed, names);
            Map<String, INDArray> reference = grad.output(feed, names.toArray(new String[0]));
            for (String n : names) {
                assertBits(reference.get(n), planned.get(n), n + ", offset " + offset);
            }
        }
        GraphMemory.release(sd);
    }

    /**
     * A convolution (DCGAN's: 4x4, stride 2, padding 1, NCHW) with a bias, a LeakyReLU written as a product with its
     * slope mask, and a per-channel scale: the gradient graph has a {@code conv2d_bp}, a {@code multiply_bp} of equal
     * shapes whose mask gradient nothing reads, and a broadcasting {@code multiply_bp}.
     */
    private static SameDiff convolution() {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3, 8, 8);
        SDVariable w = sd.var("w", Nd4j.linspace(-1, 1, 4 * 4 * 3 * 5, DataType.FLOAT).reshape(4, 4, 3, 5).mul(0.3));
        SDVariable b = sd.var("b", Nd4j.linspace(-0.2, 0.3, 5, DataType.FLOAT));
        SDVariable c = sd.var("c", Nd4j.linspace(0.5, 1.5, 5, DataType.FLOAT).reshape(1, 5, 1, 1));
        SDVariable a = sd.cnn.conv2d(x, w, b, org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig
                .builder().kH(4).kW(4).sH(2).sW(2).pH(1).pW(1).dataFormat("NCHW").build());
        SDVariable mask = sd.gt(a, 0.0).castTo(DataType.FLOAT).mul(0.8).add(0.2);
        SDVariable h = a.mul(mask).mul(c);
        SDVariable r = sd.constant("r", Nd4j.linspace(-2, 2, 2 * 5 * 16, DataType.FLOAT).reshape(2, 5, 4, 4));
        sd.setLossVariables(h.mul(h.add(r)).sum().rename("loss"));
        sd.createGradFunction("x");
        return sd;
    }

    /**
     * Where only the data's gradient is read (D's convolutions in G's step), {@code conv2d_bp} runs as the input
     * gradient alone, the activation mask's gradient and the scale's are not computed, the mask's comparison and
     * cast run as one step, and the results are SameDiff's bits; where the parameters' gradients are read too, the
     * convolution's own kernel runs.
     */
    @Test
    void gradientsNobodyReadsAreNotComputed() {
        SameDiff sd = convolution();
        SameDiff grad = sd.getFunction("grad");
        assertTrue(grad.getOps().values().stream().anyMatch(o -> o.getOp().opName().equals("conv2d_bp")),
                "the gradient has a conv2d_bp");
        for (List<String> names : List.of(List.of("loss", "x-grad"), List.of("loss", "x-grad", "w-grad", "b-grad",
                "c-grad"), List.of("w-grad"))) {
            Map<String, Long> before = Replacements.calls();
            for (double offset : new double[] {0, 0.4}) {
                Map<String, INDArray> feed = Map.of("x", data(2 * 64, offset).reshape(2, 3, 8, 8));
                Map<String, INDArray> planned = GraphPlan.output(grad, feed, names);
                Map<String, INDArray> reference = grad.output(feed, names.toArray(new String[0]));
                for (String n : names) {
                    assertBits(reference.get(n), planned.get(n), n + " of " + names + ", offset " + offset);
                }
            }
            Map<String, Long> after = Replacements.calls();
            boolean parameters = names.contains("w-grad");
            assertEquals(parameters ? 0 : 2, delta(before, after, "conv2d_bp/input"),
                    "input-gradient-only convolutions for " + names);
            assertEquals(2, delta(before, after, "multiply_bp/one"), "one-sided products for " + names);
            assertEquals(2, delta(before, after, "multiply_bp/broadcast"), "broadcasting products for " + names);
            assertEquals(2, delta(before, after, "cast/step"), "masks as steps for " + names);
        }
        GraphMemory.release(sd);
    }

    /**
     * A comparison that something besides its cast reads is computed as it is; a cast of a comparison with a
     * nonzero cutoff becomes a step with that cutoff (ties included: {@code x > c} is false at {@code x == c}).
     */
    @Test
    void comparisonsReadElsewhereStayAndCutoffsAreKept() {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3);
        SDVariable shared = sd.gt(x, 0.5);
        shared.castTo(DataType.FLOAT).mul(x).rename("kept");
        sd.any(shared).castTo(DataType.FLOAT).rename("anyPositive");
        sd.gt(x, -0.25).castTo(DataType.FLOAT).mul(x).rename("stepped");
        List<String> names = List.of("kept", "anyPositive", "stepped");
        Map<String, Long> before = Replacements.calls();
        // steps of 0.25 from -2 hit both cutoffs exactly; offset by 0.125 they hit neither
        for (double offset : new double[] {0, 0.125, -0.5}) {
            Map<String, INDArray> feed = Map.of("x", Nd4j.linspace(-2 + offset, 2.25 + offset, 18, DataType.FLOAT)
                    .reshape(6, 3));
            Map<String, INDArray> planned = GraphPlan.output(sd, feed, names);
            Map<String, INDArray> reference = sd.output(feed, names.toArray(new String[0]));
            for (String n : names) {
                assertBits(reference.get(n), planned.get(n), n + ", offset " + offset);
            }
        }
        assertEquals(3, delta(before, Replacements.calls(), "cast/step"), "only the unshared comparison's cast");
        GraphMemory.release(sd);
    }

    /**
     * The gradients of a sum of two tensors of one shape (a residual block's) are the incoming gradient's own array,
     * not two copies of it: the same bits as SameDiff's, on small arrays and large ones, with the plan's kernels for
     * small arrays on or off, at the plan's first call and at a later one; two such sums in a chain share one array; a
     * sum that broadcasts runs {@code add_bp}; a requested gradient gets an array of its own.
     */
    @Test
    void sumsOfOneShapePassTheirGradientThrough() {
        for (boolean small : new boolean[] {false, true}) {
            GraphPlan.smallKernels(small);
            for (int n : new int[] {3, 5000}) {
                SameDiff sd = GraphMemory.create();
                // three inputs, each read once, so that each one's gradient variable is its whole gradient
                SDVariable x1 = sd.placeHolder("x1", DataType.FLOAT, -1, 8);
                SDVariable x2 = sd.placeHolder("x2", DataType.FLOAT, -1, 8);
                SDVariable x3 = sd.placeHolder("x3", DataType.FLOAT, -1, 8);
                SDVariable c = sd.var("c", Nd4j.linspace(-1, 1, 8, DataType.FLOAT).reshape(1, 8));
                SDVariable a = x1.mul(1.5);
                // two sums of one shape in a chain: both pass dL/ds through, sharing one array
                SDVariable s = a.add(sd.math.square(x2)).add(x3.mul(0.5));
                SDVariable t = s.add(c).rename("t");
                sd.setLossVariables(t.mul(t).sum().rename("loss"));
                sd.createGradFunction("x1", "x2", "x3");
                SameDiff grad = sd.getFunction("grad");
                String da = grad.getVariable(a.name()).getGradient().name();
                for (List<String> names : List.of(List.of("x1-grad", "x2-grad", "x3-grad", "c-grad"),
                        List.of("x1-grad", "x2-grad", "x3-grad", da))) {
                    long before = GraphPlan.passedThrough();
                    // a second call with other data runs the plan built by the first
                    for (double offset : new double[] {0, 0.7}) {
                        Map<String, INDArray> feed = new HashMap<>();
                        for (int i = 1; i <= 3; i++) {
                            feed.put("x" + i, Nd4j.linspace(-2 + offset, 3 - i, 8L * n, DataType.FLOAT).reshape(n, 8));
                        }
                        Map<String, INDArray> planned = GraphPlan.output(grad, feed, names);
                        Map<String, INDArray> reference = grad.output(feed, names.toArray(new String[0]));
                        for (String v : names) {
                            assertBits(reference.get(v), planned.get(v), v + " of " + n + " rows, offset " + offset);
                        }
                    }
                    // s + c broadcasts: its add_bp runs; the two sums in s pass dL/ds through, a + x2^2 not where
                    // dL/da is requested
                    assertEquals(names.contains(da) ? 1 : 2, GraphPlan.passedThrough() - before,
                            "add_bp passed through for " + names + ", " + n + " rows");
                }
                GraphMemory.release(sd);
            }
        }
    }

    /**
     * A sum that broadcasts one operand ({@code t = a + b} with {@code a = 1.5 x} and a bias {@code b} of
     * {@code [1, C, 1, 1]}): a's gradient is the incoming gradient's own array and only b's is computed, by the plan's
     * kernel that skips the other output. x's gradient has SameDiff's bits and b's the bits of the same plan without
     * the pass-through, at the plan's first call and a later one, on small and large arrays; with libnd4j's arithmetic
     * (whose {@code add_bp} writes both gradients) the op runs as before, with SameDiff's bits for both.
     */
    @Test
    void aBroadcastSumPassesItsGradientToItsOperandOfTheSumsShape() {
        boolean passing = GraphPlan.passThrough(true);
        try {
            for (boolean own : new boolean[] {true, false}) {
                GraphPlan.ownArithmetic(own);
                // 1 row: the small arrays' kernel or libnd4j's; 256: the sums by matrix products or libnd4j's
                for (int n : new int[] {1, 256}) {
                    for (boolean small : new boolean[] {true, false}) {
                        GraphPlan.smallKernels(small);
                        passesToTheOperandOfTheSumsShape(n, own && (small || n == 256),
                                n + " rows, own arithmetic " + own + ", small kernels " + small);
                    }
                }
            }
        } finally {
            GraphPlan.passThrough(passing);
        }
    }

    private static void passesToTheOperandOfTheSumsShape(int n, boolean kernel, String what) {
        List<String> names = List.of("x-grad", "b-grad");
        SameDiff sd = biasedSquare();
        SameDiff copying = biasedSquare();
        long before = GraphPlan.passedThroughToOne();
        List<Map<String, INDArray>> planned = new ArrayList<>();
        for (int call = 0; call < 2; call++) {
            Map<String, INDArray> feed = Map.of("x",
                    Nd4j.linspace(-2 + 0.7 * call, 3, 256L * n, DataType.FLOAT).reshape(n, 4, 8, 8));
            Map<String, INDArray> out = new HashMap<>();
            // the plan's arrays: the next call overwrites them
            GraphPlan.output(sd.getFunction("grad"), feed, names).forEach((v, a) -> out.put(v, a.dup()));
            planned.add(out);
            Map<String, INDArray> reference = sd.getFunction("grad").output(feed, "x-grad", "b-grad");
            assertBits(reference.get("x-grad"), out.get("x-grad"), "x-grad, " + what + ", call " + call);
            if (!kernel) {
                assertBits(reference.get("b-grad"), out.get("b-grad"), "b-grad, " + what + ", call " + call);
            }
        }
        assertEquals(kernel ? 1 : 0, GraphPlan.passedThroughToOne() - before,
                "add_bp of 1.5 x + b passing dL/dt to 1.5 x, " + what);
        GraphPlan.passThrough(false);
        for (int call = 0; call < 2; call++) {
            Map<String, INDArray> feed = Map.of("x",
                    Nd4j.linspace(-2 + 0.7 * call, 3, 256L * n, DataType.FLOAT).reshape(n, 4, 8, 8));
            Map<String, INDArray> copied = GraphPlan.output(copying.getFunction("grad"), feed, names);
            assertBits(copied.get("b-grad"), planned.get(call).get("b-grad"), "b-grad, " + what + ", call " + call);
        }
        GraphPlan.passThrough(true);
        assertEquals(kernel ? 1 : 0, GraphPlan.passedThroughToOne() - before, "without pass-through, " + what);
        GraphMemory.release(sd);
        GraphMemory.release(copying);
    }

    /** {@code t = 1.5 x + b}, loss {@code sum(t^2)}, x {@code [-1, 4, 8, 8]}, b {@code [1, 4, 1, 1]}. */
    private static SameDiff biasedSquare() {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 4, 8, 8);
        SDVariable b = sd.var("b", Nd4j.linspace(-1, 1, 4, DataType.FLOAT).reshape(1, 4, 1, 1));
        SDVariable t = x.mul(1.5).add(b).rename("t");
        sd.setLossVariables(t.mul(t).sum().rename("loss"));
        sd.createGradFunction("x");
        return sd;
    }

    /**
     * An incoming gradient that is a view of another array (the gradient of a reshape, planned as a view) is not
     * passed through: the other array's slot would be freed after its own last reader, not after the gradients'.
     */
    @Test
    void aGradientThatIsAViewIsNotPassedThrough() {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 8);
        SDVariable s = x.mul(1.5).add(x.mul(x));
        SDVariable t = sd.reshape(s, -1, 4, 2).rename("t");
        sd.setLossVariables(t.mul(t).sum().rename("loss"));
        sd.createGradFunction("x");
        SameDiff grad = sd.getFunction("grad");
        Map<String, INDArray> feed = Map.of("x", Nd4j.linspace(-2, 3, 8L * 300, DataType.FLOAT).reshape(300, 8));
        long before = GraphPlan.passedThrough();
        long views = GraphPlan.views();
        Map<String, INDArray> planned = GraphPlan.output(grad, feed, List.of("x-grad"));
        assertTrue(GraphPlan.views() > views, "the reshapes' gradients are views");
        assertEquals(0, GraphPlan.passedThrough() - before, "add_bp on a view's gradient passed through");
        assertBits(grad.output(feed, "x-grad").get("x-grad"), planned.get("x-grad"), "x-grad");
        GraphMemory.release(sd);
    }

    /**
     * With the plans' own arithmetic, LeakyReLU's slope mask ({@code [x > 0] 0.8 + 0.2}: a comparison, its cast and two
     * scalar ops) runs as one op: on a large array libnd4j's {@code LeakyRELUDerivative} ({@code x >= 0 ? 1 : 0.2}),
     * on a small one a Java loop; away from x = 0 the activation and its gradient are SameDiff's bits, at x = 0
     * exactly the large array's mask is 1 (the value x m is 0 either way), the small one's the graph's 0.2.
     */
    @Test
    void slopeMasksRunAsOneOpWithTheirOwnArithmetic() {
        GraphPlan.ownArithmetic(true);
        GraphPlan.smallKernels(true);
        for (int n : new int[] {40000, 100}) {
            SameDiff sd = GraphMemory.create();
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 4);
            SDVariable a = x.mul(1.5);
            SDVariable mask = sd.gt(a, 0.0).castTo(DataType.FLOAT).mul(0.8).add(0.2).rename("mask");
            SDVariable h = a.mul(mask).rename("h");
            SDVariable r = sd.placeHolder("r", DataType.FLOAT, -1, 4);
            sd.setLossVariables(h.mul(h.add(r)).sum().rename("loss"));
            sd.createGradFunction("x");
            SameDiff grad = sd.getFunction("grad");
            List<String> names = List.of("h", "mask", "x-grad");
            INDArray xs = Nd4j.linspace(-3.3, 2.9, 4L * n, DataType.FLOAT).reshape(n, 4);
            // no exact zeros: the grid's spacing is not a multiple of its start
            assertEquals(0, xs.eq(0).castTo(DataType.INT32).sumNumber().intValue(), "zeros in the data");
            Map<String, INDArray> feed = Map.of("x", xs, "r", Nd4j.linspace(-1, 1, 4L * n, DataType.FLOAT)
                    .reshape(n, 4));
            String kind = n > 16384 ? "add_scalar/slope-mask" : "add_scalar/slope-mask/small";
            Map<String, Long> before = Replacements.calls();
            Map<String, INDArray> planned = GraphPlan.output(grad, feed, names);
            assertEquals(1, delta(before, Replacements.calls(), kind), kind + " calls");
            assertEquals(0, delta(before, Replacements.calls(), "cast/step") + delta(before, Replacements.calls(),
                    "cast/step/small"), "no separate step");
            Map<String, INDArray> reference = grad.output(feed, names.toArray(new String[0]));
            for (String v : names) {
                assertBits(reference.get(v), planned.get(v), v + " of " + n + " rows");
            }
            // at x = 0 exactly
            INDArray zeros = Nd4j.zeros(DataType.FLOAT, n, 4);
            Map<String, INDArray> atZero = GraphPlan.output(grad, Map.of("x", zeros, "r", feed.get("r")),
                    List.of("h", "mask"));
            assertEquals(0, atZero.get("h").amaxNumber().doubleValue(), "h at 0");
            assertEquals(n > 16384 ? 1f : 0.2f, atZero.get("mask").getFloat(0), 0f, "mask at 0, " + n + " rows");
            GraphMemory.release(sd);
        }
    }

    /**
     * A matrix product whose one operand is a constant (no gradient read) or whose gradient is not requested: the
     * other operand's gradient alone, with the transposes of {@code mmul} and {@code matmul} taken into account, and
     * SameDiff's bits.
     */
    @Test
    void oneSidedMatrixProductsHaveSameDiffsBits() {
        SameDiff sd = matrixProducts();
        SameDiff grad = sd.getFunction("grad");
        assertTrue(grad.getOps().values().stream().anyMatch(o -> o.getOp().opName().equals("matmul_bp")),
                "the gradient has matmul_bp ops");
        for (List<String> names : List.of(List.of("loss", "x-grad"), List.of("w-grad", "v-grad"),
                List.of("x-grad", "w-grad", "v-grad"))) {
            Map<String, Long> before = Replacements.calls();
            for (double offset : new double[] {0, 0.3}) {
                Map<String, INDArray> feed = Map.of("x", Nd4j.linspace(-1 + offset, 1.5 + offset, 20, DataType.FLOAT)
                        .reshape(5, 4));
                Map<String, INDArray> planned = GraphPlan.output(grad, feed, names);
                Map<String, INDArray> reference = grad.output(feed, names.toArray(new String[0]));
                for (String n : names) {
                    assertBits(reference.get(n), planned.get(n), n + " of " + names + ", offset " + offset);
                }
            }
            assertTrue(delta(before, Replacements.calls(), "matmul_bp/one") >= 2, "one-sided products for " + names);
        }
        GraphMemory.release(sd);
    }

    /**
     * The replacement kernels run through op contexts they keep (until 2026-12-03 each call built a new op and
     * context, five to ten microseconds and several native allocations a call): once a plan is built, a further call
     * with the same arrays adds at most the one native pointer that ND4J's {@code reduce_sum} allocates. A garbage
     * collection during the calls can only lower JavaCPP's count.
     */
    @Test
    void replacementKernelsAllocateNothingPerCall() {
        SameDiff sd = convolution();
        SameDiff grad = sd.getFunction("grad");
        List<String> names = List.of("loss", "x-grad");
        Map<String, INDArray> feed = Map.of("x", data(2 * 64, 0).reshape(2, 3, 8, 8));
        GraphPlan.output(grad, feed, names);
        Map<String, Long> before = Replacements.calls();
        long grown = pointersAdded(grad, feed, names);
        Map<String, Long> after = Replacements.calls();
        for (String kind : List.of("conv2d_bp/input", "multiply_bp/one", "multiply_bp/broadcast", "cast/step")) {
            assertEquals(20, delta(before, after, kind), kind + " calls");
        }
        // the loss's reduce_sum, which the plan runs through its kept context, allocates one inside ND4J a call
        assertTrue(grown <= 20, "20 calls of a planned graph with 4 replacement kernels added " + grown
                + " native pointers; expected at most 20 (the old kernels added 8 a call)");
        GraphMemory.release(sd);
    }

    /** The same for the one-sided matrix products (D's dense layer in G's step, G's latent input). */
    @Test
    void oneSidedMatrixProductsAllocateNothingPerCall() {
        SameDiff sd = matrixProducts();
        SameDiff grad = sd.getFunction("grad");
        List<String> names = List.of("loss", "x-grad");
        Map<String, INDArray> feed = Map.of("x", Nd4j.linspace(-1, 1.5, 20, DataType.FLOAT).reshape(5, 4));
        GraphPlan.output(grad, feed, names);
        Map<String, Long> before = Replacements.calls();
        long grown = pointersAdded(grad, feed, names);
        long kernels = delta(before, Replacements.calls(), "matmul_bp/one");
        assertTrue(kernels >= 20, "one-sided products in 20 calls: " + kernels);
        // the loss's two reduce_sum ops allocate one each inside ND4J a call
        assertTrue(grown <= 40, "20 calls with " + kernels + " one-sided products added " + grown
                + " native pointers; expected at most 40");
        GraphMemory.release(sd);
    }

    /** Matrix products with a constant operand and with transposes, differentiated for the data's gradient. */
    private static SameDiff matrixProducts() {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 4);
        SDVariable w = sd.var("w", Nd4j.linspace(-1, 1, 12, DataType.FLOAT).reshape(4, 3));
        SDVariable v = sd.var("v", Nd4j.linspace(0.5, -0.5, 6, DataType.FLOAT).reshape(3, 2));
        SDVariable c = sd.constant("c", Nd4j.linspace(-0.3, 0.9, 6, DataType.FLOAT).reshape(3, 2));
        SDVariable h = sd.math.tanh(x.mmul(w));
        // h c (constant right operand), then op(h)^T-style products with transposes on both sides
        SDVariable g = h.mmul(c);
        SDVariable t = sd.mmul(v, h, true, true, false);
        sd.setLossVariables(g.mul(g).sum().add(t.mul(t).sum()).rename("loss"));
        sd.createGradFunction("x");
        return sd;
    }

    /**
     * Native pointers that 20 further calls of a built plan add (JavaCPP's count; a garbage collection during the
     * calls can only lower it).
     */
    static long pointersAdded(SameDiff graph, Map<String, INDArray> feed, List<String> names) {
        long pointers = Pointer.totalCount();
        for (int call = 0; call < 20; call++) {
            GraphPlan.output(graph, feed, names);
        }
        return Pointer.totalCount() - pointers;
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String kind) {
        return after.getOrDefault(kind, 0L) - before.getOrDefault(kind, 0L);
    }

    @Test
    void returnedArraysBelongToThePlanUntilTheGraphIsReleased() {
        SameDiff sd = graph();
        Map<String, INDArray> first = GraphPlan.output(sd, Map.of("x", data(4, 0)), List.of("s"));
        INDArray s = first.get("s");
        assertTrue(GraphPlan.owns(s));
        assertTrue(GraphMemory.cachedBytes(sd) >= 4 * 4, "the plan's arrays count as the graph's memory");
        GraphMemory.close(List.of(s));
        assertFalse(s.wasClosed(), "GraphMemory.close leaves a plan's arrays to it");
        // the next call with the same shapes writes into the same array
        INDArray again = GraphPlan.output(sd, Map.of("x", data(4, 1)), List.of("s")).get("s");
        assertSame(s, again);
        assertBits(sd.output(Map.of("x", data(4, 1)), "s").get("s"), again, "second call");
        GraphMemory.release(sd);
        assertTrue(s.wasClosed(), "released with its graph");
        assertFalse(GraphPlan.owns(s));
        assertEquals(0, GraphPlan.bytes(sd));
    }

    @Test
    void graphsWithControlDependenciesRunThroughSameDiff() {
        SameDiff sd = graph();
        Map<String, INDArray> feed = Map.of("x", data(5, 0));
        INDArray expected = sd.output(feed, "s").get("s");
        sd.getVariable("s").addControlDependency(sd.getVariable("p"));
        long[] before = GraphPlan.calls();
        INDArray planned = GraphPlan.output(sd, feed, List.of("s")).get("s");
        assertTrue(planned == null || !GraphPlan.owns(planned), "not the plan's array");
        long[] after = GraphPlan.calls();
        assertEquals(1, after[1] - before[1], "fell back");
        assertEquals(0, after[0] - before[0], "planned");
        if (planned != null) {
            assertBits(expected, planned, "s");
        }
        GraphMemory.release(sd);
    }
}
