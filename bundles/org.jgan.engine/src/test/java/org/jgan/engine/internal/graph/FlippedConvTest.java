package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link FlippedConv}: a graph's stride-1 {@code conv2d} run by a plan as the backward-data primitive of the flipped
 * kernel, against a float64 convolution computed here by loops over the elements, for the paddings and kernel sizes
 * the networks use and the edges of what the kernel takes; and left to libnd4j where it does not apply.
 */
class FlippedConvTest {

    private boolean own;
    private boolean flipped;
    private boolean oneDnn;

    /** Own arithmetic on, the flipped kernel on and {@link OneDnnConv} (which plans take before it) off. */
    @BeforeEach
    void arithmeticOfItsOwn() {
        own = GraphPlan.ownArithmetic(true);
        flipped = GraphPlan.flippedConv(true);
        oneDnn = OneDnnConv.enable(false);
    }

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(own);
        GraphPlan.flippedConv(flipped);
        OneDnnConv.enable(oneDnn);
    }

    /** {@code conv(x, W) + b} in float64: x {@code [n, ci, h, w]}, W {@code [kh, kw, ci, co]}, stride 1. */
    private static double[][][][] reference(INDArray xa, INDArray wa, INDArray ba, int pad) {
        double[][][][] x = ArrayD.of4(xa);
        double[][][][] w = ArrayD.of4(wa);
        double[] b = ba == null ? null : ba.castTo(DataType.DOUBLE).toDoubleVector();
        int n = x.length;
        int ci = x[0].length;
        int h = x[0][0].length;
        int wd = x[0][0][0].length;
        int kh = w.length;
        int kw = w[0].length;
        int co = w[0][0][0].length;
        int oh = h + 2 * pad - kh + 1;
        int ow = wd + 2 * pad - kw + 1;
        double[][][][] z = new double[n][co][oh][ow];
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < co; o++) {
                for (int r = 0; r < oh; r++) {
                    for (int c = 0; c < ow; c++) {
                        double sum = b == null ? 0 : b[o];
                        for (int i = 0; i < ci; i++) {
                            for (int a = 0; a < kh; a++) {
                                int y = r + a - pad;
                                if (y < 0 || y >= h) {
                                    continue;
                                }
                                for (int d = 0; d < kw; d++) {
                                    int q = c + d - pad;
                                    if (q >= 0 && q < wd) {
                                        sum += x[s][i][y][q] * w[a][d][i][o];
                                    }
                                }
                            }
                        }
                        z[s][o][r][c] = sum;
                    }
                }
            }
        }
        return z;
    }

    /** Reading arrays of rank 4 into doubles. */
    private static final class ArrayD {
        static double[][][][] of4(INDArray a) {
            long[] s = a.shape();
            double[] flat = a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[][][][] r = new double[(int) s[0]][(int) s[1]][(int) s[2]][(int) s[3]];
            int at = 0;
            for (double[][][] u : r) {
                for (double[][] v : u) {
                    for (double[] row : v) {
                        for (int j = 0; j < row.length; j++) {
                            row[j] = flat[at++];
                        }
                    }
                }
            }
            return r;
        }
    }

    /** The plan's output of {@code conv2d(1.0 * x, W[, b])} for random x, W, b. */
    private static double check(int n, int ci, int co, int h, int w, int k, int pad, int stride, boolean bias) {
        SameDiff sd = SameDiff.create();
        INDArray xa = Nd4j.randn(DataType.FLOAT, n, ci, h, w);
        INDArray wa = Nd4j.randn(DataType.FLOAT, k, k, ci, co).muli(Math.sqrt(2.0 / (k * k * ci)));
        INDArray ba = bias ? Nd4j.randn(DataType.FLOAT, co) : null;
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, ci, h, w).mul(1.0);
        Conv2DConfig c = Conv2DConfig.builder().kH(k).kW(k).sH(stride).sW(stride).pH(pad).pW(pad)
                .paddingMode(PaddingMode.VALID).dataFormat("NCHW").build();
        SDVariable z = bias ? sd.cnn().conv2d("z", x, sd.var("w", wa), sd.var("b", ba), c)
                : sd.cnn().conv2d("z", x, sd.var("w", wa), c);
        INDArray got = GraphPlan.output(sd, Map.of("x", xa), List.of(z.name())).get(z.name());
        if (stride != 1) {
            return Double.NaN;
        }
        double[][][][] want = reference(xa, wa, ba, pad);
        double[][][][] have = ArrayD.of4(got);
        assertEquals(want[0][0].length, have[0][0].length, "output height");
        assertEquals(want[0][0][0].length, have[0][0][0].length, "output width");
        double diff = 0;
        double scale = 1e-12;
        for (int s = 0; s < want.length; s++) {
            for (int o = 0; o < want[s].length; o++) {
                for (int r = 0; r < want[s][o].length; r++) {
                    for (int q = 0; q < want[s][o][r].length; q++) {
                        diff = Math.max(diff, Math.abs(have[s][o][r][q] - want[s][o][r][q]));
                        scale = Math.max(scale, Math.abs(want[s][o][r][q]));
                    }
                }
            }
        }
        return diff / scale;
    }

    private static long calls() {
        return GraphPlan.kernelCalls().getOrDefault("conv2d/flipped", 0L);
    }

    @ParameterizedTest(name = "[{0}, {1}, {3}, {4}] to {2} channels, {5}x{5} kernel, padding {6}, bias {7}")
    @CsvSource({
            "4, 16, 12, 10, 10, 3, 1, true",   // the residual blocks' 3x3 convolutions
            "4, 16, 12, 10, 10, 3, 0, false",  // no padding
            "4, 16, 12, 10, 10, 3, 2, true",   // padding k - 1: the transposed convolution's is 0
            "4, 16, 12, 9, 9, 4, 1, false",    // an even kernel: the output one smaller
            "4, 32, 4, 8, 8, 1, 0, false",     // the attention's 1x1 convolutions
            "4, 16, 1, 12, 12, 3, 1, true",    // G's last layer, to one channel (FewChannelConv's when on)
            "32, 32, 32, 16, 16, 3, 1, true"}) // SAGAN's and BigGAN's shapes
    void convolutionMatchesFloat64(int n, int ci, int co, int h, int w, int k, int pad, boolean bias) {
        long before = calls();
        // FewChannelConv takes the layers to at most 4 channels first (G's last layer): off here
        boolean few = FewChannelConv.enable(false);
        double err;
        try {
            err = check(n, ci, co, h, w, k, pad, 1, bias);
        } finally {
            FewChannelConv.enable(few);
        }
        assertEquals(1, calls() - before, "the flipped kernel ran: " + GraphPlan.kernelCalls());
        // Winograd's transforms for 3x3 kernels: a few units of float rounding of the largest output
        assertTrue(err < 5e-6, "largest error relative to the largest output " + err);
    }

    @Test
    void whereItDoesNotApplyConv2dRuns() {
        long before = calls();
        // fewer input channels than MIN_CHANNELS (D's first layer on images)
        assertTrue(check(4, 1, 16, 10, 10, 3, 1, 1, true) < 2e-6);
        // stride 2
        check(4, 16, 16, 10, 10, 4, 1, 2, false);
        // not square
        assertTrue(check(4, 16, 12, 10, 9, 3, 1, 1, true) < 2e-6);
        GraphPlan.flippedConv(false);
        assertTrue(check(4, 16, 16, 10, 10, 3, 1, 1, true) < 2e-6);
        GraphPlan.flippedConv(true);
        GraphPlan.ownArithmetic(false);
        assertTrue(check(4, 16, 16, 10, 10, 3, 1, 1, true) < 2e-6);
        assertEquals(before, calls(), "conv2d ran: " + GraphPlan.kernelCalls());
    }
}
