package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jgan.engine.internal.graph.InPlace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The penalties' small additions and copies in Java ({@link InPlace}: a penalty's gradients added into the D step's,
 * the head's logits, the stacked groups' coefficients, micro-batches' sums) leave a model's training bit for bit as
 * libnd4j's ops did: after four iterations every array of the model (parameters, optimizer state) has the same bits
 * with the loop on and off, and the loop ran.
 */
class InPlaceStepsTest {

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(delimiter = ';', value = {
        "mlp; regularizers=r1",
        "mlp; regularizers=roth",
        "mlp; regularizers=wgan-gp accumulate=2",
        "dcgan; regularizers=r1"})
    void trainingIsBitForBitThatOfLibnd4jsOps(String architecture, String extra) {
        String label = architecture + " " + extra;
        long before = InPlace.loops();
        Map<String, float[]> java = arraysAfterFourIterations(architecture, extra, true);
        long loops = InPlace.loops() - before;
        assertTrue(loops >= 4, label + ": the loop ran at each D step, " + loops + " times");
        long after = InPlace.loops();
        Map<String, float[]> ops = arraysAfterFourIterations(architecture, extra, false);
        assertEquals(after, InPlace.loops(), label + ": switched off, libnd4j's ops ran");
        assertEquals(ops.keySet(), java.keySet(), label);
        java.forEach((name, a) -> assertArrayEquals(ops.get(name), a, 0f, label + ": " + name));
    }

    private static Map<String, float[]> arraysAfterFourIterations(String architecture, String extra, boolean loop) {
        boolean before = InPlace.enable(loop);
        try (GanModel m = StackedCritiquesTest.model(architecture, StackedCritiquesTest.settings(extra))) {
            for (int it = 0; it < 4; it++) {
                m.discriminatorStep(it, 0);
                m.generatorStep(it);
            }
            return SameSteps.checkpointArrays(m, 4);
        } finally {
            InPlace.enable(before);
        }
    }
}
