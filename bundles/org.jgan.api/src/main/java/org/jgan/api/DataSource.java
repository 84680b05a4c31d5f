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

    /**
     * The samples {@code from .. from + count - 1} in the dataset's own order (a test split read in order, disjoint
     * halves of a dataset), for finite datasets.
     *
     * @throws UnsupportedOperationException for a distribution sampled afresh each time (the default)
     * @throws IndexOutOfBoundsException     when the range is not within {@code [0, size())}
     * @since 1.5
     */
    default Batch range(long from, int count) {
        throw new UnsupportedOperationException("this dataset has no order to read a range from; it is sampled afresh");
    }
}
