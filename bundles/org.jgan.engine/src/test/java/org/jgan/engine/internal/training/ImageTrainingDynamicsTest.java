package org.jgan.engine.internal.training;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DCGAN on a few hundred Fashion-MNIST-shaped images (1 x 28 x 28 in [-1, 1]: a fixed pool of blob images) moves
 * its losses and samples the way a working GAN does, and the same checks fail for runs whose generator or
 * discriminator does not learn (learning rate 1e-12: the update rule applies no update), so they are not satisfied
 * by any run that merely executes.
 */
class ImageTrainingDynamicsTest {

    private static final int ITERATIONS = 150;
    /** D's loss at chance: both of its terms are log 2 when D outputs 1/2 everywhere. */
    private static final double LN4 = Math.log(4);

    /** Losses per iteration and how far G's mean image is from the data's, before and after training. */
    record Trace(double[] dLoss, double[] gLoss, double gapBefore, double gapAfter) {
        double meanD(int from, int to) {
            return mean(dLoss, from, to);
        }

        double meanG(int from, int to) {
            return mean(gLoss, from, to);
        }

        private static double mean(double[] v, int from, int to) {
            double s = 0;
            for (int i = from; i < to; i++) {
                s += v[i];
            }
            return s / (to - from);
        }
    }

    static Trace train(String lrG, String lrD) {
        Map<String, String> raw = new HashMap<>(Map.of("architecture", "dcgan", "architecture.channels", "16",
                "dataset", "test-images", "dataset.pool", "300", "batchSize", "32", "latent", "32", "lrG", lrG,
                "lrD", lrD, "beta1", "0.5", "metrics", "none"));
        raw.put("seed", "3");
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "dynamics");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        GanModel m = new GanModel(spec, data);
        INDArray dataMean = data.sample(300, 99).data().mean(0);
        double before = gap(m, dataMean);
        double[] d = new double[ITERATIONS];
        double[] g = new double[ITERATIONS];
        for (int it = 0; it < ITERATIONS; it++) {
            d[it] = m.discriminatorStep(it, 0).get("d_loss");
            g[it] = m.generatorStep(it).get("g_loss");
        }
        Trace t = new Trace(d, g, before, gap(m, dataMean));
        System.out.printf("lrG %s lrD %s: d_loss %.3f -> %.3f (its 20-40 %.3f, last 50 %.3f), g_loss %.3f -> last 50 "
                + "%.3f, mean-image gap %.3f -> %.3f%n", lrG, lrD, d[0], d[ITERATIONS - 1], t.meanD(20, 40),
                t.meanD(ITERATIONS - 50, ITERATIONS), g[0], t.meanG(ITERATIONS - 50, ITERATIONS), before, t.gapAfter());
        return t;
    }

    /** RMS distance between G's mean image over 256 samples and the data's mean image. */
    private static double gap(GanModel m, INDArray dataMean) {
        INDArray mean = m.sample(256, 5).mean(0);
        return mean.sub(dataMean).norm2Number().doubleValue() / Math.sqrt(mean.length());
    }

    /** What a working GAN shows; an empty list when all hold. */
    static List<String> violations(Trace t) {
        List<String> v = new ArrayList<>();
        // D learns to tell data from samples quickly ...
        if (t.meanD(20, 40) > 0.8 * LN4) {
            v.add("D did not learn: mean d_loss over iterations 20-40 is " + t.meanD(20, 40));
        }
        // ... and G, pushed by D's gradient, makes the mean image approach the data's
        if (t.gapAfter() > 0.5 * t.gapBefore()) {
            v.add("G did not approach the data: mean-image gap " + t.gapBefore() + " -> " + t.gapAfter());
        }
        // G keeps up: D does not win outright (d_loss near 0 with g_loss exploding) at the end
        if (t.meanD(ITERATIONS - 50, ITERATIONS) < 0.1 || t.meanG(ITERATIONS - 50, ITERATIONS) > 6) {
            v.add("D won outright: last-50 mean d_loss " + t.meanD(ITERATIONS - 50, ITERATIONS) + ", g_loss "
                    + t.meanG(ITERATIONS - 50, ITERATIONS));
        }
        return v;
    }

    @Test
    void aWorkingGanPassesAndGanWithAFrozenPlayerFails() {
        assertEquals(List.of(), violations(train("2e-4", "2e-4")), "a working DCGAN");
        List<String> frozenG = violations(train("1e-12", "2e-4"));
        assertTrue(frozenG.stream().anyMatch(s -> s.startsWith("G did not approach")), frozenG.toString());
        List<String> frozenD = violations(train("2e-4", "1e-12"));
        assertTrue(frozenD.stream().anyMatch(s -> s.startsWith("D did not learn")), frozenD.toString());
    }
}
