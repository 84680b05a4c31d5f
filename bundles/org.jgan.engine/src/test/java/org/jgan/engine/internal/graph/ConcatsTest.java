package org.jgan.engine.internal.graph;

import static org.jgan.engine.internal.graph.BatchedMatmulTest.calls;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link Concats}: a plan's {@code concat}, {@code split} and the gradient {@code concat_bp} as copies, against the
 * values each element must have, read element by element from the fed arrays (every value is a copy of a fed one, or
 * in the gradient of a square {@code s + s} times 0.5, exact in float, so the comparison is exact): three parts joined
 * along each axis (negative ones too), the result split in two along another; parts fed in F order and as row
 * ranges of taller arrays (at an offset into their buffers); a gradient with only one of its outputs read; and the
 * counters that show the copies ran (and did not, switched off).
 */
class ConcatsTest {

    @AfterEach
    void restore() {
        Concats.enable(true);
    }

    /**
     * Three parts along the concat axis (3, 2 and 1 of the whole's 6), the whole ({@code [6, 6, 4]} but 6 along that
     * axis) split in two.
     */
    private static final class Case {
        final SameDiff sd = SameDiff.create();
        final int axis;
        final int splitAxis;
        final long[] whole = {6, 6, 4};  // 6 along the concat axis
        final INDArray[] parts = new INDArray[3];
        final INDArray w0;
        final String c;
        final String s0;
        final String s1;

        Case(int concatAxis, int splitAxis, char order) {
            axis = concatAxis < 0 ? concatAxis + 3 : concatAxis;
            whole[axis] = 6;
            this.splitAxis = splitAxis;
            long[] extents = {3, 2, 1};
            SDVariable[] vars = new SDVariable[3];
            for (int j = 0; j < 3; j++) {
                long[] s = whole.clone();
                s[axis] = extents[j];
                if (order == 'v') {
                    // a range of rows of a taller array: dense, at an offset into its buffer
                    long[] taller = s.clone();
                    taller[0] += 3;
                    parts[j] = Nd4j.randn(DataType.FLOAT, taller).get(NDArrayIndex.interval(2, 2 + s[0]));
                    assertTrue(parts[j].offset() > 0 && PatchConv.dense(parts[j]), "a dense view at an offset");
                } else {
                    parts[j] = Nd4j.randn(DataType.FLOAT, s).dup(order);
                }
                // parts as ops' outputs (as in a network) for the first two, the third fed to the concat directly
                SDVariable p = sd.placeHolder("p" + j, DataType.FLOAT, s);
                vars[j] = j < 2 ? p.mul(1.0) : p;
            }
            SDVariable cat = sd.concat(concatAxis, vars);
            c = cat.name();
            SDVariable[] halves = sd.split(cat, 2, splitAxis);
            s0 = halves[0].name();
            s1 = halves[1].name();
            long[] half = whole.clone();
            half[splitAxis] /= 2;
            w0 = Nd4j.randn(DataType.FLOAT, half);
            halves[0].mul(sd.constant(w0)).sum().add(halves[1].mul(halves[1]).sum().mul(0.5)).markAsLoss();
            sd.createGradFunction("p0", "p1", "p2");
        }

        Map<String, INDArray> feed() {
            return Map.of("p0", parts[0], "p1", parts[1], "p2", parts[2]);
        }

        String grad(int j) {
            return sd.getVariable("p" + j).getGradient().name();
        }

        /** The whole's element at index {@code i}: the part whose extent along the axis holds it. */
        double whole(long[] i) {
            long t = i[axis];
            for (INDArray p : parts) {
                if (t < p.size(axis)) {
                    long[] at = i.clone();
                    at[axis] = t;
                    return p.getDouble(at);
                }
                t -= p.size(axis);
            }
            throw new IllegalArgumentException("index outside the whole");
        }

        /** dL/dW at {@code i}: w0 on the first half, the second half's own values on the second. */
        double wholeGradient(long[] i) {
            long half = whole[splitAxis] / 2;
            if (i[splitAxis] < half) {
                return w0.getDouble(i);
            }
            return whole(i);
        }
    }

    /** Every index of a shape, in C order. */
    private static List<long[]> indices(long[] shape) {
        List<long[]> all = new java.util.ArrayList<>();
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        for (long f = 0; f < n; f++) {
            long[] i = new long[shape.length];
            long r = f;
            for (int d = shape.length - 1; d >= 0; d--) {
                i[d] = r % shape[d];
                r /= shape[d];
            }
            all.add(i);
        }
        return all;
    }

