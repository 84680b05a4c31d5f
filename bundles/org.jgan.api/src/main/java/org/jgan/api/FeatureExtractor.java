package org.jgan.api;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A fixed, pretrained network that maps images to feature vectors and class probabilities, registered with
 * {@value GanComponent#NAME}: the stand-in for the Inception network of the Inception score (Salimans et al. 2016)
 * and the Frechet Inception distance (Heusel et al. 2017) where that network cannot be had. Feature-based metrics
 * pick the first extractor that {@linkplain #supports supports} the run's data shape, or the one named in their
 * options, so a dataset with a classifier of its own plugs it in by registering one of these.
 *
 * @since 1.5
 */
@ConsumerType
public interface FeatureExtractor extends GanComponent {

    /** True when this extractor can embed images of {@code shape} ({@code [C, H, W]}, pixels in [-1, 1]). */
    boolean supports(DataShape shape);

    /**
     * Embeds a batch. Deterministic: the same images give the same features.
     *
     * @param images {@code [n, C, H, W]} float32 in [-1, 1], of a supported shape
     * @return features {@code [n, d]} and, when the extractor is a classifier, class probabilities {@code [n, K]}
     *         (rows summing to 1)
     * @throws IllegalArgumentException for an unsupported shape, naming it and what is expected
     */
    Features extract(INDArray images);

    /**
     * The output of {@link #extract}.
     *
     * @param features      {@code [n, d]} float32
     * @param probabilities {@code [n, K]} float32 class probabilities, or {@code null} for an extractor that is not
     *                      a classifier
     */
    record Features(INDArray features, INDArray probabilities) {
        public Features {
            java.util.Objects.requireNonNull(features, "features");
        }
    }
}
