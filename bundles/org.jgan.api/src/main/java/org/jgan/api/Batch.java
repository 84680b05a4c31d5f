package org.jgan.api;

import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

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
}
