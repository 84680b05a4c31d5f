package org.jgan.sagan.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jgan.api.Side;
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


/** The self-attention block against its equations, computed by hand in double precision. */
class SelfAttentionTest {

    static final long C = 8, SIZE = 4, BATCH = 2;
    static final int REDUCTION = 4;

    record Built(SameDiff sd, SDVariable y, TestScope.Store store) {
    }

    static Built build() {
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        TestScope scope = new TestScope(sd, Side.GENERATOR, true, store);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, C, SIZE, SIZE);
        return new Built(sd, SelfAttention.apply(scope, "att", x, C, SIZE, REDUCTION), store);
    }

    /** The block with gamma set, so that the attention term counts. */
    static Built withGamma(double gamma) {
        Built b = build();
        b.store().params.get("g/att/gamma").assign(gamma);
        return b;
    }

    static INDArray input() {
        Nd4j.getRandom().setSeed(7);
        return Nd4j.randn(DataType.FLOAT, BATCH, C, SIZE, SIZE);
    }

    @Test
    void gammaZeroIsTheIdentity() {
        Built b = build();
        assertEquals(0, b.store().params.get("g/att/gamma").getDouble(0), "gamma starts at 0");
        INDArray x = input();
        INDArray y = b.sd().output(Map.of("x", x), b.y().name()).get(b.y().name());
        assertArrayEquals(x.shape(), y.shape());
        assertEquals(0, x.sub(y).amaxNumber().doubleValue(), 0, "y == x exactly");
    }

    @Test
    void matchesTheEquationsComputedByHand() {
        Built b = withGamma(0.7);
        Map<String, INDArray> p = b.store().params;
        INDArray x = input();
        INDArray y = b.sd().output(Map.of("x", x), b.y().name()).get(b.y().name());
        double[][][][] expected = reference(x, p.get("g/att/f/W"), p.get("g/att/g/W"), p.get("g/att/h/W"),
                p.get("g/att/v/W"), 0.7);
        double maxDiff = 0;
        double maxAttention = 0;
        for (int bt = 0; bt < BATCH; bt++) {
            for (int c = 0; c < C; c++) {
                for (int r = 0; r < SIZE; r++) {
                    for (int q = 0; q < SIZE; q++) {
                        maxDiff = Math.max(maxDiff, Math.abs(expected[bt][c][r][q] - y.getDouble(bt, c, r, q)));
                        maxAttention = Math.max(maxAttention, Math.abs(y.getDouble(bt, c, r, q) - x.getDouble(bt, c, r, q)));
                    }
                }
            }
        }
        assertTrue(maxDiff < 1e-5, "max |y - reference| = " + maxDiff);
        assertTrue(maxAttention > 1e-2, "the attention term is not negligible: " + maxAttention);
    }

    /**
     * The block's gradients with respect to f's, g's and h's weights and gamma (the backward passes of the transposed
     * batched products and of the softmax over the last dimension) against central differences of its output.
     */
    @Test
    void gradientsMatchCentralDifferences() {
        Built b = withGamma(0.7);
        Map<String, INDArray> p = b.store().params;
        INDArray x = input();
        Nd4j.getRandom().setSeed(11);
        INDArray weights = Nd4j.randn(DataType.FLOAT, BATCH, C, SIZE, SIZE);
        SDVariable loss = b.y().mul(b.sd().constant("r", weights)).sum();
        loss.markAsLoss();
        java.util.List<String> names = java.util.List.of("g/att/f/W", "g/att/g/W", "g/att/h/W", "g/att/gamma");
        Map<String, INDArray> grads = b.sd().calculateGradients(Map.of("x", x), names);
        double h = 1e-2;
        for (String name : names) {
            INDArray w = p.get(name);
            INDArray g = grads.get(name);
            for (long k = 0; k < Math.min(6, w.length()); k++) {
                long i = (k * 7) % w.length();
                double at = w.getDouble(i);
                w.putScalar(i, at + h);
                double plus = b.sd().output(Map.of("x", x), loss.name()).get(loss.name()).getDouble(0);
                w.putScalar(i, at - h);
                double minus = b.sd().output(Map.of("x", x), loss.name()).get(loss.name()).getDouble(0);
                w.putScalar(i, at);
                double difference = (plus - minus) / (2 * h);
                double got = g.getDouble(i);
                assertTrue(Math.abs(got - difference) <= 2e-2 * Math.max(1, Math.abs(difference)),
                        name + "[" + i + "]: gradient " + got + ", central difference " + difference);
            }
        }
    }

    /**
     * The softmax runs over the innermost dimension of the attention logits: over any other, ND4J 1.0.0-M2.1 runs
     * oneDNN's reference kernel, and at 32x32 (batch 32, [32, 1024, 1024]) that was most of a SAGAN iteration.
     */
    @Test
    void theSoftmaxRunsOverTheInnermostDimension() {
        Built b = build();
        var softmaxes = b.sd().getOps().values().stream().map(o -> o.getOp())
                .filter(f -> f.opName().equals("softmax")).toList();
        assertEquals(1, softmaxes.size(), "one softmax in the block");
        var op = (org.nd4j.linalg.api.ops.DynamicCustomOp) softmaxes.get(0);
        long[] dims = op.iArgs();
        String logits = op.argNames()[0];
        long rank = b.sd().output(Map.of("x", input()), logits).get(logits).rank();
        assertTrue(dims.length == 1 && (dims[0] == rank - 1 || dims[0] == -1),
                "softmax over dimension " + java.util.Arrays.toString(dims) + " of a rank-" + rank + " input");
    }

    /** y_j = gamma v(sum_i softmax_i(f_i . g_j) h_i) + x_j with 1x1 weights [1, 1, in, out]. */
    static double[][][][] reference(INDArray x, INDArray wf, INDArray wg, INDArray wh, INDArray wv, double gamma) {
        int n = (int) (SIZE * SIZE);
        int inner = (int) (C / REDUCTION);
        double[][][][] y = new double[(int) BATCH][(int) C][(int) SIZE][(int) SIZE];
        for (int b = 0; b < BATCH; b++) {
            double[][] f = project(x, b, wf, inner);
            double[][] g = project(x, b, wg, inner);
            double[][] h = project(x, b, wh, inner);
            for (int j = 0; j < n; j++) {
                double[] s = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < inner; k++) {
                        s[i] += f[i][k] * g[j][k];
                    }
                    max = Math.max(max, s[i]);
                }
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    s[i] = Math.exp(s[i] - max);
                    sum += s[i];
                }
                double[] o = new double[inner];
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < inner; k++) {
                        o[k] += s[i] / sum * h[i][k];
                    }
                }
                for (int c = 0; c < C; c++) {
                    double v = 0;
                    for (int k = 0; k < inner; k++) {
                        v += wv.getDouble(0, 0, k, c) * o[k];
                    }
                    y[b][c][(int) (j / SIZE)][(int) (j % SIZE)] = gamma * v + x.getDouble(b, c, j / SIZE, j % SIZE);
                }
            }
        }
        return y;
    }

    /** Per position i: W^T x_i, a 1x1 convolution. */
    private static double[][] project(INDArray x, int b, INDArray w, int out) {
        int n = (int) (SIZE * SIZE);
        double[][] r = new double[n][out];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < out; k++) {
                for (int c = 0; c < C; c++) {
                    r[i][k] += w.getDouble(0, 0, c, k) * x.getDouble(b, c, i / SIZE, i % SIZE);
                }
            }
        }
        return r;
    }
}
