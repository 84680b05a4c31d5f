package org.jgan.stylegan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.jgan.api.Side;
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The equalized learning rate: parameter N(0, 1 / lrMul^2), effective weight scaled by gain / sqrt(fanIn) * lrMul. */
class EqualizedTest {

    @Test
    void theParameterIsUnitScaleAndTheEffectiveWeightHeScaleTimesTheMultiplier() {
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        TestScope scope = new TestScope(sd, Side.GENERATOR, true, store);
        long fanIn = 400;
        double lrMul = 0.01;
        SDVariable w = Equalized.weight(scope, "m/W", Equalized.LRELU_GAIN, lrMul, fanIn, fanIn, 300);
        INDArray p = store.params.get("g/m/W");
        assertEquals(1 / lrMul, p.stdNumber().doubleValue(), 0.02 / lrMul, "parameter std 1 / lrMul");
        INDArray effective = sd.output(Map.of(), w.name()).get(w.name());
        double scale = Math.sqrt(2) / Math.sqrt(fanIn) * lrMul;
        assertEquals(0, effective.sub(p.mul(scale)).amaxNumber().doubleValue(), 1e-6, "w_hat = w * scale");
        // He et al.: std sqrt(2 / fanIn) for the effective weight
        assertEquals(Math.sqrt(2.0 / fanIn), effective.stdNumber().doubleValue(), 0.02 * Math.sqrt(2.0 / fanIn));
    }

    @Test
    void theGradientOfTheParameterIsTheEffectiveGradientTimesTheScale() {
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        TestScope scope = new TestScope(sd, Side.GENERATOR, true, store);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 8);
        SDVariable w = Equalized.weight(scope, "d/W", 1, 1, 8, 8, 3);
        SDVariable b = Equalized.bias(scope, "d/b", 0.5, 3);
        SDVariable loss = x.mmul(w).add(b).sum();
        Nd4j.getRandom().setSeed(3);
        INDArray xv = Nd4j.randn(DataType.FLOAT, 5, 8);
        Map<String, INDArray> g = sd.calculateGradients(Map.of("x", xv), "g/d/W", "g/d/b");
        // d loss / d w_hat[i][j] = sum over the batch of x[., i]; d w_hat / d w = 1 / sqrt(8)
        INDArray expected = xv.sum(0).reshape(8, 1).repeat(1, 3).muli(1 / Math.sqrt(8));
        assertEquals(0, g.get("g/d/W").sub(expected).amaxNumber().doubleValue(), 1e-5);
        // the bias: 5 rows times its multiplier 0.5
        assertEquals(0, g.get("g/d/b").sub(Nd4j.valueArrayOf(new long[] {3}, 2.5, DataType.FLOAT))
                .amaxNumber().doubleValue(), 1e-5);
    }
}
