package org.jgan.layers;

import java.util.Locale;
import java.util.function.Supplier;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 2x2 average pooling with stride 2 and 2x nearest-neighbour upsampling of NCHW maps, each written as one matrix
 * product with a constant 0/1 (or 1/4) matrix, forward and backward:
 * <pre>
 *   avgPool2x2: [N, C, H, W] -> rows [N C H/2, 2W] (image rows 2i and 2i+1 side by side) x P [2W, W/2]
 *               P[j, k] = 1/4 where (j mod W) div 2 = k, else 0         -> [N, C, H/2, W/2]
 *   upsample2x: [N, C, H, W] -> rows [N C H, W] x U [W, 4W]
 *               U[k, j] = 1 where (j mod 2W) div 2 = k, else 0          -> [N C H, 4W] = [N, C, 2H, 2W]
 * </pre>
 * For finite inputs the values are those of the pooling and upsampling ops (an average of the four pixels of each
 * window; each pixel repeated in a 2x2 block), up to the order of float additions in the average; the upsampled
 * values are the input's bits (a -0.0 becomes +0.0). An infinite or NaN pixel, multiplied by the matrix's zeros,
 * makes NaN the whole output row it meets (of its image row pair when pooling, of its image row when upsampling)
 * where the ops keep it to its window; the loss is not finite either way. Why: libnd4j 1.0.0-M2.1's
 * {@code avgpool2d}, {@code upsampling2d} and their backward passes take 4 to 19 times as long as these products on
 * the maps of the residual architectures (2-core AMD EPYC with AVX2, 2 threads, batch 32, one op at a time, medians
 * of 50): pooling {@code [32, 32, 32, 32]} 3.8 ms and its backward pass 2.2 ms
 * against 0.2 and 0.3 ms; upsampling {@code [32, 32, 16, 16]} 1.2 and 0.8 ms against 0.2 ms each. A product does
 * {@code W / 2} (pooling) or {@code W} (upsampling) multiply-adds per output where the ops do a few additions or
 * copies, so it stops paying for wide maps: pooling {@code [32, 4, 256, 256]} still takes 15 against 23 ms, while
 * upsampling from width 64 is about even (1.8 against 2.3 ms, backward 1.5 ms each) and from width 128 behind (12
 * against 10 ms). Wider maps than {@link #POOL_MAX_WIDTH} and {@link #UPSAMPLE_MAX_WIDTH} keep the ops. A matrix
 * product with a constant is linear, so the penalties' tangents and the affinity check handle it as they handle
 * pooling.
 */
public final class Resampling {

    /** The widest input {@link #avgPool2x2} pools by a matrix product. */
    public static final int POOL_MAX_WIDTH = 256;
    /** The widest input {@link #upsample2x} upsamples by a matrix product. */
    public static final int UPSAMPLE_MAX_WIDTH = 64;

    private Resampling() {
    }

    /**
     * 2x2 average pooling with stride 2 of {@code x [batch, channels, height, width]} (both sides even) to
     * {@code [batch, channels, height / 2, width / 2]}.
     */
    public static SDVariable avgPool2x2(SameDiff sd, SDVariable x, long channels, long height, long width) {
        check(height, width, true);
        if (width > POOL_MAX_WIDTH) {
            return sd.cnn().avgPooling2d(x, Pooling2DConfig.builder().kH(2).kW(2).sH(2).sW(2)
                    .paddingMode(PaddingMode.VALID).isNHWC(false).build());
        }
        SDVariable p = matrix(sd, x.dataType(), "avgpool2x2", width, () -> {
            INDArray m = Nd4j.create(x.dataType(), 2 * width, width / 2);
            for (long j = 0; j < 2 * width; j++) {
                m.putScalar(j, (j % width) / 2, 0.25);
            }
            return m;
        });
        SDVariable rows = sd.reshape(x, -1, 2 * width);
        return sd.reshape(rows.mmul(p), -1, channels, height / 2, width / 2);
    }

    /**
     * Nearest-neighbour 2x upsampling of {@code x [batch, channels, height, width]} to
     * {@code [batch, channels, 2 height, 2 width]}.
     */
    public static SDVariable upsample2x(SameDiff sd, SDVariable x, long channels, long height, long width) {
        check(height, width, false);
        if (width > UPSAMPLE_MAX_WIDTH) {
            return sd.cnn().upsampling2d(x, 2, 2, true);
        }
        SDVariable u = matrix(sd, x.dataType(), "upsample2x", width, () -> {
            INDArray m = Nd4j.create(x.dataType(), width, 4 * width);
            for (long j = 0; j < 4 * width; j++) {
                m.putScalar((j % (2 * width)) / 2, j, 1.0);
            }
            return m;
        });
        SDVariable rows = sd.reshape(x, -1, width);
        return sd.reshape(rows.mmul(u), -1, channels, 2 * height, 2 * width);
    }

    private static void check(long height, long width, boolean even) {
        if (height < 1 || width < 1 || (even && (height % 2 != 0 || width % 2 != 0))) {
            throw new IllegalArgumentException("resampling needs " + (even ? "even " : "") + "positive map sides, got "
                    + height + " x " + width);
        }
    }

    /** One constant per kind, width and data type in a graph, shared by the ops that use it. */
    private static SDVariable matrix(SameDiff sd, DataType type, String kind, long width,
            Supplier<INDArray> values) {
        String name = "jgan/" + kind + "/" + width + "/" + type.name().toLowerCase(Locale.ROOT);
        return sd.hasVariable(name) ? sd.getVariable(name) : sd.constant(name, values.get());
    }
}
