package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A discriminator step that runs D once on the data batch and G(z) stacked, where D's rows are independent
 * ({@link GanModel#stackCritiques}), computes the step of the graph that runs D on each: the same gradients, loss
 * values and buffer updates (spectral normalization's vectors, LeCam's averages), step after step, up to float32
 * rounding, on the ring MLP (a penalty whose points are neither batch, packing, micro-batches, InfoGAN's term on the
 * features of G(z)'s half, LeCam's on both halves' logits), SAGAN (self-attention, spectral normalization), conditional
 * BigGAN, R3GAN, the WGAN-GP ResNet and DCGAN without batch norm (conditional; with a lazy R1 whose steps take the
 * loss on the data batch from its passes and the others stack); D's layers run once per step; where D's rows are not
 * independent (batch norm, minibatch standard deviation or discrimination) the graph runs D on each batch.
 */
class StackedCritiquesTest {

    static GanModel model(String architecture, Map<String, String> extra) {
        RunSpec spec = spec(architecture, extra);
        return new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
    }

    /** The configuration of {@link #model}. */
    static RunSpec spec(String architecture, Map<String, String> extra) {
        Map<String, String> raw = new HashMap<>(architecture.equals("mlp")
                ? Map.of("architecture", "mlp", "architecture.hidden", "32", "dataset", "ring8", "latent", "8")
                : Map.of("architecture", architecture, "dataset", "test-images", "dataset.size", "32",
                        "dataset.channels", "1"));
        if (!architecture.equals("mlp") && !architecture.equals("r3gan")) {
            raw.put("architecture.channels", "4");
        }
        raw.putAll(Map.of("batchSize", "16", "metrics", "none", "seed", "5"));
        raw.putAll(extra);
        return RunSpec.parse(raw, TestCatalog.create(), "stacked");
    }

    /** Settings from {@code key=value} pairs separated by spaces (none for an empty string). */
    static Map<String, String> settings(String extra) {
        Map<String, String> more = new HashMap<>();
        for (String setting : extra.isEmpty() ? new String[0] : extra.split(" ")) {
            String[] kv = setting.split("=");
            more.put(kv[0], kv[1]);
        }
        return more;
    }

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(delimiter = ';', value = {
        "mlp; ''",
        "mlp; loss=hinge",
        "mlp; regularizers=wgan-gp",
        "mlp; packing=2",
        "mlp; accumulate=2",
        "dcgan; architecture.norm=none dataset.classes=4",
        "sagan; ''",
        "sagan; regularizers=spectral-norm regularizer.spectral-norm.networks=both loss=hinge",
        "biggan; dataset.classes=4 loss=hinge regularizers=spectral-norm regularizer.spectral-norm.networks=both",
        "r3gan; architecture.widths=4",
        "mlp; regularizers=infogan latent=8 regularizer.infogan.categorical=4",
        "mlp; regularizers=lecam",
        "dcgan; architecture.norm=none regularizers=r1 regularizer.r1.every=2",
        "resnet; regularizers=wgan-gp loss=wasserstein",
        "dcgan; architecture.norm=none"})
    void theStepIsTheSameWithDOnBothBatchesStacked(String architecture, String extra) {
        Map<String, String> more = settings(extra);
        try (GanModel stacked = model(architecture, more); GanModel own = model(architecture, more)) {
            own.stackCritiques(false);
            assertTrue(stacked.critiquesStacked(), "D's rows are independent: one pass over both batches");
            assertFalse(own.critiquesStacked());
            // float32 rounding: the products sum the same terms in another blocking at twice the batch (a gradient
            // near 0, as the output bias's sum of 2n terms that nearly cancel, within rounding of the step's largest)
            SameSteps.discriminatorSteps(stacked, own, 3, architecture + " " + extra,
                    new SameSteps.Tolerance(1e-5, 1e-5, 0, 1e-6, 1e-5));
        }
    }

    @Test
    void dsLayersRunOncePerStep() {
        // DCGAN without batch norm: D's convolutions are the step's only conv2d (G's are transposed ones)
        try (GanModel stacked = model("dcgan", Map.of("architecture.norm", "none"));
                GanModel own = model("dcgan", Map.of("architecture.norm", "none"))) {
            own.stackCritiques(false);
            List<String> stackedOps = SameSteps.opsOfADiscriminatorStep(stacked);
            List<String> ownOps = SameSteps.opsOfADiscriminatorStep(own);
            long layers = 3;
            assertEquals(2 * layers, ownOps.stream().filter("conv2d"::equals).count(), "D on each batch: " + ownOps);
            assertEquals(layers, stackedOps.stream().filter("conv2d"::equals).count(), "D once: " + stackedOps);
            assertEquals(2 * layers, ownOps.stream().filter("conv2d_bp"::equals).count(), "D's backward passes");
            assertEquals(layers, stackedOps.stream().filter("conv2d_bp"::equals).count(), "D's backward pass");
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(delimiter = ';', value = {
        "dcgan; ''",
        "resnet; architecture.dNorm=batch",
        "stylegan; architecture.wDim=8 architecture.mappingLayers=2",
        "mlp; architecture.minibatchKernels=4"})
    void dOnEachBatchWhereItsRowsAreNotIndependent(String architecture, String extra) {
        try (GanModel m = model(architecture, settings(extra))) {
            assertFalse(m.critiquesStacked(), architecture + " " + extra);
            m.discriminatorStep(0, 0);
        }
    }
}