    private static void check(Case c, Map<String, INDArray> got) {
        INDArray cat = got.get(c.c);
        assertArrayEquals(c.whole, cat.shape(), "the whole's shape");
        for (long[] i : indices(c.whole)) {
            assertEquals(c.whole(i), cat.getDouble(i), 0.0, () -> "the whole at " + java.util.Arrays.toString(i));
        }
        long half = c.whole[c.splitAxis] / 2;
        for (int h = 0; h < 2; h++) {
            INDArray s = got.get(h == 0 ? c.s0 : c.s1);
            for (long[] i : indices(s.shape())) {
                long[] at = i.clone();
                at[c.splitAxis] += h * half;
                int side = h;
                assertEquals(c.whole(at), s.getDouble(i), 0.0,
                        () -> "half " + side + " at " + java.util.Arrays.toString(i));
            }
        }
        long start = 0;
        for (int j = 0; j < 3; j++) {
            INDArray g = got.get(c.grad(j));
            assertArrayEquals(c.parts[j].shape(), g.shape(), "part " + j + "'s gradient's shape");
            for (long[] i : indices(g.shape())) {
                long[] at = i.clone();
                at[c.axis] += start;
                int part = j;
                assertEquals(c.wholeGradient(at), g.getDouble(i), 0.0,
                        () -> "part " + part + "'s gradient at " + java.util.Arrays.toString(i));
            }
            start += c.parts[j].size(c.axis);
        }
    }

    private static Map<String, INDArray> planned(Case c) {
        return GraphPlan.output(c.sd.getFunction("grad"), c.feed(),
                List.of(c.c, c.s0, c.s1, c.grad(0), c.grad(1), c.grad(2)), Set.of());
    }

    /** Parts in C order ({@code c}), F order ({@code f}), or as row ranges of taller arrays ({@code v}). */
    @ParameterizedTest(name = "concat along {0}, split along {1}, parts in {2} order")
    @CsvSource({"0, 1, c", "1, 0, c", "2, 0, c", "-1, 1, c", "-2, 2, c", "0, 2, f", "1, 0, f", "-1, 0, f", "0, 1, v",
        "2, 0, v"})
    void copiesGiveEveryElementItsValue(int concatAxis, int splitAxis, char order) {
        Case c = new Case(concatAxis, splitAxis, order);
        long concat = calls("concat/copies");
        long split = calls("split/copies");
        long backward = calls("concat_bp/copies");
        check(c, planned(c));
        // the whole and, in the gradient, the halves' gradients joined (split's gradient is a concat)
        assertEquals(2, calls("concat/copies") - concat, "concats by copies: " + GraphPlan.kernelCalls());
        assertEquals(1, calls("split/copies") - split, "splits by copies: " + GraphPlan.kernelCalls());
        assertEquals(1, calls("concat_bp/copies") - backward, "gradients by copies: " + GraphPlan.kernelCalls());
    }

    /** Only the first part's gradient requested: the gradient's other outputs are unread and left unwritten. */
    @Test
    void aGradientWithUnreadOutputsWritesTheOneRead() {
        Case c = new Case(1, 0, 'c');
        long backward = calls("concat_bp/copies");
        Map<String, INDArray> got = GraphPlan.output(c.sd.getFunction("grad"), c.feed(), List.of(c.grad(0)),
                Set.of());
        assertEquals(1, calls("concat_bp/copies") - backward, "gradients by copies: " + GraphPlan.kernelCalls());
        INDArray g = got.get(c.grad(0));
        for (long[] i : indices(g.shape())) {
            assertEquals(c.wholeGradient(i), g.getDouble(i), 0.0, () -> "part 0's gradient at "
                    + java.util.Arrays.toString(i));
        }
    }

    @Test
    void switchedOffLibnd4jGivesTheSameValues() {
        Concats.enable(false);
        Case c = new Case(1, 0, 'c');
        long concat = calls("concat/copies");
        long split = calls("split/copies");
        long backward = calls("concat_bp/copies");
        check(c, planned(c));
        assertEquals(concat, calls("concat/copies"), "concats by copies");
        assertEquals(split, calls("split/copies"), "splits by copies");
        assertEquals(backward, calls("concat_bp/copies"), "gradients by copies");
    }
}
