package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.GradientPenalty;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Side;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.regularizers.internal.R1Penalty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The discriminator step's loss on the data batch carried by R1's passes on the same points, its loss on G(z) by
 * R2's, and its loss on both by Roth et al.'s ({@link GanModel#carryLossOnPenalty}), on DCGAN's discriminator (batch
 * norm), StyleGAN's (minibatch standard deviation, R1), SAGAN's (self-attention, R2) and the ring MLP (Roth et al.'s
 * and Roth et al.'s f-regularizer, whose terms read the logit): the step's gradients, loss values and new running
 * statistics are those of the step whose graph runs D on those points itself (float32 rounding: the same sums, added
 * in another order), and D's forward pass on them runs once instead of twice.
 */
class LossOnPenaltyTest {

    static GanModel model(String architecture, String regularizers, Map<String, String> extra) {
        return model(architecture, regularizers, extra, TestCatalog.create());
    }

    static GanModel model(String architecture, String regularizers, Map<String, String> extra,
            ComponentCatalog catalog) {
        Map<String, String> raw = new HashMap<>(architecture.equals("mlp")
                ? Map.of("architecture", "mlp", "architecture.hidden", "32", "dataset", "ring8", "latent", "8")
                : Map.of("architecture", architecture, "architecture.channels", "4", "dataset", "test-images",
                        "dataset.size", "28", "dataset.channels", "1"));
        raw.putAll(Map.of("batchSize", "16", "regularizers", regularizers, "metrics", "none", "seed", "11"));
        raw.putAll(extra);
        RunSpec spec = RunSpec.parse(raw, catalog, "carry");
        return new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(delimiter = ';', value = {
        "dcgan; r1; ''",
        "dcgan; r1,wgan-gp; ''",
        "dcgan; r1; accumulate=2",
        "dcgan; r1; loss=hinge",
        "dcgan; r1; dataset.classes=4",
        "dcgan; r2; ''",
        "dcgan; r2,wgan-gp; ''",
        "dcgan; r2; accumulate=2",
        "dcgan; r2; loss=hinge",
        "dcgan; r2; dataset.classes=4",
        "dcgan; r1,r2; ''",
        "dcgan; r2,r1; ''",
        "dcgan; r2; regularizer.r2.every=2",
        "stylegan; r1; dataset.size=32 regularizer.r1.every=1",
        "sagan; r2; dataset.size=32",
        "dcgan; roth; ''",
        "dcgan; roth; accumulate=2",
        "dcgan; roth; dataset.classes=4",
        "dcgan; roth,wgan-gp; ''",
        "dcgan; roth; regularizer.roth.every=2",
        "mlp; roth; ''",
        "mlp; roth; accumulate=2",
        "mlp; roth; loss=hinge",
        "mlp; roth-f; loss=fgan"})
    void theStepIsTheSameWithTheLossOnThePenalty(String architecture, String regularizers, String extra) {
        Map<String, String> more = new HashMap<>();
        for (String setting : extra.isEmpty() ? new String[0] : extra.split(" ")) {
            String[] kv = setting.split("=");
            more.put(kv[0], kv[1]);
        }
        try (GanModel carried = model(architecture, regularizers, more);
                GanModel own = model(architecture, regularizers, more)) {
            own.carryLossOnPenalty(false);
            assertTrue(carried.lossRidesOnPenalty(),
                    "R1 on the data batch, R2 on G(z) or Roth et al.'s on both carries the loss");
            assertFalse(own.lossRidesOnPenalty());
            // both trained the same way: the carried model's steps on its own parameters, compared step by step
            // (a hinge loss's output bias can have a gradient of exactly 0: float rounding of a sum of 0; the MLP's
            // output bias under Roth et al.'s penalty sums 32 terms a_j + b_j of about 1/32 each to about 1e-3: float
            // rounding of the terms, about 1e-7, is what the two orders of addition differ by)
            SameSteps.discriminatorSteps(carried, own, 3, architecture + " " + regularizers + " " + extra,
                    new SameSteps.Tolerance(1e-6, 1e-5, 2e-7, 0, 1e-6));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"r1", "r2", "roth"})
    void theDiscriminatorRunsOnceOnThePenaltysPoints(String penalty) {
        try (GanModel carried = model("dcgan", penalty, Map.of()); GanModel own = model("dcgan", penalty, Map.of())) {
            own.carryLossOnPenalty(false);
            List<String> carriedOps = SameSteps.opsOfADiscriminatorStep(carried);
            List<String> ownOps = SameSteps.opsOfADiscriminatorStep(own);
            // (a tangent convolution whose output's adjoint the critic pass gave runs with its weight gradient as
            // one deconv2d_bp)
            Set<String> forward = Set.of("conv2d", "deconv2d_bp");
            long carriedConvs = carriedOps.stream().filter(forward::contains).count();
            long ownConvs = ownOps.stream().filter(forward::contains).count();
            // D has 2 convolutions and G none (transposed ones): own step 2 (D on data) + 2 (D on G(z)) + 2 (the
            // critic pass) + 2 (the tangent pass's tangents) per point group; carried, D on the penalty's points (the
            // data batch for R1, G(z) for R2, both for Roth et al.'s) runs in the critic passes only
            int groups = penalty.equals("roth") ? 2 : 1;
            assertEquals(4 + 4 * groups, ownConvs,
                    penalty + ": forward convolutions in a step that runs D on its points itself");
            assertEquals(4 + 4 * groups - 2 * groups, carriedConvs,
                    penalty + ": forward convolutions in a step whose loss rides on its passes");
            // G's two transposed convolutions run once: in the step's graph, or where R2's critic pass needs G(z)
            // first, alone before it (the step's graph is then given G(z))
            assertEquals(2, ownOps.stream().filter("deconv2d"::equals).count(), penalty + ": G's pass");
            assertEquals(2, carriedOps.stream().filter("deconv2d"::equals).count(), penalty + ": G's pass, carried");
        }
    }

    @Test
    void lazyStepsAndOtherPointsRunTheLossThemselves() {
        // R1 every 2nd step: the steps without it run the graph with D on the data batch (R1's value NaN there)
        try (GanModel lazy = model("dcgan", "r1", Map.of("regularizer.r1.every", "2"));
                GanModel own = model("dcgan", "r1", Map.of("regularizer.r1.every", "2"))) {
            own.carryLossOnPenalty(false);
            assertTrue(lazy.lossRidesOnPenalty());
            for (int it = 0; it < 4; it++) {
                Map<String, Double> a = lazy.discriminatorStep(it, 0);
                Map<String, Double> b = own.discriminatorStep(it, 0);
                assertEquals(it % 2 == 1, Double.isNaN(a.get("d_r1")), "iteration " + it + ": " + a);
                assertEquals(b.get("d_adv"), a.get("d_adv"), 1e-5, "iteration " + it);
                lazy.generatorStep(it);
                own.generatorStep(it);
            }
        }
        // points that are not the data batch as D sees it in the loss, or a term that reads D on it: no carrying
        for (String[] c : List.of(new String[] {"wgan-gp", ""}, new String[] {"r1,instance-noise", ""},
                new String[] {"r1", "packing"}, new String[] {"r1,lecam", ""}, new String[] {"r2,instance-noise", ""},
                new String[] {"r2", "packing"}, new String[] {"r2,lecam", ""})) {
            Map<String, String> extra = c[1].isEmpty() ? Map.of() : Map.of("packing", "2");
            try (GanModel m = model("dcgan", c[0], extra)) {
                assertFalse(m.lossRidesOnPenalty(), c[0] + " " + c[1]);
                m.discriminatorStep(0, 0);
            }
        }
    }

    @Test
    void thePenaltyDueMostOftenCarriesTheLoss() {
        for (String[] c : List.of(new String[] {"r1,r2", "", "r1"}, new String[] {"r2,r1", "", "r2"},
                new String[] {"r1,r2", "regularizer.r1.every", "r2"},
                new String[] {"r1,r2", "regularizer.r2.every", "r1"})) {
            Map<String, String> extra = c[1].isEmpty() ? Map.of() : Map.of(c[1], "16");
            try (GanModel m = model("dcgan", c[0], extra)) {
                assertEquals(c[2], m.lossCarrier(), c[0] + " " + extra);
            }
        }
    }

    @Test
    void withoutPlansTheCarriedStepIsTheSame() {
        // SameDiff's own execution does not take G(z) as given: G runs again in the step's graph, same values
        GraphPlan.enable(false);
        try (GanModel carried = model("dcgan", "r2", Map.of()); GanModel own = model("dcgan", "r2", Map.of())) {
            own.carryLossOnPenalty(false);
            assertTrue(carried.lossRidesOnPenalty(), "R2 carries the loss without plans too");
            GanModel.Accumulated a = carried.gradients(Side.DISCRIMINATOR, 0, 0);
            Map<String, INDArray> ga = SameSteps.copies(a.gradients());
            Map<String, INDArray> b = own.gradients(Side.DISCRIMINATOR, 0, 0).gradients();
            assertEquals(b.keySet(), ga.keySet());
            for (String n : ga.keySet()) {
                double norm = b.get(n).norm2Number().doubleValue();
                double error = ga.get(n).sub(b.get(n)).norm2Number().doubleValue();
                assertTrue(error <= 1e-5 * norm + 1e-8, n + ": |difference| " + error + " of " + norm);
            }
        } finally {
            GraphPlan.enable(true);
        }
    }

    @Test
    void aDiscriminatorWhoseTangentReadsOnlyItsSlopesRunsTheLossItself() {
        // the ReLU MLP: R1's tangent pass skips the backward pass through D's forward pass, which the loss would need;
        // Roth et al.'s term reads the logit in both groups, so its tangent passes run that backward pass anyway
        try (GanModel mlp = model("mlp", "r1", Map.of()); GanModel dcgan = model("dcgan", "r1", Map.of());
                GanModel roth = model("mlp", "roth", Map.of())) {
            assertFalse(mlp.lossRidesOnPenalty(), "the ReLU MLP");
            assertTrue(dcgan.lossRidesOnPenalty(), "DCGAN's discriminator (batch norm)");
            assertEquals("roth", roth.lossCarrier(), "Roth et al.'s penalty on the ReLU MLP");
        }
    }

    /** R1 whose points also read D's features on the data batch (as a feature-space penalty might). */
    static final class FeatureReadingR1 implements GradientPenalty {
        private final R1Penalty r1 = new R1Penalty();

        @Override
        public String description() {
            return "R1 that reads the data batch's features";
        }

        @Override
        public List<OptionSpec> options() {
            return r1.options();
        }

        @Override
        public List<SDVariable> points(RegularizationContext context, Options options) {
            // fails where the graph has no features of the data batch
            context.realCritique().features().name();
            return r1.points(context, options);
        }

        @Override
        public SDVariable perSample(RegularizationContext context, int group, SDVariable logits,
                SDVariable squaredNorm, Options options) {
            return r1.perSample(context, group, logits, squaredNorm, options);
        }
    }

    @Test
    void aComponentReadingMoreOfTheCritiqueKeepsTheStepsOwnPass() {
        ComponentCatalog catalog = TestCatalog.create();
        catalog.add(Kind.PENALTY, "r1-features", new FeatureReadingR1(), "org.jgan.engine.tests", "0");
        try (GanModel m = model("dcgan", "r1-features", Map.of(), catalog);
                GanModel r1 = model("dcgan", "r1", Map.of())) {
            assertTrue(m.lossRidesOnPenalty(), "eligible by its points, until its graph is built");
            // the carried graph's build fails: the step runs with its own pass, and trains as R1 does
            Map<String, Double> a = m.discriminatorStep(0, 0);
            Map<String, Double> b = r1.discriminatorStep(0, 0);
            assertFalse(m.lossRidesOnPenalty(), "after the failed build");
            assertEquals(b.get("d_adv"), a.get("d_adv"), 1e-6, a + " against R1's " + b);
            assertEquals(b.get("d_r1"), a.get("d_r1-features"), 1e-5 * b.get("d_r1"), a + " against R1's " + b);
        }
    }
}
