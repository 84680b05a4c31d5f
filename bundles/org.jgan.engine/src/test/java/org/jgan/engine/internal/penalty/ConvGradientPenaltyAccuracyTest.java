package org.jgan.engine.internal.penalty;

import java.util.List;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.GradientPenalty;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.engine.internal.penalty.GradientPenaltyAccuracyTest.DoubleNet;
import org.jgan.engine.internal.penalty.GradientPenaltyAccuracyTest.Reference;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.regularizers.internal.DraganPenalty;
import org.jgan.regularizers.internal.R1Penalty;
import org.jgan.regularizers.internal.R2Penalty;
import org.jgan.regularizers.internal.RothFRegularizer;
import org.jgan.regularizers.internal.RothJsRegularizer;
import org.jgan.regularizers.internal.WganGpPenalty;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;

/**
 * The first-order parameter gradient of the input-gradient penalties on a small convolutional discriminator, with
 * and without batch normalization, against a double-precision reference: the same network written out in Java
 * doubles, {@code grad_X sum_j psi_j} by central differences in double precision, the exact penalty, and central
 * finite differences over every parameter. The network: conv 3x3 stride 2 pad 1 (1 -> 4 channels) [-> batch
 * norm] -> tanh -> conv 3x3 valid (4 -> 4) -> tanh -> linear logit, on 1x6x6 inputs.
 */
class ConvGradientPenaltyAccuracyTest {

    private static final DataShape SHAPE = new DataShape(1, 6, 6);
    private static final int BATCH = 6;
    private static final double BN_EPS = 1e-5;

    @Test
    void r1() {
        both(new R1Penalty(), Map.of("gamma", "10"), 1, (g, psi, s) -> 5 * s);
    }

    @Test
    void r2() {
        both(new R2Penalty(), Map.of("gamma", "3"), 1, (g, psi, s) -> 1.5 * s);
    }

    @Test
    void wganGp() {
        both(new WganGpPenalty(), Map.of(), 1, (g, psi, s) -> 10 * Math.pow(Math.sqrt(s + 1e-12) - 1, 2));
    }

    @Test
    void dragan() {
        both(new DraganPenalty(), Map.of("lambda", "4"), 1, (g, psi, s) -> 4 * Math.pow(Math.sqrt(s + 1e-12) - 1, 2));
    }

    @Test
    void rothJs() {
        both(new RothJsRegularizer(), Map.of("gamma", "2"), 2, (g, psi, s) -> g == 0
                ? Math.pow(1 - GradientPenaltyAccuracyTest.sigmoid(psi), 2) * s
                : Math.pow(GradientPenaltyAccuracyTest.sigmoid(psi), 2) * s);
    }

    @Test
    void rothF() {
        both(new RothFRegularizer(), Map.of("divergence", "kl", "gamma", "2"), 1, (g, psi, s) -> Math.exp(psi - 1) * s);
    }

    private static void both(GradientPenalty penalty, Map<String, String> options, int groups, Reference ref) {
        for (boolean bn : new boolean[] {false, true}) {
            GradientPenaltyAccuracyTest.check(bn ? "conv with batch norm" : "conv", penalty, options, groups, ref, new TinyConv(bn), SHAPE, BATCH,
                    store -> new Conv(store, bn));
        }
    }

    /** The test discriminator in SameDiff; conv weights in ND4J's [kH, kW, inC, outC] layout. */
    record TinyConv(boolean batchNorm) implements Networks {

        @Override
        public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
            throw new UnsupportedOperationException("the accuracy test needs only a discriminator");
        }

