package org.jgan.engine.internal.model;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.Side;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradient accumulation: the mean of the gradients of k micro-batches equals the gradient of the whole batch for
 * networks without batch coupling, including input-gradient penalties and input noise drawn per sample.
 */
class GradientAccumulationTest {

    static GanModel model(int accumulate, String regularizers) {
        return model(accumulate, regularizers, 16);
    }

    static GanModel model(int accumulate, String regularizers, int batch) {
        Map<String, String> raw = new HashMap<>(Map.of("architecture", "mlp", "dataset", "ring8", "batchSize",
                Integer.toString(batch),
                "latent", "4", "loss", "nonsaturating", "regularizers", regularizers, "metrics", "none",
                "accumulate", Integer.toString(accumulate), "seed", "5"));
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "acc");
        return new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
    }

    @ParameterizedTest(name = "{0} micro-batches, regularizers ''{1}''")
    @CsvSource({"4, ''", "2, r1", "16, 'instance-noise'", "4, 'r1,instance-noise'"})
    void accumulatedGradientsEqualTheFullBatchGradient(int k, String regularizers) {
        // exact up to float rounding, the R1 penalty's second-order term included (forward-mode tangents through the
        // ReLU discriminator; a central difference, whose step is relative to the longest per-sample step of its
        // (micro-)batch, needed 3e-3 on a tanh discriminator)
        double tolerance = 1e-5;
        GanModel full = model(1, regularizers);
        GanModel micro = model(k, regularizers);
        for (Side side : Side.values()) {
            GanModel.Accumulated a = full.gradients(side, 3, 0);
            GanModel.Accumulated b = micro.gradients(side, 3, 0);
            assertEquals(a.gradients().keySet(), b.gradients().keySet());
            for (String n : a.gradients().keySet()) {
                INDArray ga = a.gradients().get(n);
                INDArray gb = b.gradients().get(n);
                double scale = ga.amaxNumber().doubleValue();
                assertTrue(scale > 0, n + " has a gradient");
                assertEquals(0, ga.sub(gb).amaxNumber().doubleValue(), tolerance * scale + 1e-7, side + " " + n + ", scale " + scale);
            }
            a.losses().forEach((n, v) -> assertEquals(v, b.losses().get(n), tolerance * Math.max(1, Math.abs(v)), n));
        }
    }

    @Test
    void microBatchesDifferFromEachOther() {
        // guards the test above: the micro-batches are really different rows, not k copies of one
        GanModel one = model(1, "");
        GanModel quarter = model(1, "", 4);
        INDArray g16 = one.gradients(Side.DISCRIMINATOR, 3, 0).gradients().values().iterator().next();
        INDArray g4 = quarter.gradients(Side.DISCRIMINATOR, 3, 0).gradients().values().iterator().next();
        assertTrue(g16.sub(g4).amaxNumber().doubleValue() > 1e-6);
    }

    @Test
    void refusesAnAccumulationThatDoesNotDivideTheBatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model(3, ""));
        assertTrue(e.getMessage().contains("'accumulate'") && e.getMessage().contains("batchSize 16"), e.getMessage());
    }

    @Test
    void trainsWithAccumulation() {
        GanModel m = model(4, "r1");
        Map<String, INDArray> before = m.checkpoint(0).arrays();
        Map<String, Double> d = m.discriminatorStep(0, 0);
        Map<String, Double> g = m.generatorStep(0);
        assertTrue(Double.isFinite(d.get("d_loss")) && Double.isFinite(g.get("g_loss")) && d.get("d_r1") > 0);
        Map<String, INDArray> after = m.checkpoint(1).arrays();
        before.keySet().stream().filter(n -> n.startsWith("param/"))
                .forEach(n -> assertTrue(!before.get(n).equals(after.get(n)), n + " changed"));
    }
}
