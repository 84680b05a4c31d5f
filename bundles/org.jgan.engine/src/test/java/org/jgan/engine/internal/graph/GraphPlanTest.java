package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.jgan.engine.internal.memory.GraphMemory;
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
 * training graphs of every architecture are compared in {@code GraphPlanArchitecturesTest}.
 */
class GraphPlanTest {

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
