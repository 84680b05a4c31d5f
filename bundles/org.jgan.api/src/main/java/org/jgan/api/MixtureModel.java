package org.jgan.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Implemented by data sources that are isotropic Gaussian mixtures with known modes, so that metrics can count
 * covered modes and high-quality samples.
 */
@ConsumerType
public interface MixtureModel {

    /** Mode means, {@code [modes][features]}. */
    double[][] means();

    /** Standard deviation of every component (isotropic). */
    double stddev();
}
