package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What ND4J 1.0.0-M2.1 offers for a fused batch normalization, pinned so that a change of ND4J shows: the native
 * backward op {@code batchnorm_bp} gives the whole training-mode gradient with respect to its input (through the
 * batch mean and variance, as if they were computed inside it) and zero for the mean and variance inputs, but
 * SameDiff cannot differentiate its own {@code batchNorm} op (the copy of the graph it differentiates loses the op's
 * axis; once restored, the derivative op refuses its six inputs). Batch normalization is therefore built from
 * elementary ops (org.jgan.layers.BatchNorm); a fused one needs its own differentiable op class.
 */
class BatchNormFactsTest {

    private static final double EPS = 1e-5;
    private static final int N = 8, C = 4, H = 5, W = 5;

    /** batchnorm_bp against the training-mode gradient computed here in float64. */
    @Test
    void theNativeBackwardOpGivesTheFullTrainingGradient() {
        Random random = new Random(7);
        float[] x = new float[N * C * H * W], g = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * random.nextGaussian() + 0.5);
            g[i] = (float) random.nextGaussian();
        }
        float[] gamma = {0.7f, 1.3f, 0.9f, 1.1f}, beta = {0.1f, -0.2f, 0.3f, 0f};
        INDArray xa = Nd4j.create(x, new long[] {N, C, H, W}), ga = Nd4j.create(g, new long[] {N, C, H, W});
        INDArray mean = xa.mean(0, 2, 3), var = xa.var(false, 0, 2, 3);
        INDArray dI = Nd4j.create(DataType.FLOAT, N, C, H, W);
        INDArray dM = Nd4j.create(DataType.FLOAT, C), dV = Nd4j.create(DataType.FLOAT, C);
        INDArray dG = Nd4j.create(DataType.FLOAT, C), dB = Nd4j.create(DataType.FLOAT, C);
        Nd4j.exec(DynamicCustomOp.builder("batchnorm_bp")
                .addInputs(xa, mean, var, Nd4j.create(gamma), Nd4j.create(beta), ga)
                .addOutputs(dI, dM, dV, dG, dB).addIntegerArguments(1, 1, 1).addFloatingPointArguments(EPS).build());

        int m = N * H * W;
        double worst = 0, scale = 0;
        for (int c = 0; c < C; c++) {
            double mu = 0, v = 0;
            for (int i = 0; i < m; i++) {
                mu += x[at(i, c)];
            }
            mu /= m;
            for (int i = 0; i < m; i++) {
                v += (x[at(i, c)] - mu) * (x[at(i, c)] - mu);
            }
            double sigma = Math.sqrt(v / m + EPS);
            double meanG = 0, meanGxHat = 0, sumGxHat = 0, sumG = 0;
            for (int i = 0; i < m; i++) {
                double xHat = (x[at(i, c)] - mu) / sigma;
                meanG += g[at(i, c)] / m;
                meanGxHat += g[at(i, c)] * xHat / m;
                sumGxHat += g[at(i, c)] * xHat;
                sumG += g[at(i, c)];
            }
            for (int i = 0; i < m; i++) {
                double xHat = (x[at(i, c)] - mu) / sigma;
                // dL/dx = gamma / sigma (g - mean(g) - xHat mean(g xHat)): the batch statistics' share included
                double exact = gamma[c] / sigma * (g[at(i, c)] - meanG - xHat * meanGxHat);
                worst = Math.max(worst, Math.abs(dI.getDouble(at(i, c)) - exact));
                scale = Math.max(scale, Math.abs(exact));
            }
            assertEquals(sumGxHat, dG.getDouble(c), 1e-4 * Math.max(1, Math.abs(sumGxHat)), "dL/dgamma of channel " + c);
            assertEquals(sumG, dB.getDouble(c), 1e-4 * Math.max(1, Math.abs(sumG)), "dL/dbeta of channel " + c);
            assertEquals(0, dM.getDouble(c), 0, "dL/dmean of channel " + c);
            assertEquals(0, dV.getDouble(c), 0, "dL/dvariance of channel " + c);
        }
        assertTrue(worst <= 1e-5 * scale, "batchnorm_bp's input gradient is off by " + worst + " (largest " + scale + ")");
    }

    /** SameDiff's own batchNorm cannot be differentiated in 1.0.0-M2.1. */
    @Test
    void sameDiffCannotDifferentiateItsBatchNorm() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", Nd4j.rand(DataType.FLOAT, N, C, H, W));
        SDVariable gamma = sd.var("gamma", Nd4j.ones(DataType.FLOAT, C));
        SDVariable beta = sd.var("beta", Nd4j.zeros(DataType.FLOAT, C));
        SDVariable mean = sd.reshape(x.mean(true, 0, 2, 3), C);
        SDVariable centered = x.sub(x.mean(true, 0, 2, 3));
        SDVariable var = sd.reshape(centered.mul(centered).mean(true, 0, 2, 3), C);
        sd.setLossVariables(sd.nn.batchNorm(x, mean, var, gamma, beta, EPS, 1).sum());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> sd.calculateGradients(Map.of(), "x", "gamma", "beta"));
        assertTrue(e.getMessage().contains("axis"), e.getMessage());
    }

    /** Index of element i of channel c (i over batch and spatial positions) in an NCHW array. */
    private static int at(int i, int c) {
        int n = i / (H * W), s = i % (H * W);
        return (n * C + c) * H * W + s;
    }
}
