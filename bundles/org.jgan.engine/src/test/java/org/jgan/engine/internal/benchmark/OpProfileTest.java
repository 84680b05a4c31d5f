package org.jgan.engine.internal.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The dense ops' operation counts the profile reports, against counts written out by hand for DCGAN's layers. */
class OpProfileTest {

    private static INDArray a(long... shape) {
        return Nd4j.create(DataType.FLOAT, shape);
    }

    @Test
    void countsTwoOperationsPerMultiplyAdd() {
        // D's 64-to-128 convolution, 4x4 stride 2, batch 64, 14x14 -> 7x7: each of the 64*128*7*7 outputs takes
        // 64*4*4 multiply-adds, whatever the weights' layout
        double conv = 2.0 * 64 * 128 * 7 * 7 * (64 * 4 * 4);
        assertEquals(conv, OpProfile.flops("conv2d", List.of(a(64, 64, 14, 14), a(4, 4, 64, 128)), a(64, 128, 7, 7)));
        assertEquals(conv, OpProfile.flops("conv2d", List.of(a(64, 64, 14, 14), a(128, 64, 4, 4)), a(64, 128, 7, 7)));
        // its backward pass: the input's and the weights' gradients, each as much as the forward pass
        assertEquals(2 * conv, OpProfile.flops("conv2d_bp",
                List.of(a(64, 64, 14, 14), a(4, 4, 64, 128), a(64, 128, 7, 7)), a(64, 64, 14, 14)));
        // G's 128-to-64 transposed convolution, 7x7 -> 14x14: each of the 64*128*7*7 inputs meets 64*4*4 weights
        double deconv = 2.0 * 64 * 128 * 7 * 7 * (64 * 4 * 4);
        assertEquals(deconv, OpProfile.flops("deconv2d", List.of(a(64, 128, 7, 7), a(4, 4, 64, 128)),
                a(64, 64, 14, 14)));
        assertEquals(2 * deconv, OpProfile.flops("deconv2d_bp",
                List.of(a(64, 128, 7, 7), a(4, 4, 64, 128), a(64, 64, 14, 14)), a(64, 128, 7, 7)));
        // G's input layer: [64, 100] x [100, 6272]
        double mm = 2.0 * 64 * 6272 * 100;
        assertEquals(mm, OpProfile.flops("matmul", List.of(a(64, 100), a(100, 6272)), a(64, 6272)), 1e-3);
        assertEquals(2 * mm, OpProfile.flops("matmul_bp", List.of(a(64, 100), a(100, 6272), a(64, 6272)),
                a(64, 100)), 1e-3);
        assertEquals(0, OpProfile.flops("add", List.of(a(64, 100), a(64, 100)), a(64, 100)));
    }
}
