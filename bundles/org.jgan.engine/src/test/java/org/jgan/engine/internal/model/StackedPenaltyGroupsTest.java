package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A gradient penalty with two point groups (Roth et al.'s, on the data batch and on G(z)) whose groups run as one
 * batch where D's rows are independent ({@link GanModel#stackCritiques}) gives the D step the gradients, loss values
 * and penalty values of the same penalty run group by group, step after step, up to float32 rounding: with the D
 * step's loss carried on its passes and without, lazy, with packing, micro-batches, spectral normalization (SAGAN), labels
 * (conditional BigGAN), the ResNet; every D step's evaluation ran stacked. Where D's rows are not independent (DCGAN's
 * batch norm) the groups run on their own.
 */
class StackedPenaltyGroupsTest {

    @ParameterizedTest(name = "{0}, {1}, loss carried {2}")
    @CsvSource(delimiter = ';', value = {
        "mlp; regularizers=roth; true",
        "mlp; regularizers=roth; false",
        "mlp; regularizers=roth regularizer.roth.every=2; true",
        "mlp; regularizers=roth packing=2; true",
        "mlp; regularizers=roth accumulate=2; true",
        "sagan; regularizers=roth,spectral-norm; true",
        "biggan; dataset.classes=4 regularizers=roth,spectral-norm; true",
        "biggan; dataset.classes=4 regularizers=roth; false",
        "resnet; regularizers=roth; true"})
    void aPenaltysPointGroupsStackedGiveTheStepOfEachGroupsOwnPasses(String architecture, String extra,
            boolean carried) {
        Map<String, String> more = StackedCritiquesTest.settings(extra);
        String label = architecture + " " + extra + (carried ? "" : ", loss not carried");
        int steps = 3;
        try (GanModel stacked = StackedCritiquesTest.model(architecture, more);
                GanModel own = StackedCritiquesTest.model(architecture, more)) {
            stacked.carryLossOnPenalty(carried);
            own.carryLossOnPenalty(carried);
            own.stackCritiques(false);
            SameSteps.discriminatorSteps(stacked, own, steps, label,
                    new SameSteps.Tolerance(1e-5, 1e-5, 0, 1e-6, 1e-5));
            // the penalty's evaluations: in gradients() and discriminatorStep() at each iteration where it is due (0
            // and 2 when lazy), in each micro-batch
            long due = 2L * (extra.contains("every=2") ? 2 : steps) * (extra.contains("accumulate=2") ? 2 : 1);
            assertEquals(due, stacked.penaltyGroupsStacked(), label + ": the penalty's evaluations that ran stacked");
            assertEquals(0, own.penaltyGroupsStacked(), label + ": each group on its own");
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(delimiter = ';', value = {
        "dcgan; regularizers=roth",
        "mlp; regularizers=roth architecture.minibatchKernels=4"})
    void groupsRunOnTheirOwnWhereDsRowsAreNotIndependent(String architecture, String extra) {
        try (GanModel m = StackedCritiquesTest.model(architecture, StackedCritiquesTest.settings(extra))) {
            for (int it = 0; it < 2; it++) {
                m.discriminatorStep(it, 0);
            }
            assertEquals(0, m.penaltyGroupsStacked(), architecture + " " + extra);
            assertTrue(Double.isFinite(m.discriminatorStep(2, 0).get("d_roth")), "the penalty ran");
        }
    }
}
