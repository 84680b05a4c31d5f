package org.jgan.metrics.fashion.internal;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jgan.api.DataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Not a test: retrains the shipped classifier from Maven, as {@code gan:classifier train} does in the runtime, and
 * writes {@code target/fashion-classifier.bin} with its test accuracy (tag {@code benchmark}, never run by CI):
 * <pre>
 *   mvn -B -pl bundles/org.jgan.metrics.fashion -am -Pbenchmark test -Dtest=ClassifierRetrainRun -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Options as system properties: {@code jgan.classifier.steps}, {@code .batch}, {@code .lr}, {@code .seed}.
 */
@Tag("benchmark")
class ClassifierRetrainRun {

    @Test
    void retrain() throws Exception {
        ClassifierTraining.Settings s = new ClassifierTraining.Settings(
                Integer.getInteger("jgan.classifier.steps", Integer.parseInt(ClassifierCommands.DEFAULTS.get("steps"))),
                Integer.getInteger("jgan.classifier.batch", Integer.parseInt(ClassifierCommands.DEFAULTS.get("batch"))),
                Double.parseDouble(System.getProperty("jgan.classifier.lr", ClassifierCommands.DEFAULTS.get("lr"))),
                Long.getLong("jgan.classifier.seed", Long.parseLong(ClassifierCommands.DEFAULTS.get("seed"))));
        DataSource train = FashionData.open("train");
        DataSource test = FashionData.open("test");
        Map<String, INDArray> params = ClassifierTraining.train(train, s, System.out::println);
        Path out = Path.of("target", Classifier.RESOURCE);
        try (OutputStream os = Files.newOutputStream(out)) {
            ClassifierNet.write(params, os);
        }
        System.out.printf("wrote %s; test accuracy %.4f (%s)%n", out.toAbsolutePath(),
                ClassifierTraining.accuracy(new Classifier(params), test), s);
    }
}
