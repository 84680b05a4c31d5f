package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Broadcasts}: the merged views of broadcast shapes, the ops run on them against libnd4j's own kernels on the
 * original shapes (the same bits), the sums by matrix products against float64 sums written out here, and a planned
 * batch-normalized graph's gradients against the same graph in float64.
 */
class BroadcastsTest {

    private final boolean ownArithmetic = GraphPlan.ownArithmetic(true);

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(ownArithmetic);
    }

    @Test
    void collapseMergesAdjacentAxesOfOneKind() {
        long[] full = {8, 3, 5, 4};
        // per channel: [N, C, HW] by [1, C, 1]
        assertShapes(new long[][] {{8, 3, 20}, {1, 3, 1}}, Broadcasts.collapse(full, new long[] {1, 3, 1, 1}));
        // NumPy's alignment: [C, 1, 1] is [1, C, 1, 1]
        assertShapes(new long[][] {{8, 3, 20}, {1, 3, 1}}, Broadcasts.collapse(full, new long[] {3, 1, 1}));
        // per sample and channel (conditional and adaptive norms): [N C, HW] by [N C, 1]
        assertShapes(new long[][] {{24, 20}, {24, 1}}, Broadcasts.collapse(full, new long[] {8, 3, 1, 1}));
        // per pixel along the last axes
        assertShapes(new long[][] {{24, 20}, {1, 20}}, Broadcasts.collapse(full, new long[] {5, 4}));
        // two operands: per sample and pixel times per channel
        assertShapes(new long[][] {{8, 3, 20}, {8, 1, 20}, {1, 3, 1}},
                Broadcasts.collapse(full, new long[] {8, 1, 5, 4}, new long[] {1, 3, 1, 1}));
        // axes of size 1 everywhere are dropped; a scalar against all
        assertShapes(new long[][] {{8, 3}, {1, 3}}, Broadcasts.collapse(new long[] {8, 1, 3}, new long[] {1, 1, 3}));
        assertShapes(new long[][] {{480}, {1}}, Broadcasts.collapse(full, new long[] {1, 1, 1, 1}));
        assertShapes(new long[][] {{1}, {1}}, Broadcasts.collapse(new long[] {1, 1}, new long[] {1}));
        assertNull(Broadcasts.collapse(full, new long[] {1, 2, 1, 1}), "3 channels do not take 2");
        assertNull(Broadcasts.collapse(full, new long[] {2, 8, 3, 5, 4}), "a higher rank does not broadcast");
    }

    private static void assertShapes(long[][] expected, long[][] actual) {
        assertNotNull(actual);
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], "shape " + i);
        }
    }

    /** The elementwise ops and the reductions' backward passes on merged views: libnd4j's bits on the full shapes. */
    @Test
    void mergedOpsGiveLibnd4jsBits() {
        long[] full = {6, 5, 7, 3};
        INDArray x = random(full, 1);
        List<long[]> operands = List.of(new long[] {1, 5, 1, 1}, new long[] {6, 5, 1, 1}, new long[] {1, 1, 7, 3},
                new long[] {5, 1, 1}, new long[] {6, 1, 7, 3});
        int merged = 0;
        for (String op : List.of("add", "subtract", "multiply", "divide")) {
            for (long[] shape : operands) {
                INDArray y = random(shape, 2).addi(3);
                for (boolean swap : new boolean[] {false, true}) {
                    INDArray[] in = swap ? new INDArray[] {y, x} : new INDArray[] {x, y};
                    INDArray expected = Nd4j.create(DataType.FLOAT, full);
                    Nd4j.exec(DynamicCustomOp.builder(op).addInputs(in).addOutputs(expected).build());
                    INDArray actual = Nd4j.create(DataType.FLOAT, full);
                    Replacements.Kernel k = Broadcasts.Collapsed.elementwise(op, in, actual);
                    assertNotNull(k, op + " " + java.util.Arrays.toString(shape));
                    k.run(in);
                    k.close();
                    assertArrayEquals(expected.data().asFloat(), actual.data().asFloat(), 0f, op);
                    merged++;
                }
            }
        }
        // both operands broadcast: [6, 1, 7, 3] by [1, 5, 1, 1], merged to [6, 1, 21] by [1, 5, 1]
        for (String op : List.of("add", "multiply")) {
            INDArray[] in = {random(new long[] {6, 1, 7, 3}, 6), random(new long[] {1, 5, 1, 1}, 7)};
            INDArray expected = Nd4j.create(DataType.FLOAT, full);
            Nd4j.exec(DynamicCustomOp.builder(op).addInputs(in).addOutputs(expected).build());
            INDArray actual = Nd4j.create(DataType.FLOAT, full);
            Replacements.Kernel k = Broadcasts.Collapsed.elementwise(op, in, actual);
            assertNotNull(k, op + " of two broadcast operands");
            k.run(in);
            k.close();
            assertArrayEquals(expected.data().asFloat(), actual.data().asFloat(), 0f, op);
            merged++;
        }
        assertEquals(42, merged);
        for (String op : List.of("reduce_mean_bp", "reduce_sum_bp")) {
            for (int[] axes : new int[][] {{0, 2, 3}, {2, 3}, {0}, {-1, -2}}) {
                long[] kept = Broadcasts.keptShape(full, java.util.Arrays.stream(axes).asLongStream().toArray());
                INDArray g = random(kept, 3);
                DynamicCustomOp own = DynamicCustomOp.builder(op).addBooleanArguments(true).addIntegerArguments(axes)
                        .addInputs(x, g).build();
                INDArray expected = Nd4j.create(DataType.FLOAT, full);
                own.addOutputArgument(expected);
                Nd4j.exec(own);
                INDArray actual = Nd4j.create(DataType.FLOAT, full);
                Replacements.Kernel k = Broadcasts.Collapsed.reductionBackward(
                        DynamicCustomOp.builder(op).addBooleanArguments(true).addIntegerArguments(axes).build(),
                        new INDArray[] {x, g}, actual);
                assertNotNull(k, op + " " + java.util.Arrays.toString(axes));
                k.run(new INDArray[] {x, g});
                k.close();
                assertArrayEquals(expected.data().asFloat(), actual.data().asFloat(), 0f, op);
            }
            // the gradient of a reduction without kept axes: [5] for the per-channel sum
            INDArray g = random(new long[] {5}, 8);
            INDArray expected = Nd4j.create(DataType.FLOAT, full);
            Nd4j.exec(DynamicCustomOp.builder(op).addBooleanArguments(false).addIntegerArguments(0, 2, 3)
                    .addInputs(x, g).addOutputs(expected).build());
            INDArray actual = Nd4j.create(DataType.FLOAT, full);
            Replacements.Kernel k = Broadcasts.Collapsed.reductionBackward(DynamicCustomOp.builder(op)
                    .addBooleanArguments(false).addIntegerArguments(0, 2, 3).build(), new INDArray[] {x, g}, actual);
            assertNotNull(k);
            k.run(new INDArray[] {x, g});
            k.close();
            assertArrayEquals(expected.data().asFloat(), actual.data().asFloat(), 0f, op + " without kept axes");
        }
    }

    /** Sums by matrix products in each pattern of axes, against float64 sums of the same floats. */
    @Test
    void matrixSumsMatchFloat64Sums() {
        Object[][] cases = {
            {new long[] {32, 24, 7, 7}, new long[] {0, 2, 3}, 1.0},
            {new long[] {32, 24, 7, 7}, new long[] {0, 2, 3}, 1.0 / (32 * 49)},
            {new long[] {300, 120}, new long[] {0}, -1.0},
            {new long[] {64, 12, 50}, new long[] {2}, 1.0},
            {new long[] {16, 32, 8, 10}, new long[] {2, 3}, 0.5},
            {new long[] {8, 64, 64}, new long[] {0, 1, 2}, 1.0},
        };
        for (Object[] c : cases) {
            long[] full = (long[]) c[0];
            long[] axes = (long[]) c[1];
            double factor = (Double) c[2];
            long[] kept = Broadcasts.keptShape(full, axes);
            INDArray out = Nd4j.create(DataType.FLOAT, kept);
            List<INDArray> owned = new ArrayList<>();
            Broadcasts.MatrixSum sum = Broadcasts.MatrixSum.of(full, kept, out, factor, owned::add);
            assertNotNull(sum, java.util.Arrays.toString(axes));
            // a second input array (a placeholder fed anew), then the first again
            INDArray x = random(full, 4).addi(0.25);
            INDArray other = random(full, 9).subi(0.5);
            for (INDArray in : new INDArray[] {x, other, x}) {
                sum.run(in);
                double[] expected = reference(in, kept, factor);
                float[] actual = out.data().asFloat();
                double scale = 0;
                for (double e : expected) {
                    scale = Math.max(scale, Math.abs(e));
                }
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[i], 2e-6 * scale,
                            java.util.Arrays.toString(axes) + " element " + i);
                }
            }
            sum.close();
            owned.forEach(INDArray::close);
        }
        assertNull(Broadcasts.MatrixSum.of(new long[] {40, 50, 60}, new long[] {40, 1, 60},
                Nd4j.create(DataType.FLOAT, 40, 1, 60), 1.0, a -> { }),
                "a sum over middle axes only is not a pattern of one or two products");
        assertNull(Broadcasts.MatrixSum.of(new long[] {16, 12, 7, 7}, new long[] {1, 12, 1, 1},
                Nd4j.create(DataType.FLOAT, 1, 12, 1, 1), 1.0, a -> { }),
                "below " + Broadcasts.MatrixSum.MIN_ELEMENTS + " elements libnd4j's own sum is as fast");
    }

    /** Sums x over the axes where {@code kept} is 1, in float64 from x's floats, in C order of the kept elements. */
    private static double[] reference(INDArray x, long[] kept, double factor) {
        long[] shape = x.shape();
        float[] data = x.data().asFloat();
        int keptCount = (int) java.util.Arrays.stream(kept).reduce(1, (a, b) -> a * b);
        double[] sums = new double[keptCount];
        int[] idx = new int[shape.length];
        for (float v : data) {
            int k = 0;
            for (int d = 0; d < shape.length; d++) {
                k = (int) (k * kept[d] + (kept[d] == 1 ? 0 : idx[d]));
            }
            sums[k] += v;
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        for (int i = 0; i < sums.length; i++) {
            sums[i] *= factor;
        }
        return sums;
    }

    /**
     * Batch normalization over (0, 2, 3) with a per-channel scale and shift, as the layers build it, then a
     * per-sample-and-channel scale, a per-pixel bias, a LeakyReLU and a per-channel output weight: planned in float32
     * with the sums by matrix products (every pattern: summed-kept-summed, kept-summed, summed-kept, all), its loss
     * and gradients within float rounding of the same graph in float64 run by SameDiff, and its kernels allocating
     * nothing per call.
     */
    @Test
    void batchNormGradientsMatchFloat64() {
        long[] shape = {64, 16, 7, 7};
        INDArray data = random(shape, 5).muli(2).addi(0.3);
        SameDiff single = batchNorm(DataType.FLOAT, shape[1]);
        SameDiff dbl = batchNorm(DataType.DOUBLE, shape[1]);
        List<String> names = new ArrayList<>(List.of("loss"));
        for (String v : List.of("x", "gamma", "beta", "w", "cs", "pb")) {
            // the gradient's variable (x's is a sum of its three uses' gradients)
            String g = single.getVariable(v).getGradient().name();
            assertEquals(g, dbl.getVariable(v).getGradient().name());
            names.add(g);
        }
        Map<String, Long> before = GraphPlan.kernelCalls();
        Map<String, INDArray> planned = GraphPlan.output(single.getFunction("grad"), Map.of("x", data), names);
        Map<String, INDArray> reference = dbl.getFunction("grad").output(Map.of("x", data.castTo(DataType.DOUBLE)),
                names.toArray(new String[0]));
        Map<String, Long> after = GraphPlan.kernelCalls();
        for (String kind : List.of("reduce_mean/matrix", "add_bp/matrix", "subtract_bp/matrix", "multiply_bp/broadcast",
                "subtract/merged", "multiply/merged", "add/merged", "reduce_mean_bp/merged")) {
            assertTrue(after.getOrDefault(kind, 0L) > before.getOrDefault(kind, 0L), kind + " ran: " + after);
        }
        for (String n : names) {
            double[] e = reference.get(n).data().asDouble();
            float[] a = planned.get(n).data().asFloat();
            double scale = 0;
            for (double v : e) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], a[i], 1e-5 * scale + 1e-6, n + " element " + i);
            }
        }
        // later calls on the same arrays: no native allocation in the kernels (the loss's sum allocates one)
        long grown = GraphPlanTest.pointersAdded(single.getFunction("grad"), Map.of("x", data), names);
        assertTrue(grown <= 20, "20 calls added " + grown + " native pointers; expected at most 20");
        GraphMemory.release(single);
        GraphMemory.release(dbl);
    }

    private static SameDiff batchNorm(DataType type, long channels) {
        SameDiff sd = GraphMemory.create();
        SDVariable x = sd.placeHolder("x", type, -1, channels, 7, 7);
        SDVariable gamma = sd.var("gamma", Nd4j.linspace(0.5, 1.5, channels, type).reshape(1, channels, 1, 1));
        SDVariable beta = sd.var("beta", Nd4j.linspace(-0.3, 0.4, channels, type).reshape(1, channels, 1, 1));
        SDVariable w = sd.var("w", Nd4j.linspace(-1, 1, channels, type).reshape(1, channels, 1, 1));
        SDVariable mean = x.mean(true, 0, 2, 3);
        SDVariable centered = x.sub(mean);
        SDVariable var = centered.mul(centered).mean(true, 0, 2, 3);
        SDVariable scale = gamma.mul(sd.math.rsqrt(var.add(1e-5)));
        SDVariable y = x.mul(scale).add(beta.sub(mean.mul(scale)));
        // a per-sample and channel scale (conditional norms: summed over H, W) and a per-pixel bias (summed over
        // N, C), so that every pattern of sums has a gradient through it
        SDVariable cs = sd.var("cs", Nd4j.linspace(0.8, 1.2, 64 * channels, type).reshape(64, channels, 1, 1));
        SDVariable pb = sd.var("pb", Nd4j.linspace(-0.1, 0.1, 49, type).reshape(1, 1, 7, 7));
        SDVariable h = sd.nn.leakyRelu(y.mul(cs).add(pb), 0.2);
        SDVariable r = sd.constant("r", Nd4j.linspace(-2, 2, 7 * 7, type).reshape(1, 1, 7, 7));
        sd.setLossVariables(h.mul(w).mul(h.add(r)).mean().rename("loss"));
        sd.createGradFunction("x");
        return sd;
    }

    private static INDArray random(long[] shape, long seed) {
        Random r = new Random(seed);
        int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Nd4j.createFromArray(v).reshape(shape);
    }
}
