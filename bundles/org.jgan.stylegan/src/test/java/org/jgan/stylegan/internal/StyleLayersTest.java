package org.jgan.stylegan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.Side;
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


/** AdaIN, the modulated convolution and style mixing against their equations, computed by hand. */
class StyleLayersTest {

    @Test
    void adainOutputHasTheStylesPerChannelMeanAndStandardDeviation() {
        int batch = 3, c = 4, side = 5;
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, c, side, side);
        SDVariable ys = sd.placeHolder("ys", DataType.FLOAT, -1, c);
        SDVariable yb = sd.placeHolder("yb", DataType.FLOAT, -1, c);
        SDVariable y = StyleLayers.adain(sd, x, ys, yb, c);
        Nd4j.getRandom().setSeed(1);
        INDArray xv = Nd4j.randn(DataType.FLOAT, batch, c, side, side).muli(4).addi(2);
        INDArray ysv = Nd4j.rand(DataType.FLOAT, batch, c).muli(3).addi(0.2);
        INDArray ybv = Nd4j.randn(DataType.FLOAT, batch, c);
        INDArray out = sd.output(Map.of("x", xv, "ys", ysv, "yb", ybv), y.name()).get(y.name());
        for (int b = 0; b < batch; b++) {
            for (int ch = 0; ch < c; ch++) {
                double mean = 0, sq = 0;
                int n = side * side;
                for (int r = 0; r < side; r++) {
                    for (int q = 0; q < side; q++) {
                        mean += out.getDouble(b, ch, r, q) / n;
                    }
                }
                for (int r = 0; r < side; r++) {
                    for (int q = 0; q < side; q++) {
                        double d = out.getDouble(b, ch, r, q) - mean;
                        sq += d * d / n;
                    }
                }
                assertEquals(ybv.getDouble(b, ch), mean, 1e-5, "mean of sample " + b + " channel " + ch);
                assertEquals(ysv.getDouble(b, ch), Math.sqrt(sq), 1e-4, "std of sample " + b + " channel " + ch);
            }
        }
    }

    @Test
    void demodulatedConvolutionEqualsTheConvolutionWithPerSampleDemodulatedWeights() {
        int batch = 2, in = 3, out = 4, side = 5;
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        TestScope scope = new TestScope(sd, Side.GENERATOR, true, store);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, in, side, side);
        SDVariable s = sd.placeHolder("s", DataType.FLOAT, -1, in);
        SDVariable y = StyleLayers.modulatedConv(scope, "conv", x, s, in, out, 3, true);
        Nd4j.getRandom().setSeed(2);
        INDArray xv = Nd4j.randn(DataType.FLOAT, batch, in, side, side);
        INDArray sv = Nd4j.rand(DataType.FLOAT, batch, in).muli(2).addi(0.1);
        INDArray w = store.params.get("g/conv/W");
        INDArray result = sd.output(Map.of("x", xv, "s", sv), y.name()).get(y.name());
        for (int b = 0; b < batch; b++) {
            // w''_ijk = s_i w_ijk / sqrt(sum_ik (s_i w_ijk)^2 + eps), then a plain "same" convolution
            double[][][][] wpp = new double[3][3][in][out];
            for (int o = 0; o < out; o++) {
                double norm = 0;
                for (int i = 0; i < in; i++) {
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            double v = sv.getDouble(b, i) * w.getDouble(ky, kx, i, o);
                            wpp[ky][kx][i][o] = v;
                            norm += v * v;
                        }
                    }
                }
                for (int i = 0; i < in; i++) {
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            wpp[ky][kx][i][o] /= Math.sqrt(norm + StyleLayers.EPS);
                        }
                    }
                }
            }
            for (int o = 0; o < out; o++) {
                for (int r = 0; r < side; r++) {
                    for (int q = 0; q < side; q++) {
                        double v = 0;
                        for (int i = 0; i < in; i++) {
                            for (int ky = 0; ky < 3; ky++) {
                                for (int kx = 0; kx < 3; kx++) {
                                    int rr = r + ky - 1, qq = q + kx - 1;
                                    if (rr >= 0 && rr < side && qq >= 0 && qq < side) {
                                        v += wpp[ky][kx][i][o] * xv.getDouble(b, i, rr, qq);
                                    }
                                }
                            }
                        }
                        assertEquals(v, result.getDouble(b, o, r, q), 1e-4, "sample " + b + " out " + o);
                    }
                }
            }
        }
    }

    @Test
    void styleMixingSwitchesToTheSecondStyleAtTheChosenLayer() {
        int layers = 8, dim = 3, batch = 4;
        SameDiff sd = SameDiff.create();
        SDVariable w1 = sd.placeHolder("w1", DataType.FLOAT, -1, dim);
        SDVariable w2 = sd.placeHolder("w2", DataType.FLOAT, -1, dim);
        SDVariable u = sd.placeHolder("u", DataType.FLOAT, -1, 2);
        List<SDVariable> ws = StyleMixing.perLayer(sd, w1, w2, u, 0.9, layers);
        INDArray w1v = Nd4j.randn(DataType.FLOAT, batch, dim);
        INDArray w2v = Nd4j.randn(DataType.FLOAT, batch, dim);
        // rows: mixes with crossover 1; mixes with crossover 5 (u1 in [4/7, 5/7)); mixes with crossover 7 (u1 near
        // 1); does not mix (u0 >= 0.9)
        INDArray uv = Nd4j.create(new float[] {0.1f, 0f, 0.5f, 0.6f, 0.89f, 0.999f, 0.95f, 0.3f}, new long[] {4, 2});
        Map<String, INDArray> feed = new HashMap<>(Map.of("w1", w1v, "w2", w2v, "u", uv));
        int[] crossover = {1, 5, 7, Integer.MAX_VALUE};
        for (int l = 0; l < layers; l++) {
            INDArray wl = sd.output(feed, ws.get(l).name()).get(ws.get(l).name());
            for (int b = 0; b < batch; b++) {
                INDArray expected = (l >= crossover[b] ? w2v : w1v).getRow(b);
                assertEquals(0, wl.getRow(b).sub(expected).amaxNumber().doubleValue(), 1e-6,
                        "layer " + l + " sample " + b);
            }
        }
    }
}
