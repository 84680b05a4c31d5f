package org.jgan.regularizers.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.Options;
import org.jgan.api.Side;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gradient through a spectrally normalized weight, {@code d/dW L(W / sigma(W))} with u and v held constant
 * (Miyato et al. 2018), against central differences in double precision. With u the converged singular vector,
 * the power iteration in the graph returns it unchanged and the difference, which also moves u and v, has the same
 * first-order term. Before the fix this failed with relative errors of 0.2 to 40: ND4J 1.0.0-M2.1 differentiates
 * a division by a rank-0 variable wrongly, and the weight was divided by sigma.
 */
class SpectralNormalizationTest {

    @Test
    void gradientThroughTheNormalizedWeightMatchesFiniteDifferences() {
        for (long[] shape : new long[][] {{6, 6}, {5, 3}, {7, 1}, {3, 3, 2, 4}}) {
            check(shape);
        }
    }

    private static void check(long[] shape) {
        Nd4j.getRandom().setSeed(shape.length * 31L + shape[0]);
        INDArray w = Nd4j.randn(DataType.DOUBLE, shape);
        long cols = shape[shape.length - 1];
        long rows = w.length() / cols;
        INDArray x = Nd4j.randn(DataType.DOUBLE, 4, rows);
        INDArray target = Nd4j.randn(DataType.DOUBLE, 4, cols);
        INDArray u = converged(w.reshape(rows, cols));
        SameDiff sd = SameDiff.create();
        SDVariable wv = sd.var("w", w);
        Scope scope = new Scope(sd, u);
        SpectralNormalization sn = new SpectralNormalization();
        SDVariable normalized = sn.apply(scope, "w", wv, Options.resolve("sn", sn.options(), Map.of()));
        SDVariable out = sd.constant(x).mmul(sd.reshape(normalized, rows, cols)).sub(sd.constant(target));
        SDVariable loss = out.mul(out).sum();
        sd.setLossVariables(loss);
        INDArray grad = sd.calculateGradients(Map.of(), List.of("w")).get("w").dup();
        double num = 0;
        double den = 0;
        INDArray flat = w.reshape(-1);
        for (int k = 0; k < flat.length(); k++) {
            double orig = flat.getDouble(k);
            double h = 1e-6;
            flat.putScalar(k, orig + h);
            double plus = sd.output(Map.of(), loss.name()).get(loss.name()).getDouble(0);
            flat.putScalar(k, orig - h);
            double minus = sd.output(Map.of(), loss.name()).get(loss.name()).getDouble(0);
            flat.putScalar(k, orig);
            double fd = (plus - minus) / (2 * h);
            double g = grad.reshape(-1).getDouble(k);
            num += (g - fd) * (g - fd);
            den += fd * fd;
        }
        double rel = Math.sqrt(num / den);
        System.out.printf("spectral normalization of a %s weight: relative error of the gradient %.1e%n",
                java.util.Arrays.toString(shape), rel);
        assertTrue(rel < 1e-6, java.util.Arrays.toString(shape) + ": relative error " + rel);
    }

    /** The leading left singular vector of m as a row, by power iteration in double precision. */
    private static INDArray converged(INDArray m) {
        INDArray u = Nd4j.ones(DataType.DOUBLE, 1, m.size(0));
        for (int i = 0; i < 5000; i++) {
            INDArray v = u.mmul(m);
            v.divi(v.norm2Number().doubleValue());
            u = v.mmul(m.transpose());
            u.divi(u.norm2Number().doubleValue());
        }
        return u;
    }

    /** Just enough of a network scope for a reparametrization: the u buffer. */
    private record Scope(SameDiff sd, INDArray u) implements NetworkScope {
        @Override
        public Side network() {
            return Side.DISCRIMINATOR;
        }

        @Override
        public boolean training() {
            return true;
        }

        @Override
        public SDVariable param(String name, ParamKind kind, Initializer init, long... shape) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, SDVariable> parameters(ParamKind kind) {
            return new LinkedHashMap<>();
        }

        @Override
        public SDVariable buffer(String name, Initializer init, long... shape) {
            return sd.hasVariable(name) ? sd.getVariable(name) : sd.var(name, u.reshape(shape));
        }

        @Override
        public void updateBuffer(SDVariable buffer, SDVariable newValue) {
        }
    }
}
