package org.jgan.api;

import org.osgi.annotation.versioning.ConsumerType;

/** An opened dataset: its shape, size and seedable batches. */
@ConsumerType
public interface DataSource {

    /** Shape of one sample. */
    DataShape shape();

    /** Number of distinct samples; {@link Long#MAX_VALUE} for a distribution sampled afresh each time. */
    long size();

    /** Number of classes of the labels, 0 when the dataset has none. */
    int classes();

    /**
     * Draws a batch. The same seed gives the same batch, so runs and resumed runs are reproducible.
     *
     * @param batchSize number of samples, at least 1
     * @param seed      seed of this draw
     */
    Batch sample(int batchSize, long seed);
}
