package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jgan.engine.internal.memory.ViewCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Roth et al.'s penalty with its two point groups stacked (and the D step's loss carried on its passes) keeps its
 * views of the stacked arrays and of the plan's outputs from step to step ({@link ViewCache}): after four iterations
 * every array of the model (parameters, optimizer state) has the same bits as with every view made anew, and no view
 * was made after the first D step.
 */
class KeptViewsTest {

    @ParameterizedTest(name = "{0}, {1}, loss carried {2}")
    @CsvSource(delimiter = ';', value = {
        "mlp; regularizers=roth; true",
        "mlp; regularizers=roth; false",
        "mlp; regularizers=roth accumulate=2; true",
        "biggan; dataset.classes=4 regularizers=roth,spectral-norm; true"})
    void keptViewsGiveTheStepsOfViewsMadeAnewAndAreMadeOnce(String architecture, String extra, boolean carried) {
        String label = architecture + " " + extra + (carried ? "" : ", loss not carried");
        Run kept = run(architecture, extra, carried, true);
        Run anew = run(architecture, extra, carried, false);
        assertTrue(kept.afterFirst > 0, label + ": the stacked passes took views");
        assertEquals(kept.afterFirst, kept.atEnd, label + ": views made after the first D step (kept: none)");
        assertTrue(anew.atEnd >= 4 * anew.afterFirst, label + ": made anew at every step, " + anew.afterFirst
                + " then " + anew.atEnd);
        assertEquals(anew.arrays.keySet(), kept.arrays.keySet(), label);
        kept.arrays.forEach((name, a) -> assertArrayEquals(anew.arrays.get(name), a, 0f, label + ": " + name));
    }

    private record Run(long afterFirst, long atEnd, Map<String, float[]> arrays) {
    }

    /** Four iterations of the configuration; the views made after the first D step and at the end, every array. */
    private static Run run(String architecture, String extra, boolean carried, boolean keep) {
        boolean before = ViewCache.enable(keep);
        try (GanModel m = StackedCritiquesTest.model(architecture, StackedCritiquesTest.settings(extra))) {
            m.carryLossOnPenalty(carried);
            long afterFirst = 0;
            for (int it = 0; it < 4; it++) {
                m.discriminatorStep(it, 0);
                if (it == 0) {
                    afterFirst = m.viewsMade();
                }
                m.generatorStep(it);
            }
            return new Run(afterFirst, m.viewsMade(), SameSteps.checkpointArrays(m, 4));
        } finally {
            ViewCache.enable(before);
        }
    }
}
