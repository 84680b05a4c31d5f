package org.jgan.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Resampling}'s products against loops over the pixels in float64 (values, and the gradients of a weighted sum
 * of the output, which are the backward passes), at widths where it multiplies and where it keeps the ops.
 */
class ResamplingTest {

    private static final int N = 3;
    private static final int C = 2;

    private static INDArray input(DataType type, int h, int w, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, N, C, h, w).castTo(type);
    }

    /** avg over the window of output (i, j), in float64. */
    private static double[][][][] pooled(INDArray x) {
        int h = (int) x.size(2) / 2;
        int w = (int) x.size(3) / 2;
        double[][][][] y = new double[N][C][h][w];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        y[n][c][i][j] = (x.getDouble(n, c, 2 * i, 2 * j) + x.getDouble(n, c, 2 * i, 2 * j + 1)
                                + x.getDouble(n, c, 2 * i + 1, 2 * j) + x.getDouble(n, c, 2 * i + 1, 2 * j + 1)) / 4;
                    }
                }
            }
        }
        return y;
    }

    private static void assertClose(double expected, INDArray a, double tol, long... at) {
        assertEquals(expected, a.getDouble(at), tol, () -> "at " + java.util.Arrays.toString(at));
    }

    /** Forward and backward of one resampling at one size; the loss is sum(y * g) for a fixed random g. */
    private static void check(boolean pool, DataType type, int h, int w) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", input(type, h, w, 11));
        SDVariable y = pool ? Resampling.avgPool2x2(sd, x, C, h, w) : Resampling.upsample2x(sd, x, C, h, w);
        int oh = pool ? h / 2 : 2 * h;
        int ow = pool ? w / 2 : 2 * w;
        INDArray g = input(type, oh, ow, 12);
        SDVariable loss = y.mul(sd.constant("g", g)).sum();
        loss.markAsLoss();
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), "x");
        INDArray out = sd.outputSingle(Map.of(), y.name());
        INDArray in = x.getArr();
        INDArray dx = grads.get("x");
        assertArrayEquals(new long[] {N, C, oh, ow}, out.shape());
        assertEquals(type, out.dataType());
        double tol = type == DataType.DOUBLE ? 1e-13 : 1e-5;
        double[][][][] expected = pool ? pooled(in) : null;
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        if (pool) {
                            assertClose(expected[n][c][i][j], out, tol, n, c, i, j);
                        } else {
                            // upsampling copies: the input's bits
                            assertEquals(in.getDouble(n, c, i / 2, j / 2), out.getDouble(n, c, i, j));
                        }
                    }
                }
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        double d;
                        if (pool) {
                            d = g.getDouble(n, c, i / 2, j / 2) / 4;
                        } else {
                            d = g.getDouble(n, c, 2 * i, 2 * j) + g.getDouble(n, c, 2 * i, 2 * j + 1)
                                    + g.getDouble(n, c, 2 * i + 1, 2 * j) + g.getDouble(n, c, 2 * i + 1, 2 * j + 1);
                        }
                        assertClose(d, dx, tol, n, c, i, j);
                    }
                }
            }
        }
    }

    @Test
    void averagePoolingMatchesTheWindowsAverageAndItsGradient() {
        check(true, DataType.DOUBLE, 8, 6);
        check(true, DataType.FLOAT, 4, 8);
        check(true, DataType.FLOAT, 2, Resampling.POOL_MAX_WIDTH);
        check(true, DataType.FLOAT, 2, 2 * Resampling.POOL_MAX_WIDTH);
    }

    @Test
    void upsamplingRepeatsEachPixelAndSumsItsGradient() {
        check(false, DataType.DOUBLE, 3, 5);
        check(false, DataType.FLOAT, 4, 4);
        check(false, DataType.FLOAT, 1, Resampling.UPSAMPLE_MAX_WIDTH);
        check(false, DataType.FLOAT, 1, 2 * Resampling.UPSAMPLE_MAX_WIDTH);
    }

    @Test
    void narrowMapsMultiplyByOneSharedConstantAndWideOnesKeepTheOps() {
        SameDiff sd = SameDiff.create();
        SDVariable a = sd.placeHolder("a", DataType.FLOAT, -1, C, 8, 8);
        SDVariable b = sd.placeHolder("b", DataType.FLOAT, -1, 4, 8, 8);
        Resampling.avgPool2x2(sd, a, C, 8, 8);
        Resampling.avgPool2x2(sd, b, 4, 8, 8);
        Resampling.upsample2x(sd, a, C, 8, 8);
        long limit = Resampling.POOL_MAX_WIDTH;
        Resampling.avgPool2x2(sd, sd.placeHolder("p", DataType.FLOAT, -1, 1, 2, limit), 1, 2, limit);
        limit = Resampling.UPSAMPLE_MAX_WIDTH;
        Resampling.upsample2x(sd, sd.placeHolder("u", DataType.FLOAT, -1, 1, 1, limit), 1, 1, limit);
        long constants = sd.variables().stream().filter(v -> v.getVariableType() == VariableType.CONSTANT).count();
        assertEquals(4, constants, "one pooling and one upsampling matrix for width 8, one of each at the limits");
        assertTrue(sd.getOps().values().stream().noneMatch(o -> o.getOp().opName().contains("pool")
                || o.getOp().opName().contains("upsampling")));
        long wide = 2 * Resampling.POOL_MAX_WIDTH;
        SDVariable c = sd.placeHolder("c", DataType.FLOAT, -1, 1, 2, wide);
        Resampling.avgPool2x2(sd, c, 1, 2, wide);
        Resampling.upsample2x(sd, a.reshape(-1, 1, 1, 2 * Resampling.UPSAMPLE_MAX_WIDTH), 1, 1,
                2 * Resampling.UPSAMPLE_MAX_WIDTH);
        assertTrue(sd.getOps().values().stream().anyMatch(o -> o.getOp().opName().equals("avgpool2d")));
        assertTrue(sd.getOps().values().stream().anyMatch(o -> o.getOp().opName().equals("upsampling2d")));
    }

    @Test
    void oddSidesAreRefusedForPooling() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 1, 5, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Resampling.avgPool2x2(sd, x, 1, 5, 4));
        assertEquals("resampling needs even positive map sides, got 5 x 4", e.getMessage());
    }
}
