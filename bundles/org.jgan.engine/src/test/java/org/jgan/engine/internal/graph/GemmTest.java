package org.jgan.engine.internal.graph;

import static org.jgan.engine.internal.graph.BatchedMatmulTest.calls;
import static org.jgan.engine.internal.graph.BatchedMatmulTest.doubles;
import static org.jgan.engine.internal.graph.BatchedMatmulTest.product;
import static org.jgan.engine.internal.graph.BatchedMatmulTest.relative;
import static org.jgan.engine.internal.graph.BatchedMatmulTest.transpose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link Gemm}: 2-D products by oneDNN's {@code dnnl_sgemm} on the arrays' memory, against float64 products computed
 * by loops over the elements ({@link BatchedMatmulTest}'s): a graph's {@code matmul} and {@code matmul_bp} run by a
 * plan for every combination of the three transposes and on the ring MLP's hidden layer; the kernel itself on every
 * layout it reads in place (C and F order, row and column ranges of wider matrices, at offsets) for operands and
 * result, with alpha; and the layouts it leaves to libnd4j's {@code matmul}.
 */
class GemmTest {

    private boolean own;
    private boolean gemm;

    @BeforeEach
    void arithmeticOfItsOwn() {
        own = GraphPlan.ownArithmetic(true);
        gemm = Gemm.enable(true);
    }

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(own);
        Gemm.enable(gemm);
    }

    /** Products above {@link SmallKernels#MAX_PRODUCT} multiply-adds (smaller ones run in Java). */
    @ParameterizedTest(name = "[{0}, {1}, {2}] tX {3} tY {4} tZ {5}")
    @CsvSource({
            "40, 64, 60, false, false, false",
            "40, 64, 60, true, false, false",
            "40, 64, 60, false, true, false",
            "40, 64, 60, true, true, false",
            "40, 64, 60, false, false, true",
            "40, 64, 60, true, false, true",
            "40, 64, 60, false, true, true",
            "40, 64, 60, true, true, true",
            "64, 128, 128, false, false, false"})  // the ring MLP's hidden layer, batch 64
    void aPlansProductAndGradientsMatchFloat64(long m, long k, long n, boolean tX, boolean tY, boolean tZ) {
        BatchedMatmulTest.Case c = new BatchedMatmulTest.Case(0, m, k, n, tX, tY, tZ);
        long forward = calls("matmul/gemm");
        long backward = calls("matmul_bp/gemm");
        long direct = calls("gemm/sgemm");
        long libnd4j = calls("gemm/libnd4j");
        Map<String, double[][][]> got = c.planned(List.of("z", c.grad("x"), c.grad("y")));
        assertEquals(1, calls("matmul/gemm") - forward, "products: " + GraphPlan.kernelCalls());
        assertEquals(1, calls("matmul_bp/gemm") - backward, "backward passes: " + GraphPlan.kernelCalls());
        assertEquals(3, calls("gemm/sgemm") - direct, "z, dx and dy by sgemm: " + GraphPlan.kernelCalls());
        assertEquals(libnd4j, calls("gemm/libnd4j"), "products left to libnd4j: " + GraphPlan.kernelCalls());
        double[][][][] want = c.reference();
        double z = relative(got.get("z"), want[0]);
        double dx = relative(got.get(c.grad("x")), want[1]);
        double dy = relative(got.get(c.grad("y")), want[2]);
        // float products over k terms: a few units of float rounding of the largest value
        assertTrue(z < 2e-6 && dx < 2e-6 && dy < 2e-6, "z " + z + ", dx " + dx + ", dy " + dy);
    }

    @Test
    void oneGradientAloneIsTheOneComputed() {
        BatchedMatmulTest.Case c = new BatchedMatmulTest.Case(0, 64, 128, 128, false, true, false);
        long backward = calls("matmul_bp/gemm");
        long oneSided = calls("matmul_bp/one");
        long direct = calls("gemm/sgemm");
        Map<String, double[][][]> got = c.planned(List.of(c.grad("y")));
        assertEquals(1, calls("matmul_bp/gemm") - backward, "backward passes: " + GraphPlan.kernelCalls());
        assertEquals(0, calls("matmul_bp/one") - oneSided, "libnd4j's one-sided backward pass");
        // z (which dL/dz is made from) and dy: not dx
        assertEquals(2, calls("gemm/sgemm") - direct, "products by sgemm: " + GraphPlan.kernelCalls());
        double dy = relative(got.get(c.grad("y")), c.reference()[2]);
        assertTrue(dy < 2e-6, "dy " + dy);
    }

    /** Ways a matrix of the given shape lies in memory, each filled with the same values. */
    private static final Map<String, Function<INDArray, INDArray>> LAYOUTS = Map.of(
            "C order", a -> a.dup('c'),
            "F order", a -> a.dup('f'),
            "a transposed view", a -> a.transpose().dup('c').transpose(),
            // columns 3 to 3 + cols of a wider C-order matrix: rows further apart than they are long
            "a column range", a -> {
                INDArray wide = Nd4j.rand(DataType.FLOAT, a.size(0), a.size(1) + 5);
                INDArray v = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 3 + a.size(1)));
                return v.assign(a);
            },
            // rows 2 to 2 + rows of a taller matrix: a view at an offset
            "a row range", a -> {
                INDArray tall = Nd4j.rand(DataType.FLOAT, a.size(0) + 4, a.size(1));
                INDArray v = tall.get(NDArrayIndex.interval(2, 2 + a.size(0)), NDArrayIndex.all());
                return v.assign(a);
            },
            // a column range of an F-order matrix: column-major with a leading dimension longer than its rows
            "an F-order row range", a -> {
                INDArray tall = Nd4j.create(DataType.FLOAT, new long[] {a.size(0) + 3, a.size(1)}, 'f');
                INDArray v = tall.get(NDArrayIndex.interval(1, 1 + a.size(0)), NDArrayIndex.all());
                return v.assign(a);
            });

    /** {@code alpha op(x) op(y)}, transposed with tZ, in float64. */
    private static double[][][] expected(INDArray x, INDArray y, boolean tX, boolean tY, boolean tZ, double alpha) {
        double[][] p = doubles(x)[0];
        double[][] q = doubles(y)[0];
        double[][] z = product(tX ? transpose(p) : p, tY ? transpose(q) : q);
        for (double[] row : z) {
            for (int j = 0; j < row.length; j++) {
                row[j] *= alpha;
            }
        }
        return new double[][][] {tZ ? transpose(z) : z};
    }

    @Test
    void everyLayoutItReadsInPlaceGivesTheProduct() {
        int m = 7;
        int k = 9;
        int n = 5;
        for (int t = 0; t < 8; t++) {
            boolean tX = (t & 1) != 0;
            boolean tY = (t & 2) != 0;
            boolean tZ = (t & 4) != 0;
            INDArray x = Nd4j.randn(DataType.FLOAT, tX ? k : m, tX ? m : k);
            INDArray y = Nd4j.randn(DataType.FLOAT, tY ? n : k, tY ? k : n);
            double[][][] want = expected(x, y, tX, tY, tZ, 0.5);
            for (Map.Entry<String, Function<INDArray, INDArray>> xl : LAYOUTS.entrySet()) {
                for (Map.Entry<String, Function<INDArray, INDArray>> yl : LAYOUTS.entrySet()) {
                    for (Map.Entry<String, Function<INDArray, INDArray>> zl : LAYOUTS.entrySet()) {
                        // z pre-filled with NaN: an element sgemm does not write shows
                        INDArray z = zl.getValue().apply(Nd4j.valueArrayOf(tZ ? new long[] {n, m}
                                : new long[] {m, n}, Float.NaN, DataType.FLOAT));
                        Gemm g = Gemm.of(tX, tY, tZ, 0.5, z);
                        g.run(xl.getValue().apply(x), yl.getValue().apply(y));
                        String what = "tX " + tX + ", tY " + tY + ", tZ " + tZ + "; x " + xl.getKey() + ", y "
                                + yl.getKey() + ", z " + zl.getKey();
                        assertEquals(0, g.fallbacks(), what + ": left to libnd4j");
                        double r = relative(doubles(z), want);
                        assertTrue(r < 2e-6, what + ": " + r);
                        g.close();
                    }
                }
            }
        }
    }

    /**
     * Products whose matrices hold at most {@link Gemm#ALONE_FLOATS} floats (the ring MLP's hidden layer
     * {@code [64, 128] x [128, 128]}, {@code [128, 192] x [192, 128]} at the line) run on the calling thread alone and
     * give the team back; one more column, and any product with the switch off, run on the team as it is; all give the
     * product.
     */
    @Test
    void aProductTooSmallToShareRunsOnOneThreadAndGivesTheTeamBack() {
        // a team of two on this thread (the unit tests run with OMP_NUM_THREADS=1)
        int mine = OpenMpTeam.size();
        int team = 2;
        long[][] cases = {{64, 128, 128, 1}, {128, 192, 128, 1}, {128, 192, 129, 0}};
        for (boolean on : new boolean[] {true, false}) {
            boolean before = Gemm.alone(on);
            OpenMpTeam.set(team);
            try {
                for (long[] c : cases) {
                    INDArray x = Nd4j.randn(DataType.FLOAT, c[0], c[1]);
                    INDArray y = Nd4j.randn(DataType.FLOAT, c[1], c[2]);
                    INDArray z = Nd4j.create(DataType.FLOAT, c[0], c[2]);
                    long alone = calls("gemm/alone");
                    Gemm g = Gemm.of(false, false, z);
                    g.run(x, y);
                    String what = Arrays.toString(c) + ", switch " + on;
                    assertEquals(on ? c[3] : 0, calls("gemm/alone") - alone, what + ": products on one thread");
                    assertEquals(team, OpenMpTeam.size(), what + ": the team after the call");
                    double r = relative(doubles(z), expected(x, y, false, false, false, 1.0));
                    assertTrue(r < 2e-6, what + ": " + r);
                    g.close();
                }
            } finally {
                Gemm.alone(before);
                OpenMpTeam.set(mine);
            }
        }
    }

    @Test
    void aLayoutItCannotReadIsLeftToLibnd4j() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 6, 8);
        INDArray y = Nd4j.randn(DataType.FLOAT, 8, 4);
        // every other row and column of a larger matrix: neither axis has stride 1
        INDArray stepped = Nd4j.rand(DataType.FLOAT, 12, 16)
                .get(NDArrayIndex.interval(0, 2, 12), NDArrayIndex.interval(0, 2, 16)).assign(x);
        assertEquals(0, Gemm.layout(stepped), "strides " + java.util.Arrays.toString(stepped.stride()));
        INDArray z = Nd4j.create(DataType.FLOAT, 6, 4);
        Gemm g = Gemm.of(false, false, z);
        long libnd4j = calls("gemm/libnd4j");
        g.run(stepped, y);
        assertEquals(1, g.fallbacks(), "calls left to libnd4j");
        assertEquals(1, calls("gemm/libnd4j") - libnd4j, "the count of calls left to libnd4j");
        assertTrue(relative(doubles(z), expected(x, y, false, false, false, 1)) < 2e-6, "libnd4j's product");
        // the next call on a layout it reads takes sgemm again
        g.run(x, y);
        assertEquals(1, g.fallbacks(), "calls left to libnd4j");
        g.close();
        // switched off: every product by libnd4j's matmul, with the same values
        Gemm.enable(false);
        INDArray z2 = Nd4j.create(DataType.FLOAT, 4, 6);
        Gemm off = Gemm.of(true, true, false, 2.0, z2);
        off.run(y, x);
        assertEquals(1, off.fallbacks(), "calls left to libnd4j with the kernel off");
        assertTrue(relative(doubles(z2), expected(y, x, true, true, false, 2)) < 2e-6, "libnd4j's product");
        off.close();
    }

    @Test
    void layoutsAreReadAsRowOrColumnMajor() {
        INDArray c = Nd4j.create(DataType.FLOAT, 4, 6);
        assertEquals(6, Gemm.layout(c), "C order");
        assertEquals(-4, Gemm.layout(c.dup('f')), "F order");
        assertEquals(-6, Gemm.layout(c.transpose()), "a transposed C-order matrix");
        assertEquals(6, Gemm.layout(c.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3))), "a column range");
        assertEquals(6, Gemm.layout(Nd4j.create(DataType.FLOAT, 1, 6)), "a row");
        assertEquals(-4, Gemm.layout(c.dup('f').get(NDArrayIndex.interval(1, 2), NDArrayIndex.all())),
                "a row of an F-order matrix");
        // a column of a C-order matrix: rows 6 apart, one element each
        assertEquals(6, Gemm.layout(c.get(NDArrayIndex.all(), NDArrayIndex.point(2)).reshape(4, 1)), "a column");
    }
}
