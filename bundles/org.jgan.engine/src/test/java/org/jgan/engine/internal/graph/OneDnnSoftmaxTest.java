package org.jgan.engine.internal.graph;

import static org.jgan.engine.internal.graph.BatchedMatmulTest.calls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link OneDnnSoftmax}: a plan's {@code softmax} and its gradient {@code softmax_bp} through oneDNN's primitives,
 * against float64 written out as loops over the elements: {@code y = exp(x) / sum exp(x)} along the axis and, for
 * {@code L = sum(w y) + 0.5 sum(y^2)}, {@code dx = y (dy - sum_j dy_j y_j)} with {@code dy = w + y}; along every
 * axis of a rank-3 tensor (negative ones too) and SAGAN's attention's {@code [4, 256, 256]} along its last; the input
 * fed to the softmax directly in F order (read from a dense copy) or as an op's output; the gradient from the plan's y
 * ({@link OneDnnSoftmax.FromOutput}: by oneDNN's backward primitive alone, or by ND4J's ops where that primitive is
 * not made) or recomputing y from x; the kernels counted, and not run when switched off (libnd4j's ops then give the
 * same values). The gradient from y has the bits of the gradient from x, which ran the same forward primitive.
 */
class OneDnnSoftmaxTest {

    private boolean own;

