package org.jgan.metrics.fashion.internal;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.jgan.api.Batch;
import org.jgan.api.DataSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Trains the classifier of {@link ClassifierNet} reproducibly: He-normal initial weights from the seed, Adam (Kingma
 * and Ba 2014), minibatches drawn from the training split with seeds derived from the seed and the step, so the same
 * seed, step count and native build give the same weights.
 */
final class ClassifierTraining {

    /** Hyperparameters of a training. */
    record Settings(int steps, int batchSize, double learningRate, long seed) {
        Settings {
            if (steps < 1 || batchSize < 1 || !(learningRate > 0)) {
                throw new IllegalArgumentException("classifier training: steps " + steps + ", batch " + batchSize
                        + ", lr " + learningRate + "; expected steps >= 1, batch >= 1, lr > 0");
            }
        }
    }

    private ClassifierTraining() {
    }

    /** Trains from the initial weights of {@code settings.seed()}; progress lines go to {@code log}. */
    static Map<String, INDArray> train(DataSource train, Settings settings, Consumer<String> log) {
        Map<String, INDArray> params = ClassifierNet.initial(settings.seed());
        SameDiff sd = ClassifierNet.graph(params);
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(settings.learningRate()))
                .dataSetFeatureMapping(ClassifierNet.INPUT).dataSetLabelMapping(ClassifierNet.LABELS).build());
        sd.setLossVariables(ClassifierNet.LOSS);
        long start = System.nanoTime();
        double recent = 0;
        for (int step = 1; step <= settings.steps(); step++) {
            Batch b = train.sample(settings.batchSize(), settings.seed() * 1_000_003L + step);
            DataSet ds = new DataSet(ClassifierNet.fit(b.data()), b.labels());
            sd.fit(ds);
            if (step % 250 == 0 || step == settings.steps()) {
                recent = sd.output(Map.of(ClassifierNet.INPUT, ds.getFeatures(), ClassifierNet.LABELS, ds.getLabels()),
                        ClassifierNet.LOSS).get(ClassifierNet.LOSS).getDouble(0);
                log.accept(String.format(Locale.ROOT, "step %d/%d  batch loss %.4f  %.1f steps/s", step,
                        settings.steps(), recent, step / ((System.nanoTime() - start) / 1e9)));
            }
        }
        Map<String, INDArray> trained = new LinkedHashMap<>();
        params.keySet().forEach(n -> trained.put(n, sd.getVariable(n.replace('/', '_')).getArr().dup()));
        return trained;
    }

    /** Fraction of {@code data} (read in order, all of it) the classifier labels correctly. */
    static double accuracy(Classifier classifier, DataSource data) {
        if (data.classes() == 0) {
            throw new IllegalArgumentException("classifier accuracy needs a labelled dataset; expected labels=true");
        }
        long n = data.size();
        long correct = 0;
        for (long from = 0; from < n; from += 1000) {
            Batch b = data.range(from, (int) Math.min(1000, n - from));
            INDArray predicted = classifier.run(b.data()).probabilities().argMax(1);
            INDArray truth = b.labels().argMax(1);
            for (int i = 0; i < predicted.length(); i++) {
                if (predicted.getLong(i) == truth.getLong(i)) {
                    correct++;
                }
            }
        }
        return (double) correct / n;
    }
}
