package org.jgan.engine.internal.training;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image architectures train through the engine on a tiny image dataset: a few discriminator and generator
 * steps with the non-saturating loss, with and without the R1 penalty, whose first-order evaluation
 * (InputGradientPenalty) must work through convolutions, transposed convolutions, pooling and batch norm.
 */
class ImageArchitecturesTest {

    private static final int ITERATIONS = 3;

    @ParameterizedTest(name = "{0} {1} on {2}x{3}x{3}, regularizers ''{4}''")
    @CsvSource({
        "dcgan,  '',                                          1, 28, r1",
        "dcgan,  '',                                          3, 32, r1",
        "dcgan,  'architecture.norm=none',                    3, 32, r1",
        "dcgan,  'architecture.activation=tanh',              1, 28, ''",
        "dcgan,  'dataset.classes=4',                         1, 28, r1",
        "resnet, '',                                          1, 28, r1",
        "resnet, '',                                          3, 32, ''",
        "resnet, 'architecture.dNorm=batch',                  3, 32, r1",
        "resnet, 'dataset.classes=4',                         3, 32, r1"})
    void trainsAFewStepsAndChangesEveryNetwork(String architecture, String extra, int channels, int size,
            String regularizers) {
        Map<String, String> raw = new HashMap<>(Map.of("architecture", architecture, "architecture.channels", "8",
                "dataset", "test-images", "dataset.size", Integer.toString(size), "dataset.channels",
                Integer.toString(channels), "batchSize", "8", "latent", "16", "loss", "nonsaturating",
                "regularizers", regularizers, "metrics", "none"));
        raw.put("lrG", "1e-3");
        raw.put("lrD", "1e-3");
        if (!extra.isEmpty()) {
            String[] kv = extra.split("=");
            raw.put(kv[0], kv[1]);
        }
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "images");
        GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        Map<String, INDArray> before = m.checkpoint(0).arrays();
        for (int it = 0; it < ITERATIONS; it++) {
            Map<String, Double> d = m.discriminatorStep(it, 0);
            Map<String, Double> g = m.generatorStep(it);
            assertTrue(Double.isFinite(d.get("d_loss")) && Double.isFinite(g.get("g_loss")), d + " " + g);
            if (!regularizers.isEmpty()) {
                assertTrue(d.get("d_r1") > 0 && Double.isFinite(d.get("d_r1")), "R1 value " + d);
            }
        }
        Map<String, INDArray> after = m.checkpoint(ITERATIONS).arrays();
        ParameterMovement.assertMoved(m, ITERATIONS, before, after, name -> false);
        for (String name : List.of("param/g/", "param/d/")) {
            assertTrue(before.keySet().stream().anyMatch(n -> n.startsWith(name)), "no parameters under " + name);
        }
        boolean gBatchNorm = architecture.equals("resnet") || !extra.contains("norm=none");
        if (gBatchNorm) {
            assertTrue(before.keySet().stream().filter(n -> n.startsWith("buffer/g/"))
                    .anyMatch(n -> !before.get(n).equals(after.get(n))), "G's running statistics moved");
        }
        INDArray samples = m.sample(5, 42);
        assertArrayEquals(new long[] {5, channels, size, size}, samples.shape());
        assertTrue(samples.amaxNumber().doubleValue() <= 1, "samples in [-1, 1]");
    }
}
