package org.jgan.metrics.fashion.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.jgan.api.FeatureExtractor.Features;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The classifier with fixed weights, for inference. Thread-safe (one graph, used by one caller at a time). */
final class Classifier {

    /** The shipped weights, trained by {@code gan:classifier train} with its defaults. */
    static final String RESOURCE = "fashion-classifier.bin";

    private final SameDiff graph;

    Classifier(Map<String, INDArray> params) {
        this.graph = ClassifierNet.graph(params);
    }

    /** The weights shipped in this bundle. */
    static Classifier shipped() {
        try (InputStream in = Classifier.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("bundle org.jgan.metrics.fashion lacks its weights " + RESOURCE
                        + "; expected them beside " + Classifier.class.getName());
            }
            return new Classifier(ClassifierNet.read(new java.io.BufferedInputStream(in), RESOURCE));
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Features and probabilities of {@code [n, 1, 28, 28]} or {@code [n, 1, 32, 32]} images in [-1, 1]. */
    synchronized Features run(INDArray images) {
        Map<String, INDArray> out = graph.output(Map.of(ClassifierNet.INPUT, ClassifierNet.fit(images)),
                ClassifierNet.FEATURES, ClassifierNet.PROBABILITIES);
        return new Features(out.get(ClassifierNet.FEATURES).dup(), out.get(ClassifierNet.PROBABILITIES).dup());
    }
}
