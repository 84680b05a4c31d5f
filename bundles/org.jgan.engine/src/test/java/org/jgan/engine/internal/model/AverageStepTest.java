package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.presets.internal.PresetFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The generator average's Java step ({@link AverageStep}) against libnd4j's three ops it replaces, bit for bit, and
 * in models: their averages after several steps have the bits of the same model's with the step off.
 */
class AverageStepTest {

    private static final double[] DECAYS = {0.999, 0.9, 0.5, 1.0 / 3, 0.9999};

    /** What the model ran before: {@code ema.muli(decay).addi(theta.mul(1 - decay))}, on copies. */
    private static INDArray byOps(INDArray average, INDArray param, double decay) {
        return average.dup().muli(decay).addi(param.mul(1 - decay));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 4095, 4096, 4097, 12289, 65536})
    void hasTheBitsOfLibnd4jsOps(int n) {
        Nd4j.getRandom().setSeed(n);
        AverageStep step = new AverageStep();
        INDArray average = Nd4j.randn(DataType.FLOAT, n);
        for (double decay : DECAYS) {
            INDArray param = Nd4j.randn(DataType.FLOAT, n).muli(3);
            INDArray expected = byOps(average, param, decay);
            assertTrue(AverageStep.accepts(average, param));
            step.step(average, param, decay);
            assertArrayEquals(expected.toFloatVector(), average.toFloatVector(), 0f, "decay " + decay);
        }
    }

    @Test
    void readsAndWritesViewsAtTheirOffsets() {
        Nd4j.getRandom().setSeed(5);
        INDArray averages = Nd4j.randn(DataType.FLOAT, 3, 5000);
        INDArray params = Nd4j.randn(DataType.FLOAT, 4, 5000);
        INDArray average = averages.get(NDArrayIndex.point(1), NDArrayIndex.all());
        INDArray param = params.get(NDArrayIndex.point(2), NDArrayIndex.all());
        INDArray others = averages.dup();
        INDArray expected = byOps(average, param, 0.99);
        assertTrue(AverageStep.accepts(average, param));
        new AverageStep().step(average, param, 0.99);
        assertArrayEquals(expected.toFloatVector(), averages.getRow(1).toFloatVector(), 0f);
        assertEquals(others.getRow(0), averages.getRow(0), "the rows around it untouched");
        assertEquals(others.getRow(2), averages.getRow(2), "the rows around it untouched");
    }

    @Test
    void leavesOtherLayoutsAndTypesToLibnd4j() {
        INDArray average = Nd4j.rand(DataType.FLOAT, 6, 4);
        assertFalse(AverageStep.accepts(average, Nd4j.rand(DataType.FLOAT, 4, 6).transpose()), "a transposed view");
        assertFalse(AverageStep.accepts(average, Nd4j.rand(DataType.FLOAT, 'f', 6, 4)), "F order");
        assertFalse(AverageStep.accepts(average.castTo(DataType.DOUBLE), average.castTo(DataType.DOUBLE)), "doubles");
        assertFalse(AverageStep.accepts(average, Nd4j.rand(DataType.FLOAT, 5, 4)), "another length");
        boolean before = AverageStep.enable(false);
        try {
            assertFalse(AverageStep.accepts(average, average.dup()), "switched off");
        } finally {
            AverageStep.enable(before);
        }
    }

    /**
     * The ring MLP's average (2-D weights, biases) and StyleGAN's at 32x32 (its preset: 74 arrays, 4-D convolution
     * weights, styles' dense layers), each of its arrays stepped here at each averaged step.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mlp", "stylegan-fashion"})
    void aModelsAveragesHaveTheBitsOfTheOpsRoute(String network) throws IOException {
        Map<String, String> settings = new HashMap<>(Map.of("architecture.hidden", "16", "batchSize", "32"));
        if (!network.equals("mlp")) {
            settings = new HashMap<>(PresetFiles.named(network).settings());
            settings.keySet().removeIf(k -> k.startsWith("dataset."));
            settings.putAll(Map.of("dataset", "test-images", "dataset.size", "32", "dataset.channels", "1",
                    "batchSize", "4", "metrics", "none"));
        }
        settings.putAll(Map.of("ema", "0.9", "emaStart", "2"));
        long before = AverageStep.steps();
        Map<String, INDArray> java = averagesAfterSteps(settings, true);
        assertFalse(java.isEmpty());
        assertEquals(2L * java.size(), AverageStep.steps() - before, "every array stepped here at both averaged steps");
        long after = AverageStep.steps();
        Map<String, INDArray> ops = averagesAfterSteps(settings, false);
        assertEquals(after, AverageStep.steps(), "switched off, libnd4j's ops ran");
        assertEquals(ops.keySet(), java.keySet());
        java.forEach((n, a) -> assertArrayEquals(ops.get(n).reshape(-1).toFloatVector(), a.reshape(-1).toFloatVector(),
                0f, n));
    }

    /** The EMA arrays of a model after 4 iterations (the last 2 averaged), the Java step on or off. */
    private static Map<String, INDArray> averagesAfterSteps(Map<String, String> settings, boolean java) {
        boolean before = AverageStep.enable(java);
        Nd4j.getRandom().setSeed(11);
        RunSpec spec = RunSpec.parse(settings, TestCatalog.create(), "average");
        try (GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()))) {
            for (int it = 0; it < 4; it++) {
                for (int k = 0; k < spec.settings().dSteps(); k++) {
                    m.discriminatorStep(it, k);
                }
                m.generatorStep(it);
            }
            Map<String, INDArray> ema = new HashMap<>();
            m.checkpoint(4).arrays().forEach((n, a) -> {
                if (n.startsWith(Checkpoint.EMA)) {
                    ema.put(n, a.dup());
                }
            });
            return ema;
        } finally {
            AverageStep.enable(before);
        }
    }
}
