package org.jgan.metrics.fashion.internal;

import org.jgan.api.DataShape;
import org.jgan.api.FeatureExtractor;
import org.jgan.api.GanName;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.osgi.service.component.annotations.Component;

/**
 * The feature extractor for Fashion-MNIST (Xiao et al. 2017) and other 28 x 28 grey images: the classifier of
 * {@link ClassifierNet} trained within the project on Fashion-MNIST's 60,000 training images (weights shipped in
 * this bundle; {@code gan:classifier train} retrains them). Its 64 penultimate activations are the features, its
 * softmax the class probabilities. It plays the part the Inception network plays for FID and the Inception score on
 * natural images, which cannot be had here.
 */
@Component(service = FeatureExtractor.class)
@GanName("fashion-mnist")
public final class FashionClassifier implements FeatureExtractor {

    private Classifier classifier;

    @Override
    public String description() {
        return "Fashion-MNIST CNN classifier trained in the project: 64 features and 10 class probabilities of "
                + "[1, 28, 28] or (centre-cropped) [1, 32, 32] images";
    }

    @Override
    public boolean supports(DataShape shape) {
        long[] d = shape.dims();
        return d.length == 3 && d[0] == 1 && d[1] == d[2] && (d[1] == 28 || d[1] == 32);
    }

    @Override
    public Features extract(INDArray images) {
        Classifier c;
        synchronized (this) {
            if (classifier == null) {
                classifier = Classifier.shipped();
            }
            c = classifier;
        }
        return c.run(images);
    }
}
