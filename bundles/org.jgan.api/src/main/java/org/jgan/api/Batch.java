package org.jgan.api;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A batch of data.
 *
 * @param data   {@code [batch, dims...]} float32, images in [-1, 1]
 * @param labels one-hot {@code [batch, classes]} float32, or {@code null} when the dataset has no labels
 */
public record Batch(INDArray data, INDArray labels) {
    public Batch {
        Objects.requireNonNull(data, "data");
    }

    /**
     * Writes a batch's values into this batch's arrays, when each is a float32 array laid out densely in C order (a
     * view at an offset is fine) with as many elements as the values, and labels are given exactly when this batch
     * has them: the data source's side of {@link DataSource#sample(int, long, Batch)}.
     *
     * @param values the data in C order
     * @param oneHot the labels in C order, or null for a dataset without labels
     * @return whether the values were written; when false, neither array was changed
     * @since 1.15
     */
    public boolean write(float[] values, float[] oneHot) {
        if (!takes(data, values) || (labels == null ? oneHot != null : oneHot == null || !takes(labels, oneHot))) {
            return false;
        }
        put(data, values);
        if (labels != null) {
            put(labels, oneHot);
        }
        return true;
    }

    private static boolean takes(INDArray a, float[] values) {
        return a.dataType() == DataType.FLOAT && a.length() == values.length
                && Arrays.equals(a.stride(), Nd4j.getStrides(a.shape(), 'c'));
    }

    private static void put(INDArray a, float[] values) {
        // the buffer of a view is positioned at its offset
        FloatBuffer b = a.data().asNioFloat();
        b.put(b.position(), values);
        Reference.reachabilityFence(a);
    }
}
