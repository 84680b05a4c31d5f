package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jgan.api.Side;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ReLU and LeakyReLU as {@link GraphScope} builds them for training ({@code x} times a slope mask without a
 * gradient, in place of ND4J's slow {@code relu} and {@code leakyrelu} ops): values and input gradients against a
 * float64 loop over the elements, exact zeros included (ND4J's ops take the slope below or at 0, {@code x > 0} for
 * 1), on a DCGAN-sized activation.
 */
class ScopeActivationsTest {

    @ParameterizedTest(name = "slope {0}")
    @ValueSource(doubles = {0.0, 0.2, 0.01})
    void valuesAndGradientsAreThoseOfThePiecewiseLinearFunction(double slope) {
        long[] shape = {8, 16, 14, 14};
        Nd4j.getRandom().setSeed(5);
        INDArray at = Nd4j.randn(DataType.FLOAT, shape);
        // exact zeros and values next to them: the kink itself
        for (int i = 0; i < 50; i++) {
            at.putScalar(i * 97L, i % 2 == 0 ? 0f : (i % 4 == 1 ? Float.MIN_VALUE : -Float.MIN_VALUE));
        }
        INDArray upstream = Nd4j.randn(DataType.FLOAT, shape);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", at.dup());
        GraphScope scope = new GraphScope(sd, Side.DISCRIMINATOR, true, new ParameterStore(1), List.of());
        SDVariable y = slope == 0 ? scope.relu(x) : scope.leakyRelu(x, slope);
        y.mul(sd.constant("g", upstream)).sum().markAsLoss();
        Map<String, INDArray> got = sd.calculateGradientsAndOutputs(Map.of(), List.of(y.name()), List.of("x"))
                .getOutputs();
        INDArray dx = sd.calculateGradients(Map.of(), "x").get("x");

        float[] xs = at.data().asFloat();
        float[] gs = upstream.data().asFloat();
        float[] ys = got.get(y.name()).data().asFloat();
        float[] dxs = dx.data().asFloat();
        double worstValue = 0;
        double worstGradient = 0;
        for (int i = 0; i < xs.length; i++) {
            double xi = xs[i];
            double s = xi > 0 ? 1 : slope;
            worstValue = Math.max(worstValue, Math.abs(ys[i] - s * xi) / Math.max(1e-30, Math.abs(s * xi)));
            worstGradient = Math.max(worstGradient, Math.abs(dxs[i] - s * gs[i]) / Math.max(1e-30, Math.abs(s * gs[i])));
        }
        // one rounding of the float product (the mask 1 is 1 - slope + slope, exact to one unit in the last place)
        assertTrue(worstValue <= 2.5e-7, "largest relative error of the values: " + worstValue);
        assertTrue(worstGradient <= 2.5e-7, "largest relative error of the input gradient: " + worstGradient);

        Set<String> ops = sd.getOps().values().stream().map(o -> o.getOp().opName()).collect(Collectors.toSet());
        assertEquals(Set.of(), ops.stream().filter(Set.of("relu", "leakyrelu")::contains).collect(Collectors.toSet()),
                "the scope built ND4J's own activation op: " + ops);
    }
}
