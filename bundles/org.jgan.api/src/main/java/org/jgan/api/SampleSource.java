package org.jgan.api;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.osgi.annotation.versioning.ProviderType;

/** A trained generator as seen by metrics: draws samples deterministically for a seed. */
@ProviderType
public interface SampleSource {

    /**
     * @param count number of samples
     * @param seed  seed for the latent vectors (and labels)
     * @return {@code [count, dims...]} samples in data space
     */
    INDArray sample(int count, long seed);
}