        @Override
        public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
            SameDiff sd = scope.sd();
            SDVariable w1 = scope.param("c1/W", ParamKind.WEIGHT, Initializer.normal(0.6), 3, 3, 1, 4);
            SDVariable b1 = scope.param("c1/b", ParamKind.BIAS, Initializer.normal(0.2), 4);
            SDVariable h = sd.cnn().conv2d(x, w1, b1, Conv2DConfig.builder().kH(3).kW(3).sH(2).sW(2).pH(1).pW(1)
                    .dataFormat(Conv2DConfig.NCHW).build());
            if (batchNorm) {
                SDVariable gain = scope.param("bn/gamma", ParamKind.OTHER, (s, r) -> Initializer.normal(0.2)
                        .create(s, r).addi(1), 1, 4, 1, 1);
                SDVariable bias = scope.param("bn/beta", ParamKind.BIAS, Initializer.normal(0.2), 1, 4, 1, 1);
                SDVariable mean = h.mean(true, 0, 2, 3);
                SDVariable centred = h.sub(mean);
                SDVariable var = centred.mul(centred).mean(true, 0, 2, 3);
                h = centred.div(sd.math().sqrt(var.add(BN_EPS))).mul(gain).add(bias);
            }
            h = sd.math().tanh(h);
            SDVariable w2 = scope.param("c2/W", ParamKind.WEIGHT, Initializer.normal(0.4), 3, 3, 4, 4);
            SDVariable b2 = scope.param("c2/b", ParamKind.BIAS, Initializer.normal(0.2), 4);
            h = sd.math().tanh(sd.cnn().conv2d(h, w2, b2, Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1)
                    .dataFormat(Conv2DConfig.NCHW).build()));
            SDVariable features = h.reshape(-1, 4);
            SDVariable w3 = scope.param("out/W", ParamKind.WEIGHT, Initializer.normal(0.8), 4, 1);
            SDVariable b3 = scope.param("out/b", ParamKind.BIAS, Initializer.zeros(), 1);
            return new Critique(features.mmul(w3).add(b3), features);
        }
    }

    /** The same network in double precision; the input gradient by central differences of sum_j psi_j. */
    static final class Conv extends DoubleNet {
        private final boolean batchNorm;

        Conv(ParameterStore store, boolean batchNorm) {
            super(store);
            this.batchNorm = batchNorm;
        }

        @Override
        double step() {
            return 1e-4;
        }

        @Override
        double[][] forward(double[][] x) {
            double[] psi = psi(x);
            double[][] out = new double[x.length][x[0].length + 1];
            double h = 1e-5;
            for (int i = 0; i < x.length; i++) {
                out[i][0] = psi[i];
                for (int j = 0; j < x[i].length; j++) {
                    double orig = x[i][j];
                    x[i][j] = orig + h;
                    double plus = sum(psi(x));
                    x[i][j] = orig - h;
                    double minus = sum(psi(x));
                    x[i][j] = orig;
                    out[i][j + 1] = (plus - minus) / (2 * h);
                }
            }
            return out;
        }

        private static double sum(double[] v) {
            double s = 0;
            for (double d : v) {
                s += d;
            }
            return s;
        }

        private double[] psi(double[][] x) {
            int n = x.length;
            // conv1: [n, 4, 3, 3]
            double[][] h1 = new double[n][];
            for (int i = 0; i < n; i++) {
                h1[i] = conv(x[i], 1, 6, p.get("d/c1/W"), p.get("d/c1/b"), 4, 2, 1);
            }
            if (batchNorm) {
                double[] gain = p.get("d/bn/gamma");
                double[] bias = p.get("d/bn/beta");
                for (int c = 0; c < 4; c++) {
                    double mean = 0;
                    for (double[] r : h1) {
                        for (int k = 0; k < 9; k++) {
                            mean += r[c * 9 + k];
                        }
                    }
                    mean /= n * 9.0;
                    double var = 0;
                    for (double[] r : h1) {
                        for (int k = 0; k < 9; k++) {
                            var += Math.pow(r[c * 9 + k] - mean, 2);
                        }
                    }
                    var /= n * 9.0;
                    double sd = Math.sqrt(var + BN_EPS);
                    for (double[] r : h1) {
                        for (int k = 0; k < 9; k++) {
                            r[c * 9 + k] = (r[c * 9 + k] - mean) / sd * gain[c] + bias[c];
                        }
                    }
                }
            }
            double[] w3 = p.get("d/out/W");
            double b3 = p.get("d/out/b")[0];
            double[] psi = new double[n];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < h1[i].length; k++) {
                    h1[i][k] = Math.tanh(h1[i][k]);
                }
                double[] h2 = conv(h1[i], 4, 3, p.get("d/c2/W"), p.get("d/c2/b"), 4, 1, 0);
                double v = b3;
                for (int c = 0; c < 4; c++) {
                    v += Math.tanh(h2[c]) * w3[c];
                }
                psi[i] = v;
            }
            return psi;
        }

        /** A 3x3 convolution of one [inC, size, size] sample, weights [3, 3, inC, outC], zero padding. */
        private static double[] conv(double[] x, int inC, int size, double[] w, double[] b, int outC, int stride,
                int pad) {
            int outSize = (size + 2 * pad - 3) / stride + 1;
            double[] out = new double[outC * outSize * outSize];
            for (int c = 0; c < outC; c++) {
                for (int i = 0; i < outSize; i++) {
                    for (int j = 0; j < outSize; j++) {
                        double a = b[c];
                        for (int di = 0; di < 3; di++) {
                            for (int dj = 0; dj < 3; dj++) {
                                int r = i * stride + di - pad;
                                int q = j * stride + dj - pad;
                                if (r < 0 || q < 0 || r >= size || q >= size) {
                                    continue;
                                }
                                for (int k = 0; k < inC; k++) {
                                    a += w[((di * 3 + dj) * inC + k) * outC + c] * x[(k * size + r) * size + q];
                                }
                            }
                        }
                        out[(c * outSize + i) * outSize + j] = a;
                    }
                }
            }
            return out;
        }
    }
}
