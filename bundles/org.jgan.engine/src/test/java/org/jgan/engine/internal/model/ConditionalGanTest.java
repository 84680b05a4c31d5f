package org.jgan.engine.internal.model;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.api.MixtureModel;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conditional GAN (Mirza and Osindero 2014): with the class label fed to both networks, the generator learns
 * p(x | y). On the 8-Gaussian ring labelled by mode, samples drawn for label k must land on mode k.
 */
class ConditionalGanTest {

    @Test
    void samplesLandOnTheModeOfTheirLabel() {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "dataset.labels", "true",
                "architecture.hidden", "64", "batchSize", "64", "lrG", "1e-3", "lrD", "1e-3", "seed", "5"));
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "cgan");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        GanModel m = new GanModel(spec, data);
        for (int it = 0; it < 300; it++) {
            m.discriminatorStep(it, 0);
            m.generatorStep(it);
        }
        int n = 800;
        long seed = 9;
        INDArray x = m.sample(n, seed);
        double[][] means = ((MixtureModel) data).means();
        int hits = 0;
        for (int i = 0; i < n; i++) {
            int label = i % 8; // sample() gives row i class i mod classes
            int nearest = 0;
            double best = Double.MAX_VALUE;
            for (int k = 0; k < means.length; k++) {
                double d = Math.hypot(x.getDouble(i, 0) - means[k][0], x.getDouble(i, 1) - means[k][1]);
                if (d < best) {
                    best = d;
                    nearest = k;
                }
            }
            hits += nearest == label ? 1 : 0;
        }
        double accuracy = hits / (double) n;
        System.out.printf("conditional ring8: %.3f of samples on their label's mode (chance 0.125)%n", accuracy);
        assertTrue(accuracy > 0.8, "fraction of samples on the mode of their label: " + accuracy);
    }
}
