package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jgan.engine.internal.graph.GraphPlan;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A gradient penalty's tangent pass given the adjoints of its tangents by the critic pass
 * ({@link GanModel#takePenaltyAdjoints}) gives the D step the gradients, loss values and penalty values of the
 * tangent pass computing them by its own backward pass, step after step, up to float32 rounding: ReLU MLPs with
 * Roth et al.'s penalty (the loss carried and not), R1 and WGAN-GP; the WGAN-GP ResNet; DCGAN's discriminator with
 * batch normalization (whose tangent also reads its statistics: the backward pass through them stays); SAGAN with
 * spectral normalization (softmax attention, a smooth op); BigGAN with labels; R3GAN's grouped LeakyReLU network with
 * R1 and R2. The steps took adjoints where they were on and none where off, and on the convolutional discriminators
 * the tangent convolutions ran with their weight gradients as one op; the same steps take fewer ops.
 */
class TangentAdjointsTest {

    /** The kind under which the plan counts a tangent convolution run with its weight gradient. */
    private static final String FUSED = "conv2d+conv2d_bp/deconv2d_bp";

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(delimiter = ';', value = {
        "mlp; regularizers=roth; false",
        "mlp; regularizers=roth carried=false; false",
        "mlp; regularizers=r1; false",
        "mlp; regularizers=wgan-gp loss=wasserstein; false",
        "resnet; regularizers=wgan-gp loss=wasserstein; true",
        "dcgan; regularizers=r1; true",
        "sagan; regularizers=r1; true",
        "sagan; regularizers=r1,spectral-norm; true",
        "biggan; dataset.classes=4 regularizers=roth; true",
        "r3gan; architecture.widths=4 regularizers=r1,r2; true"})
    void adjointsFromTheCriticPassGiveTheStepOfTheTangentPassesOwn(String architecture, String extra,
            boolean convolutions) {
        Map<String, String> more = StackedCritiquesTest.settings(extra.replace(" carried=false", ""));
        boolean carried = !extra.contains("carried=false");
        String label = architecture + " " + extra;
        long fusedBefore = GraphPlan.kernelCalls().getOrDefault(FUSED, 0L);
        try (GanModel taking = StackedCritiquesTest.model(architecture, more);
                GanModel own = StackedCritiquesTest.model(architecture, more)) {
            taking.carryLossOnPenalty(carried);
            own.carryLossOnPenalty(carried);
            own.takePenaltyAdjoints(false);
            SameSteps.discriminatorSteps(taking, own, 3, label, new SameSteps.Tolerance(1e-5, 1e-5, 0, 1e-6, 1e-5));
            assertTrue(taking.penaltyAdjointsTaken() > 0, label + ": adjoints taken from the critic pass");
            assertEquals(0, own.penaltyAdjointsTaken(), label + ": the tangent pass's own backward pass");
            long fused = GraphPlan.kernelCalls().getOrDefault(FUSED, 0L) - fusedBefore;
            if (convolutions) {
                assertTrue(fused > 0, label + ": tangent convolutions with their weight gradients as one op: "
                        + GraphPlan.kernelCalls());
            }
            int fewer = opsOfAStep(taking);
            int all = opsOfAStep(own);
            assertTrue(fewer < all, label + ": ops of a D step, " + fewer + " taking the adjoints, " + all
                    + " computing them");
        }
    }

    /** The ops of the graphs with a backward pass (the step's, the penalties') in one discriminator step. */
    private static int opsOfAStep(GanModel m) {
        ListenersTest.Graphs ops = new ListenersTest.Graphs();
        m.listen(ops);
        m.discriminatorStep(3, 0);
        assertTrue(!ops.names.isEmpty(), "the listener saw the step's passes");
        return ops.names.size();
    }
}
