package org.jgan.layers;

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
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Batch statistics while training, running statistics when sampling, and the running update in between. */
class BatchNormTest {

    private static final double[] MEANS = {2, -1, 0.5};
    private static final double[] STDS = {3, 0.5, 1};

    /** [6, 3, 5, 5] with channel c drawn from N(MEANS[c], STDS[c]^2). */
    private static INDArray input() {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.randn(DataType.FLOAT, 6, 3, 5, 5);
        for (int c = 0; c < 3; c++) {
            INDArray ch = x.get(NDArrayIndex.all(), NDArrayIndex.point(c), NDArrayIndex.all(), NDArrayIndex.all());
            ch.muli(STDS[c]).addi(MEANS[c]);
        }
        return x;
    }

    private static INDArray channel(INDArray a, int c) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.point(c), NDArrayIndex.all(), NDArrayIndex.all()).dup();
    }

    @Test
    void trainingGraphNormalizesPerChannelWithBatchStatisticsAndUpdatesTheRunningBuffers() {
        TestScope.Store store = new TestScope.Store();
        TestScope scope = new TestScope(SameDiff.create(), Side.DISCRIMINATOR, true, store);
        SDVariable x = scope.sd.placeHolder("x", DataType.FLOAT, -1, 3, 5, 5);
        SDVariable y = BatchNorm.apply(scope, "bn", x, 3);
        INDArray in = input();
        INDArray out = scope.sd.outputSingle(Map.of("x", in), y.name());
        for (int c = 0; c < 3; c++) {
            INDArray ch = channel(out, c);
            assertEquals(0, ch.meanNumber().doubleValue(), 1e-4, "mean of channel " + c);
            assertEquals(1, ch.stdNumber(false).doubleValue(), 1e-3, "std of channel " + c);
        }
        assertEquals(2, scope.updates.size(), "running mean and variance updates");
        scope.applyUpdates(Map.of("x", in));
        INDArray mean = store.buffers.get("d/buffer/bn/mean");
        INDArray var = store.buffers.get("d/buffer/bn/var");
        for (int c = 0; c < 3; c++) {
            INDArray ch = channel(in, c);
            double m = ch.meanNumber().doubleValue();
            double v = ch.stdNumber(false).doubleValue();
            v *= v;
            assertEquals(0.1 * m, mean.getDouble(c), 1e-5, "running mean of channel " + c);
            assertEquals(0.9 + 0.1 * v, var.getDouble(c), 1e-4, "running variance of channel " + c);
        }
        // gamma and beta scale and shift the normalized values
        store.params.get("d/bn/gamma").assign(Nd4j.createFromArray(2f, 3f, 4f));
        store.params.get("d/bn/beta").assign(Nd4j.createFromArray(1f, -1f, 0f));
        INDArray scaled = scope.sd.outputSingle(Map.of("x", in), y.name());
        assertEquals(1, channel(scaled, 0).meanNumber().doubleValue(), 1e-4);
        assertEquals(3, channel(scaled, 1).stdNumber(false).doubleValue(), 1e-3);
    }

    @Test
    void samplingGraphUsesTheRunningStatisticsAndRegistersNoUpdate() {
        TestScope.Store store = new TestScope.Store();
        TestScope scope = new TestScope(SameDiff.create(), Side.GENERATOR, false, store);
        SDVariable x = scope.sd.placeHolder("x", DataType.FLOAT, -1, 3, 5, 5);
        SDVariable y = BatchNorm.apply(scope, "bn", x, 3);
        store.buffers.get("g/buffer/bn/mean").assign(Nd4j.createFromArray(2f, -1f, 0.5f));
        store.buffers.get("g/buffer/bn/var").assign(Nd4j.createFromArray(9f, 0.25f, 1f));
        INDArray in = input();
        INDArray out = scope.sd.outputSingle(Map.of("x", in), y.name());
        for (int c = 0; c < 3; c++) {
            INDArray expected = channel(in, c).subi(MEANS[c]).divi(Math.sqrt(STDS[c] * STDS[c] + BatchNorm.EPS));
            assertEquals(0, channel(out, c).sub(expected).amaxNumber().doubleValue(), 1e-5, "channel " + c);
        }
        // a sample's output does not depend on the rest of its batch
        INDArray one = scope.sd.outputSingle(Map.of("x", in.get(NDArrayIndex.interval(0, 1)).dup()), y.name());
        assertEquals(0, one.sub(out.get(NDArrayIndex.interval(0, 1))).amaxNumber().doubleValue(), 1e-6);
        assertTrue(scope.updates.isEmpty(), "sampling graphs do not update running statistics");
    }
}
