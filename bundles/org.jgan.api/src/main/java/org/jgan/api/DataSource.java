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
     * Draws the batch {@link #sample(int, long)} draws for the same size and seed, into the caller's arrays where
     * they can hold it ({@link Batch#write}), so that a training loop that draws a batch at every step keeps its two
     * arrays instead of receiving new ones (each new ND4J array is native memory and native shape information,
     * registered with a deallocator and freed only after a garbage collection). A source that wrote into
     * {@code into} returns it; one that did not returns a new batch and leaves {@code into} as it was. The default
     * returns {@link #sample(int, long)}'s batch. Either way the values are those {@code sample(batchSize, seed)}
     * gives.
     *
     * @param batchSize number of samples, at least 1
     * @param seed      seed of this draw
     * @param into      arrays the caller keeps for batches of {@code batchSize}: data {@code [batchSize, dims...]}
     *                  and, for a dataset with labels, one-hot labels {@code [batchSize, classes]}, float32
     * @return the batch drawn: {@code into} or a new batch
     * @since 1.15
     */
    default Batch sample(int batchSize, long seed, Batch into) {
        return sample(batchSize, seed);
    }

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
