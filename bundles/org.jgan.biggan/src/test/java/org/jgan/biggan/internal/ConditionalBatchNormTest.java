package org.jgan.biggan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.jgan.api.Side;
import org.jgan.layers.BatchNorm;
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


/** Conditional batch norm against its equation, computed by hand: each sample gets its own class's gain and bias. */
class ConditionalBatchNormTest {

    @Test
    void eachSampleGetsItsClassesGainAndBias() {
        int batch = 5, c = 3, side = 4, classes = 3;
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        TestScope scope = new TestScope(sd, Side.GENERATOR, true, store);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, c, side, side);
        SDVariable y = sd.placeHolder("y", DataType.FLOAT, -1, classes);
        SDVariable out = ConditionalBatchNorm.apply(scope, "cbn", x, c, y, classes);
        Nd4j.getRandom().setSeed(5);
        INDArray wg = store.params.get("g/cbn/gain/W").assign(Nd4j.randn(DataType.FLOAT, classes, c));
        INDArray bg = store.params.get("g/cbn/gain/b").assign(Nd4j.randn(DataType.FLOAT, c));
        INDArray wb = store.params.get("g/cbn/bias/W").assign(Nd4j.randn(DataType.FLOAT, classes, c));
        INDArray bb = store.params.get("g/cbn/bias/b").assign(Nd4j.randn(DataType.FLOAT, c));
        INDArray xv = Nd4j.randn(DataType.FLOAT, batch, c, side, side).muli(3).addi(1);
        int[] label = {2, 0, 1, 2, 1};
        INDArray yv = Nd4j.zeros(DataType.FLOAT, batch, classes);
        for (int i = 0; i < batch; i++) {
            yv.putScalar(i, label[i], 1);
        }
        INDArray result = sd.output(Map.of("x", xv, "y", yv), out.name()).get(out.name());
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, sq = 0;
            int n = batch * side * side;
            for (int i = 0; i < batch; i++) {
                for (int r = 0; r < side; r++) {
                    for (int q = 0; q < side; q++) {
                        mean += xv.getDouble(i, ch, r, q) / n;
                    }
                }
            }
            for (int i = 0; i < batch; i++) {
                for (int r = 0; r < side; r++) {
                    for (int q = 0; q < side; q++) {
                        double d = xv.getDouble(i, ch, r, q) - mean;
                        sq += d * d / n;
                    }
                }
            }
            for (int i = 0; i < batch; i++) {
                // one-hot y: y W picks the row of the sample's class
                double gain = 1 + wg.getDouble(label[i], ch) + bg.getDouble(ch);
                double bias = wb.getDouble(label[i], ch) + bb.getDouble(ch);
                for (int r = 0; r < side; r++) {
                    for (int q = 0; q < side; q++) {
                        double expected = (xv.getDouble(i, ch, r, q) - mean) / Math.sqrt(sq + BatchNorm.EPS) * gain
                                + bias;
                        assertEquals(expected, result.getDouble(i, ch, r, q), 1e-4, "sample " + i + " channel " + ch);
                    }
                }
            }
        }
    }
}
