package org.jgan.datasets.mixture.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Map;
import org.jgan.api.Batch;
import org.jgan.api.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** {@code sample(batchSize, seed, into)}: the batch {@code sample(batchSize, seed)} gives, in the caller's arrays. */
class SampleIntoTest {

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theSameBatchInTheCallersArrays(boolean labelled) {
        DataSource ring = MixtureDatasetTest.open(new RingDataset(), Map.of("labels", String.valueOf(labelled)));
        int classes = ring.classes();
        Batch into = new Batch(Nd4j.create(DataType.FLOAT, 48, 2), labelled ? Nd4j.create(DataType.FLOAT, 48, classes)
                : null);
        for (long seed : new long[] {3, 4, 1L << 40}) {
            Batch expected = ring.sample(48, seed);
            Batch got = ring.sample(48, seed, into);
            assertSame(into, got, "written into the arrays given");
            assertArrayEquals(expected.data().data().asFloat(), into.data().data().asFloat(), 0f, "seed " + seed);
            if (labelled) {
                assertArrayEquals(expected.labels().data().asFloat(), into.labels().data().asFloat(), 0f,
                        "labels, seed " + seed);
            }
        }
        // arrays that cannot take the batch: a new one, theirs as they were
        Batch other = new Batch(Nd4j.zeros(DataType.FLOAT, 47, 2), null);
        Batch got = ring.sample(48, 9, other);
        assertNotSame(other, got);
        assertArrayEquals(ring.sample(48, 9).data().data().asFloat(), got.data().data().asFloat(), 0f);
        assertArrayEquals(new float[94], other.data().data().asFloat(), 0f);
    }
}