    @BeforeEach
    void arithmeticOfItsOwn() {
        own = GraphPlan.ownArithmetic(true);
    }

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(own);
        OneDnnSoftmax.enable(true);
        OneDnnSoftmax.fromOutput(true);
        OneDnnSoftmax.forcedOps = false;
    }

    /** How the gradient runs: from y by oneDNN, from y by ND4J's ops, from x by oneDNN, or by libnd4j's op. */
    enum Gradient {
        FROM_Y, FROM_Y_BY_OPS, FROM_X, OFF;

        /** The kind of kernel counted for the gradient (null for libnd4j's op). */
        String kind() {
            return switch (this) {
                case FROM_Y -> OneDnnSoftmax.FROM_OUTPUT;
                case FROM_Y_BY_OPS -> OneDnnSoftmax.FROM_OUTPUT_OPS;
                case FROM_X -> "softmax_bp/onednn";
                case OFF -> null;
            };
        }

        /** Sets the switches for plans compiled from now on. */
        void set() {
            OneDnnSoftmax.enable(this != OFF);
            OneDnnSoftmax.fromOutput(this == FROM_Y || this == FROM_Y_BY_OPS);
            OneDnnSoftmax.forcedOps = this == FROM_Y_BY_OPS;
        }
    }

    @ParameterizedTest(name = "[{0}, {1}, {2}] along {3}, input fed directly {4}, gradient {5}")
    @CsvSource({
            "3, 5, 7, 2, false, FROM_Y",
            "3, 5, 7, 1, false, FROM_Y",
            "3, 5, 7, 0, false, FROM_Y",
            "3, 5, 7, -1, true, FROM_Y",
            "3, 5, 7, -2, true, FROM_Y",
            "4, 256, 256, 2, false, FROM_Y",  // SAGAN's attention, 4 samples
            "3, 5, 7, 1, false, FROM_Y_BY_OPS",
            "3, 5, 7, -1, true, FROM_Y_BY_OPS",
            "4, 256, 256, 2, false, FROM_Y_BY_OPS",
            "3, 5, 7, 1, false, FROM_X",
            "3, 5, 7, -2, true, FROM_X",
            "4, 256, 256, 2, false, FROM_X",
            "3, 5, 7, 1, false, OFF"})
    void softmaxAndItsGradientMatchFloat64(long a, long b, long c, int axis, boolean fed, Gradient gradient) {
        assumeTrue(OneDnnConv.available(), "oneDNN's own binding loads here");
        gradient.set();
        long[] shape = {a, b, c};
        // logits of a few units, as attention scores have
        INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(3);
        INDArray w = Nd4j.randn(DataType.FLOAT, shape);
        if (fed) {
            x = x.dup('f');
        }
        SameDiff sd = graph(shape, axis, fed, w);
        String dxName = sd.getVariable("x").getGradient().name();
        Map<String, Long> before = GraphPlan.kernelCalls();
        Map<String, INDArray> got = GraphPlan.output(sd.getFunction("grad"), Map.of("x", x), List.of("y", dxName),
                Set.of());
        boolean on = gradient != Gradient.OFF;
        assertEquals(on ? 1 : 0, calls("softmax/onednn") - before.getOrDefault("softmax/onednn", 0L),
                "softmax by oneDNN: " + GraphPlan.kernelCalls());
        for (Gradient g : Gradient.values()) {
            if (g.kind() != null) {
                assertEquals(g == gradient ? 1 : 0, calls(g.kind()) - before.getOrDefault(g.kind(), 0L),
                        g.kind() + ": " + GraphPlan.kernelCalls());
            }
        }

        int ax = axis < 0 ? axis + 3 : axis;
        double[][][] yRef = new double[(int) a][(int) b][(int) c];
        double[][][] dxRef = new double[(int) a][(int) b][(int) c];
        long[] dims = shape;
        // every line along the axis: the other two indices fixed
        int o1 = ax == 0 ? 1 : 0;
        int o2 = ax == 2 ? 1 : 2;
        for (int p = 0; p < dims[o1]; p++) {
            for (int q = 0; q < dims[o2]; q++) {
                int n = (int) dims[ax];
                long[][] at = new long[n][3];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < n; t++) {
                    at[t][ax] = t;
                    at[t][o1] = p;
                    at[t][o2] = q;
                    max = Math.max(max, x.getDouble(at[t]));
                }
                double sum = 0;
                double[] e = new double[n];
                for (int t = 0; t < n; t++) {
                    e[t] = Math.exp(x.getDouble(at[t]) - max);
                    sum += e[t];
                }
                double dot = 0;
                double[] ys = new double[n];
                double[] dys = new double[n];
                for (int t = 0; t < n; t++) {
                    ys[t] = e[t] / sum;
                    dys[t] = w.getDouble(at[t]) + ys[t];
                    dot += dys[t] * ys[t];
                }
                for (int t = 0; t < n; t++) {
                    yRef[(int) at[t][0]][(int) at[t][1]][(int) at[t][2]] = ys[t];
                    dxRef[(int) at[t][0]][(int) at[t][1]][(int) at[t][2]] = ys[t] * (dys[t] - dot);
                }
            }
        }
        double yErr = 0;
        double dxErr = 0;
        double dxMax = 0;
        INDArray yGot = got.get("y");
        INDArray dxGot = got.get(dxName);
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < c; k++) {
                    yErr = Math.max(yErr, Math.abs(yGot.getDouble(i, j, k) - yRef[i][j][k]));
                    dxErr = Math.max(dxErr, Math.abs(dxGot.getDouble(i, j, k) - dxRef[i][j][k]));
                    dxMax = Math.max(dxMax, Math.abs(dxRef[i][j][k]));
                }
            }
        }
        // y in (0, 1]: a few float roundings; dx relative to its largest element
        assertTrue(yErr < 1e-6, "y off by " + yErr);
        assertTrue(dxErr < 1e-5 * dxMax, "dx off by " + dxErr + " of " + dxMax);
    }

    /**
     * SAGAN's attention's shape: the gradient from the plan's y has the bits of the gradient that recomputes y (the
     * same forward primitive on the same x), and the plan reads y, not x, for it.
     */
    @Test
    void gradientFromYHasTheBitsOfTheGradientFromX() {
        assumeTrue(OneDnnConv.available(), "oneDNN's own binding loads here");
        long[] shape = {4, 256, 256};
        INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(3);
        INDArray w = Nd4j.randn(DataType.FLOAT, shape);
        INDArray[] dx = new INDArray[2];
        for (Gradient g : new Gradient[] {Gradient.FROM_X, Gradient.FROM_Y}) {
            g.set();
            SameDiff sd = graph(shape, 2, false, w);
            String dxName = sd.getVariable("x").getGradient().name();
            long n = calls(g.kind());
            dx[g == Gradient.FROM_X ? 0 : 1] = GraphPlan.output(sd.getFunction("grad"), Map.of("x", x),
                    List.of(dxName), Set.of()).get(dxName).dup();
            assertEquals(1, calls(g.kind()) - n, g.kind() + ": " + GraphPlan.kernelCalls());
        }
        assertEquals(dx[0], dx[1], "dx from y against dx from x");
        assertTrue(dx[0].norm2Number().doubleValue() > 0, "a gradient that is not zero");
    }

    /** {@code L = sum(w y) + 0.5 sum(y^2)} with {@code y = softmax(x)} named "y", and its gradient function. */
    private static SameDiff graph(long[] shape, int axis, boolean fed, INDArray w) {
        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.placeHolder("x", DataType.FLOAT, shape);
        SDVariable y = sd.nn.softmax("y", fed ? xv : xv.mul(1.0), axis);
        y.mul(sd.constant(w)).sum().add(y.mul(y).sum().mul(0.5)).markAsLoss();
        sd.createGradFunction("x");
        return sd;
    }
}
