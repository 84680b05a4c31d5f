package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
 * {@link BatchedMatmul}: a graph's batched {@code matmul} and its {@code matmul_bp}, run by a plan as one call of
 * oneDNN's matmul primitive over the batch ({@link OneDnnMatmul}) or as one 2-D product per matrix, against float64
 * products computed here by loops over the elements (the forward product, and the gradients of
 * {@code L = sum(w z) + 0.1 sum(z^2)} by their textbook formulas), for every combination of the three transposes and
 * on the shapes of SAGAN's attention; operands bound anew in another layout than the primitive's run matrix by matrix.
 */
class BatchedMatmulTest {

    private boolean own;
    private boolean batched;
    private boolean whole;

    @BeforeEach
    void arithmeticOfItsOwn() {
        own = GraphPlan.ownArithmetic(true);
        batched = GraphPlan.batchedMatmul(true);
        whole = OneDnnMatmul.enable(true);
    }

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(own);
        GraphPlan.batchedMatmul(batched);
        OneDnnMatmul.enable(whole);
    }

    /**
     * {@code z = op(x) op(y)} (transposed if tZ) for x and y of the given stored shapes, and the loss on z; batch 0
     * makes them matrices (rank 2: {@code GemmTest}).
     */
    static final class Case {
        final SameDiff sd = SameDiff.create();
        final INDArray x;
        final INDArray y;
        final INDArray w;
        final boolean tX;
        final boolean tY;
        final boolean tZ;
        final SDVariable z;

        Case(long batch, long m, long k, long n, boolean tX, boolean tY, boolean tZ) {
            this.tX = tX;
            this.tY = tY;
            this.tZ = tZ;
            x = Nd4j.randn(DataType.FLOAT, shape(batch, tX ? k : m, tX ? m : k));
            y = Nd4j.randn(DataType.FLOAT, shape(batch, tY ? n : k, tY ? k : n));
            w = Nd4j.randn(DataType.FLOAT, shape(batch, tZ ? n : m, tZ ? m : n));
            SDVariable xv = sd.placeHolder("x", DataType.FLOAT, x.shape());
            SDVariable yv = sd.placeHolder("y", DataType.FLOAT, y.shape());
            // the product's inputs are ops' outputs, as in a network
            z = sd.mmul("z", xv.mul(1.0), yv.mul(1.0), tX, tY, tZ);
            z.mul(sd.constant(w)).sum().add(z.mul(z).sum().mul(0.1)).markAsLoss();
            sd.createGradFunction("x", "y");
        }

        private static long[] shape(long batch, long rows, long cols) {
            return batch == 0 ? new long[] {rows, cols} : new long[] {batch, rows, cols};
        }

        Map<String, INDArray> feed() {
            return Map.of("x", x, "y", y);
        }

        /** z, dL/dx and dL/dy (those requested) through a plan, in doubles. */
        Map<String, double[][][]> planned(List<String> requested) {
            Map<String, INDArray> got = GraphPlan.output(sd.getFunction("grad"), feed(), requested, Set.of());
            Map<String, double[][][]> r = new java.util.HashMap<>();
            got.forEach((name, a) -> r.put(name, doubles(a)));
            return r;
        }

        String grad(String v) {
            return sd.getVariable(v).getGradient().name();
        }

        /** Reference: z, dL/dx, dL/dy in float64. */
        double[][][][] reference() {
            double[][][] xs = doubles(x);
            double[][][] ys = doubles(y);
            double[][][] ws = doubles(w);
            int b = xs.length;
            double[][][] zs = new double[b][][];
            double[][][] dxs = new double[b][][];
            double[][][] dys = new double[b][][];
            for (int s = 0; s < b; s++) {
                double[][] p = tX ? transpose(xs[s]) : xs[s];
                double[][] q = tY ? transpose(ys[s]) : ys[s];
                double[][] z0 = product(p, q);
                double[][] z = tZ ? transpose(z0) : z0;
                double[][] dz = new double[z.length][z[0].length];
                for (int i = 0; i < z.length; i++) {
                    for (int j = 0; j < z[0].length; j++) {
                        dz[i][j] = ws[s][i][j] + 0.2 * z[i][j];
                    }
                }
                double[][] dz0 = tZ ? transpose(dz) : dz;
                double[][] dp = product(dz0, transpose(q));
                double[][] dq = product(transpose(p), dz0);
                zs[s] = z;
                dxs[s] = tX ? transpose(dp) : dp;
                dys[s] = tY ? transpose(dq) : dq;
            }
            return new double[][][][] {zs, dxs, dys};
        }
    }

    /** The array's values in doubles, a matrix as a batch of one. */
    static double[][][] doubles(INDArray a) {
        long[] s = a.rank() == 2 ? new long[] {1, a.size(0), a.size(1)} : a.shape();
        double[][][] r = new double[(int) s[0]][(int) s[1]][(int) s[2]];
        INDArray d = a.castTo(DataType.DOUBLE).dup('c');
        double[] flat = d.data().asDouble();
        int at = 0;
        for (double[][] m : r) {
            for (double[] row : m) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = flat[at++];
                }
            }
        }
        return r;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    static double[][] product(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int p = 0; p < b.length; p++) {
                double v = a[i][p];
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += v * b[p][j];
                }
            }
        }
        return c;
    }

    /** Largest difference relative to the reference's largest magnitude. */
    static double relative(double[][][] got, double[][][] want) {
        assertEquals(want.length, got.length, "batch");
        double diff = 0;
        double scale = 1e-12;
        for (int s = 0; s < want.length; s++) {
            assertEquals(want[s].length, got[s].length, "rows");
            for (int i = 0; i < want[s].length; i++) {
                assertEquals(want[s][i].length, got[s][i].length, "columns");
                for (int j = 0; j < want[s][i].length; j++) {
                    diff = Math.max(diff, Math.abs(got[s][i][j] - want[s][i][j]));
                    scale = Math.max(scale, Math.abs(want[s][i][j]));
                }
            }
        }
        return diff / scale;
    }

    static long calls(String kernel) {
        return GraphPlan.kernelCalls().getOrDefault(kernel, 0L);
    }

    @ParameterizedTest(name = "[{0}, {1}, {2}, {3}] tX {4} tY {5} tZ {6}, whole batch by oneDNN {7}")
    @CsvSource({
            "3, 20, 64, 60, false, false, false, true",
            "3, 20, 64, 60, true, false, false, true",
            "3, 20, 64, 60, false, true, false, true",
            "3, 20, 64, 60, true, true, false, true",
            "3, 20, 64, 60, false, false, true, true",
            "3, 20, 64, 60, true, false, true, true",
            "3, 20, 64, 60, false, true, true, true",
            "3, 20, 64, 60, true, true, true, true",
            "32, 256, 4, 256, false, false, false, true",  // SAGAN's t = g^T f over 256 positions
            "32, 4, 256, 256, false, true, false, true",  // its o = h beta^T
            "3, 20, 64, 60, false, false, false, false",
            "3, 20, 64, 60, true, true, true, false",
            "32, 256, 4, 256, false, false, false, false",
            "32, 4, 256, 256, false, true, false, false"})
    void productAndGradientsMatchFloat64(long batch, long m, long k, long n, boolean tX, boolean tY, boolean tZ,
            boolean oneDnn) {
        assumeTrue(!oneDnn || OneDnnConv.available(), "oneDNN's own binding loads here");
        OneDnnMatmul.enable(oneDnn);
        Case c = new Case(batch, m, k, n, tX, tY, tZ);
        long forward = calls("matmul/batched");
        long backward = calls("matmul_bp/batched");
        long direct = calls("gemm/sgemm");
        long libnd4j = calls("gemm/libnd4j");
        long whole = calls(BatchedMatmul.ONEDNN);
        Map<String, double[][][]> got = c.planned(List.of("z", c.grad("x"), c.grad("y")));
        assertEquals(1, calls("matmul/batched") - forward, "batched products: " + GraphPlan.kernelCalls());
        assertEquals(1, calls("matmul_bp/batched") - backward, "batched backward passes: " + GraphPlan.kernelCalls());
        if (oneDnn) {
            // z, dx and dy each by one call of oneDNN's matmul over the batch
            assertEquals(3, calls(BatchedMatmul.ONEDNN) - whole, "whole batches by oneDNN: "
                    + GraphPlan.kernelCalls());
        } else {
            // each matrix's z, dx and dy by oneDNN's sgemm on the slices where they lie (and the loss's sums by
            // products)
            assertEquals(0, calls(BatchedMatmul.ONEDNN) - whole, "whole batches by oneDNN: "
                    + GraphPlan.kernelCalls());
            assertTrue(calls("gemm/sgemm") - direct >= 3 * batch, "products by sgemm: " + GraphPlan.kernelCalls());
        }
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
        Case c = new Case(32, 4, 256, 256, false, true, false);
        long backward = calls("matmul_bp/batched");
        long oneSided = calls("matmul_bp/one");
        Map<String, double[][][]> got = c.planned(List.of(c.grad("x")));
        assertEquals(1, calls("matmul_bp/batched") - backward, "batched backward passes: " + GraphPlan.kernelCalls());
        assertEquals(0, calls("matmul_bp/one") - oneSided, "libnd4j's one-sided backward pass");
        double dx = relative(got.get(c.grad("x")), c.reference()[1]);
        assertTrue(dx < 2e-6, "dx " + dx);
    }

    @Test
    void offOrWithLibnd4jsArithmeticTheOpsRun() {
        for (boolean switchedOff : new boolean[] {true, false}) {
            if (switchedOff) {
                GraphPlan.batchedMatmul(false);
            } else {
                GraphPlan.batchedMatmul(true);
                GraphPlan.ownArithmetic(false);
            }
            Case c = new Case(3, 20, 64, 60, true, false, true);
            long forward = calls("matmul/batched");
            long backward = calls("matmul_bp/batched");
            Map<String, double[][][]> got = c.planned(List.of("z", c.grad("x"), c.grad("y")));
            assertEquals(forward, calls("matmul/batched"), "no batched products");
            assertEquals(backward, calls("matmul_bp/batched"), "no batched backward passes");
            double[][][][] want = c.reference();
            assertTrue(relative(got.get("z"), want[0]) < 2e-6 && relative(got.get(c.grad("y")), want[2]) < 2e-6,
                    "libnd4j's products are right too");
        }
    }

    @Test
    void placeholdersBoundAnewAreReadAnew() {
        // the product reads the placeholders themselves, which each call may bind to other arrays
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, 4, 32, 64);
        SDVariable y = sd.placeHolder("y", DataType.FLOAT, 4, 64, 48);
        sd.mmul("z", x, y);
        long forward = calls("matmul/batched");
        long whole = calls(BatchedMatmul.ONEDNN);
        long single = calls("gemm/sgemm") + calls("gemm/libnd4j");
        for (int call = 0; call < 4; call++) {
            // the third call's x is matrices 1 to 4 of a batch of 5, a view at an offset (on which ND4J's
            // get(point(3), all(), all()) gave an empty matrix); the fourth's is in F order, another layout than the
            // one oneDNN's primitive was made for: matrix by matrix
            INDArray xa = call < 2 ? Nd4j.randn(DataType.FLOAT, 4, 32, 64)
                    : call == 2
                    ? Nd4j.randn(DataType.FLOAT, 5, 32, 64).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 5))
                    : Nd4j.randn(DataType.FLOAT, 4, 32, 64).dup('f');
            INDArray ya = Nd4j.randn(DataType.FLOAT, 4, 64, 48);
            INDArray z = GraphPlan.output(sd, Map.of("x", xa, "y", ya), List.of("z")).get("z");
            double[][][] want = new double[4][][];
            for (int s = 0; s < 4; s++) {
                want[s] = product(doubles(xa)[s], doubles(ya)[s]);
            }
            assertTrue(relative(doubles(z), want) < 2e-6, "call " + call + ": " + relative(doubles(z), want));
        }
        assertEquals(4, calls("matmul/batched") - forward, "batched products: " + GraphPlan.kernelCalls());
        if (OneDnnConv.available()) {
            assertEquals(3, calls(BatchedMatmul.ONEDNN) - whole, "whole batches by oneDNN: "
                    + GraphPlan.kernelCalls());
            // (by libnd4j's matmul: an F-order slice steps over rows and columns, which sgemm does not take)
            assertEquals(4, calls("gemm/sgemm") + calls("gemm/libnd4j") - single,
                    "the F-order call's matrices one by one: " + GraphPlan.kernelCalls());
        }
    }

    @Test
    void smallOrUnbatchedProductsAreLeftToLibnd4j() {
        INDArray z = Nd4j.create(DataType.FLOAT, 4, 8, 8);
        // 8 x 8 x 8 multiply-adds per matrix: below the work a call pays for
        assertNull(BatchedMatmul.of(Nd4j.create(DataType.FLOAT, 4, 8, 8), Nd4j.create(DataType.FLOAT, 4, 8, 8), z,
                false, false, false));
        // rank 2: libnd4j hands it to oneDNN itself
        assertNull(BatchedMatmul.of(Nd4j.create(DataType.FLOAT, 64, 64), Nd4j.create(DataType.FLOAT, 64, 64),
                Nd4j.create(DataType.FLOAT, 64, 64), false, false, false));
        // doubles
        assertNull(BatchedMatmul.of(Nd4j.create(DataType.DOUBLE, 4, 64, 64), Nd4j.create(DataType.DOUBLE, 4, 64, 64),
                Nd4j.create(DataType.DOUBLE, 4, 64, 64), false, false, false));
    }
}
