package org.jgan.engine.internal.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The engine's graph executor ({@link GraphPlan}) against SameDiff's own execution on every architecture's real
 * training graphs, with their presets' losses, regularizers and penalties (spectral norm, orthogonal, lazy R1 with
 * its tangent passes, WGAN-GP, Roth et al.'s regularizer, gradient accumulation, class conditioning): two models
 * built alike train side by side for three iterations, one through plans and one through {@code SameDiff#output},
 * and every loss value, parameter, buffer and optimizer state must be the same bits after each iteration. Three
 * iterations run each graph's plan once to build it and twice more on its bound arrays. Bit for bit with libnd4j's
 * own sums over broadcast axes and convolutions; with the plans' default arithmetic of their own (sums by matrix
 * products, short-patch convolutions in Java), which sums in another order, the losses of the same training agree to
 * float rounding ({@link #ownArithmeticTrainsAsSameDiffToRounding}).
 */
class GraphPlanArchitecturesTest {

    private final boolean ownArithmetic = GraphPlan.ownArithmetic(false);
    private final boolean smallKernels = GraphPlan.smallKernels(true);

    @AfterEach
    void planOn() {
        GraphPlan.enable(true);
        GraphPlan.ownArithmetic(ownArithmetic);
        GraphPlan.smallKernels(smallKernels);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "dcgan            | architecture=dcgan,architecture.channels=8,dataset.size=28",
        "sagan-32         | architecture.channels=8",
        "biggan-fashion   | architecture.channels=8,dataset.classes=4,accumulate=2",
        "stylegan-fashion | architecture.channels=8,regularizer.r1.every=1",
        "stylegan-fashion | architecture.channels=8,architecture.modulation=demodulation,regularizer.r1.every=2",
        "wgan-gp-resnet   | architecture.channels=8,dSteps=2",
        "roth             | architecture=mlp,dataset=ring8,dataset.size=,dataset.channels=,dataset.classes=",
        "wgan-gp          | architecture=mlp,dataset=ring8,dataset.size=,dataset.channels=,dataset.classes="})
    void trainsToTheSameBitsAsSameDiff(String preset, String extra) {
        RunSpec spec = spec(preset, extra);
        GanModel planned = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        GanModel reference = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        long[] before = GraphPlan.calls();
        Map<String, Long> kernels = GraphPlan.kernelCalls();
        try {
            int dSteps = spec.settings().dSteps();
            for (int it = 0; it < 3; it++) {
                long iteration = it;
                for (int k = 0; k < dSteps; k++) {
                    int step = k;
                    assertSameLosses(planned, reference, "D step " + k + " of iteration " + it,
                            m -> m.discriminatorStep(iteration, step));
                }
                assertSameLosses(planned, reference, "G step of iteration " + it, m -> m.generatorStep(iteration));
                assertSameState(planned.checkpoint(it + 1).arrays(), reference.checkpoint(it + 1).arrays(), it);
            }
            long[] after = GraphPlan.calls();
            assertEquals(0, after[1] - before[1], "graphs that fell back to SameDiff's execution");
            assertTrue(after[0] - before[0] >= 6, "graph calls through plans: " + (after[0] - before[0]));
            // ops on small arrays ran in Java (those with libnd4j's bits), which these bits cover
            assertTrue(calls(kernels, "/small") > 0, "kernels on small arrays ran: " + GraphPlan.kernelCalls());
            if (!extra.contains("architecture=mlp")) {
                // the image networks' per-channel ops ran on merged axes, which these bits cover
                assertTrue(calls(kernels, "/merged") > 0, "kernels on merged axes ran: " + GraphPlan.kernelCalls());
            }
        } finally {
            planned.close();
            reference.close();
        }
    }

    /** A preset at 32x32 (28x28 for DCGAN) with 1 channel, batch 4, with the test's settings added or removed. */
    private static RunSpec spec(String preset, String extra) {
        Map<String, String> raw = new HashMap<>(preset.equals("dcgan") ? Map.of() : ModernArchitecturesTest.preset(preset).settings());
        raw.keySet().removeIf(k -> k.startsWith("dataset."));
        raw.putAll(Map.of("dataset", "test-images", "dataset.size", "32", "dataset.channels", "1",
                "dataset.classes", "0", "batchSize", "4", "metrics", "none", "emaStart", "0"));
        for (String kv : extra.split(",")) {
            String[] p = kv.split("=", -1);
            if (p[1].isEmpty()) {
                raw.remove(p[0]);
            } else {
                raw.put(p[0], p[1]);
            }
        }
        return RunSpec.parse(raw, TestCatalog.create(), "plan");
    }

    /**
     * With the plans' default arithmetic of their own (batch norm's layers as two fused kernels each:
     * {@code BatchNormFusion}; sums by matrix products for the gradients of per-channel operands: {@code Broadcasts}; the weight gradient of D's first layer on the 1-channel
     * test images (DCGAN's 4x4, SAGAN's, BigGAN's and StyleGAN's 3x3) as one product over the batch:
     * {@code PatchConv}; the small arrays' sums and matrix products in Java: {@code SmallKernels}; SAGAN's attention's
     * batched products by oneDNN one matrix at a time: {@code BatchedMatmul}; stride-1 convolutions as the
     * backward-data primitive of the flipped kernel: {@code FlippedConv}; StyleGAN's AdaIN as two fused kernels:
     * {@code InstanceNormKernels}; LeakyReLU's slope masks as one op), the same training
     * as through SameDiff to float rounding: the first iteration's losses
     * within 1e-5 of SameDiff's, relative, the next two's within 1e-4 (StyleGAN's 1e-3: {@link #ADAM_NOISE}): a check on the real
     * networks that the kernels are wired in where they belong (a sum over the wrong axes moves batch norm's losses by
     * whole percents from the first step; {@code BroadcastsTest}, {@code PatchConvTest} and {@code SmallKernelsTest}
     * check the kernels themselves). DCGAN at batch 32, so that its batch norms' tensors are large enough to be summed
     * by products.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "dcgan            | architecture=dcgan,architecture.channels=8,dataset.size=28,batchSize=32",
        "sagan-32         | architecture.channels=8",
        "biggan-fashion   | architecture.channels=8,dataset.classes=4",
        "stylegan-fashion | architecture.channels=8,regularizer.r1.every=1",
        // PenaltyBenchmark's MLP
        "roth             | architecture=mlp,dataset=ring8,dataset.size=,dataset.channels=,dataset.classes=,"
                + "architecture.hidden=128,batchSize=64"})
    void ownArithmeticTrainsAsSameDiffToRounding(String preset, String extra) {
        GraphPlan.ownArithmetic(true);
        RunSpec spec = spec(preset, extra);
        GanModel planned = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        GanModel reference = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        Map<String, Long> before = GraphPlan.kernelCalls();
        // D's step runs its stacked graph (not the penalty's passes, as Roth et al.'s every step)
        boolean stacked = planned.critiquesStacked() && !planned.lossRidesOnPenalty();
        double worst = 0;
        try {
            for (int it = 0; it < 3; it++) {
                long iteration = it;
                double bound = it == 0 ? FIRST_ITERATION : preset.startsWith("stylegan") ? ADAM_NOISE : LATER_ITERATIONS;
                worst = Math.max(worst, closeLosses(planned, reference, "D step of iteration " + it,
                        m -> m.discriminatorStep(iteration, 0), bound));
                worst = Math.max(worst, closeLosses(planned, reference, "G step of iteration " + it,
                        m -> m.generatorStep(iteration), bound));
            }
        } finally {
            planned.close();
            reference.close();
        }
        // the dense layers' products above SmallKernels' size (the MLP's hidden layers, DCGAN's projection of z, the
        // attention's matrices one by one) by oneDNN's sgemm on the arrays where they lie, none left to libnd4j
        assertTrue(calls(before, "gemm/sgemm") > 0, "products by sgemm: " + GraphPlan.kernelCalls());
        assertEquals(0, calls(before, "gemm/libnd4j"), "products left to libnd4j: " + GraphPlan.kernelCalls());
        if (stacked) {
            // D on the real and the fake batch stacked (SAGAN's, BigGAN's): the stack, its gradient and the critiques'
            // split as copies
            assertTrue(calls(before, "concat/copies") > 0 && calls(before, "split/copies") > 0,
                    "the batches stacked and the critiques split by copies: " + GraphPlan.kernelCalls());
        }
        if (preset.equals("roth")) {
            // its [64, 128] x [128, 128] layers, forward and backward, in D's and G's steps and the penalty's passes
            assertTrue(calls(before, "matmul/gemm") > 0 && calls(before, "matmul_bp/gemm") > 0,
                    "the MLP's products by Gemm: " + GraphPlan.kernelCalls());
            System.out.printf("%s: largest relative loss difference %.2e%n", preset, worst);
            return;
        }
        if (preset.startsWith("biggan")) {
            // its conditional batch norms, per-sample gain and bias
            assertTrue(calls(before, "batch_norm_train/per-sample") > 0
                    && calls(before, "batch_norm_train_bp/per-sample") > 0,
                    "conditional batch norm's fused kernels ran: " + GraphPlan.kernelCalls());
        }
        if (preset.startsWith("stylegan")) {
            // its AdaIN: instance norm with per-sample styles
            assertTrue(calls(before, "instance_norm_train/per-sample") > 0
                    && calls(before, "instance_norm_train_bp/per-sample") > 0,
                    "AdaIN's fused kernels ran: " + GraphPlan.kernelCalls());
        }
        if (preset.startsWith("stylegan") || preset.equals("dcgan")) {
            // LeakyReLU's slope masks (StyleGAN's G and D, DCGAN's D) as one op
            assertTrue(calls(before, "slope-mask") + calls(before, "slope-mask/small") > 0,
                    "slope masks as one op: " + GraphPlan.kernelCalls());
        }
        if (!preset.startsWith("stylegan")) {
            // their batch norms: DCGAN's in G and D, SAGAN's and BigGAN's in G (BigGAN's last one)
            assertTrue(calls(before, "batch_norm_train") > 0 && calls(before, "batch_norm_train_bp") > 0,
                    "batch norm's fused kernels ran: " + GraphPlan.kernelCalls());
        }
        // their convolutions (DCGAN's strided, the others' 3x3 at stride 1) and the gradients of those past the first
        // layer through oneDNN's primitives, kept between calls (the flipped kernel where oneDNN's binding is absent)
        assertTrue(calls(before, "conv2d/onednn") > 0 && calls(before, "conv2d_bp/onednn") > 0,
                "convolutions and their gradients through OneDnnConv: " + GraphPlan.kernelCalls());
        if (preset.equals("dcgan")) {
            // its generator's transposed convolutions (but the output layer's, to one channel)
            assertTrue(calls(before, "deconv2d/onednn") > 0 && calls(before, "deconv2d_bp/onednn") > 0,
                    "transposed convolutions and their gradients through OneDnnConv: " + GraphPlan.kernelCalls());
        }
        if (preset.startsWith("sagan") || preset.startsWith("biggan")) {
            // G's 3x3 output layer to one channel, stride 1: it and its gradients by products per sample
            assertTrue(calls(before, "conv2d_bp/few-channels") > 0, "the output layer's gradients: "
                    + GraphPlan.kernelCalls());
            assertTrue(calls(before, "conv2d/few-channels") > 0, "the output layer: " + GraphPlan.kernelCalls());
        }
        if (preset.startsWith("sagan")) {
            // its attention's batched products, forward and backward, each a call of oneDNN's matmul over the batch
            assertTrue(calls(before, "matmul/batched") > 0 && calls(before, "matmul_bp/batched") > 0,
                    "the attention's batched products: " + GraphPlan.kernelCalls());
            assertTrue(calls(before, "batched/onednn") >= calls(before, "matmul/batched")
                    + 2 * calls(before, "matmul_bp/batched"), "whole batches by oneDNN: " + GraphPlan.kernelCalls());
            // and its softmax and the softmax's gradient by oneDNN's primitives, made once; the gradient from the
            // softmax's y, which every plan with the gradient computes (the backward primitive alone)
            assertTrue(calls(before, "softmax/onednn") > 0 && calls(before, "softmax_bp/onednn/from-output") > 0,
                    "the attention's softmax by oneDNN: " + GraphPlan.kernelCalls());
            assertEquals(0, calls(before, "softmax_bp/onednn") + calls(before, "softmax_bp/from-output"),
                    "gradients recomputing the softmax, or by ND4J's ops: " + GraphPlan.kernelCalls());
        }
        // the first layer on 1-channel images (DCGAN's 4x4, the others' 3x3) in D's step: its weight gradient alone, by
        // oneDNN's backward-weights primitive where oneDNN has AVX-512 (with AVX2 alone it pads the channel to eight,
        // and PatchConv's product takes it); SAGAN's and BigGAN's 1x1 shortcut from the image by PatchConv's loops
        int isa = org.bytedeco.dnnl.global.dnnl.dnnl_get_effective_cpu_isa();
        int avx512 = org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx512_core;
        if ((isa & avx512) == avx512) {
            assertTrue(calls(before, "conv2d_bp/weights/onednn") > 0, "D's first layer's weight gradient alone by "
                    + "oneDNN: " + GraphPlan.kernelCalls());
        } else {
            assertTrue(calls(before, "conv2d_bp/weights/onednn") == 0 && calls(before, "conv2d_bp/patch") > 0,
                    "D's first layer's weight gradient alone by PatchConv (oneDNN's ISA " + isa + "): "
                    + GraphPlan.kernelCalls());
        }
        if (preset.startsWith("sagan") || preset.startsWith("biggan")) {
            assertTrue(calls(before, "conv2d_bp/patch") > 0, "the 1x1 shortcut's weight gradient by PatchConv: "
                    + GraphPlan.kernelCalls());
        }
        if (!preset.equals("dcgan")) {
            // spectral normalization's products and norms, StyleGAN's mapping network
            assertTrue(calls(before, "matmul/small") > 0 && calls(before, "reduce_sum/small") > 0,
                    "small matrix products and sums in Java ran: " + GraphPlan.kernelCalls());
        }
        System.out.printf("%s: largest relative loss difference %.2e%n", preset, worst);
    }

    /**
     * A bias sum's gradient passed through to its other operand ({@code GraphPlan}'s {@code add_bp} of a sum that
     * broadcasts one operand) changes no bit of real training: with the plans' own arithmetic, two StyleGAN (and
     * StyleGAN2) models train side by side for three iterations, one through plans that pass dL/dz through and one
     * through plans compiled with {@code -Djgan.graph.passThroughToOne=false}, which copy it; their losses, parameters,
     * buffers and optimizer states are the same bits after each iteration, and the first did pass gradients through.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "stylegan-fashion | architecture.channels=8,regularizer.r1.every=1",
        "stylegan-fashion | architecture.channels=8,architecture.modulation=demodulation,regularizer.r1.every=2"})
    void aBiasSumsGradientPassedThroughTrainsToTheSameBits(String preset, String extra) {
        GraphPlan.ownArithmetic(true);
        RunSpec spec = spec(preset, extra);
        GanModel passing = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        GanModel copying = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        long before = GraphPlan.passedThroughToOne();
        try {
            for (int it = 0; it < 3; it++) {
                long iteration = it;
                assertSameBitsCopying(passing, copying, "D step of iteration " + it,
                        m -> m.discriminatorStep(iteration, 0));
                assertSameBitsCopying(passing, copying, "G step of iteration " + it, m -> m.generatorStep(iteration));
                assertSameState(passing.checkpoint(it + 1).arrays(), copying.checkpoint(it + 1).arrays(), it);
            }
        } finally {
            passing.close();
            copying.close();
        }
        assertTrue(GraphPlan.passedThroughToOne() > before, "add_bp of a bias sum passing dL/dz through");
    }

    /** The step on the first model, then on the second with its plans compiled to copy dL/dz: the same losses' bits. */
    private static void assertSameBitsCopying(GanModel passing, GanModel copying, String what,
            Function<GanModel, Map<String, Double>> step) {
        Map<String, Double> a = step.apply(passing);
        String was = System.setProperty("jgan.graph.passThroughToOne", "false");
        Map<String, Double> b;
        try {
            b = step.apply(copying);
        } finally {
            if (was == null) {
                System.clearProperty("jgan.graph.passThroughToOne");
            } else {
                System.setProperty("jgan.graph.passThroughToOne", was);
            }
        }
        assertEquals(b.keySet(), a.keySet(), what);
        for (String n : b.keySet()) {
            assertEquals(Double.doubleToLongBits(b.get(n)), Double.doubleToLongBits(a.get(n)),
                    what + ": " + n + " passing " + a.get(n) + ", copying " + b.get(n));
        }
    }

    /** Calls since {@code before} of the replacement kernels whose kind ends with {@code suffix}. */
    private static long calls(Map<String, Long> before, String suffix) {
        return GraphPlan.kernelCalls().entrySet().stream().filter(e -> e.getKey().endsWith(suffix))
                .mapToLong(e -> e.getValue() - before.getOrDefault(e.getKey(), 0L)).sum();
    }

    /**
     * Relative bounds on the losses' differences: the first iteration's losses differ by float rounding alone (at
     * most 3e-7 measured), later ones by its effects (at most 2.5e-6 measured on DCGAN, SAGAN and BigGAN). StyleGAN's
     * later ones also by Adam's normalization, which moves a parameter by about its learning rate whatever the size of
     * its gradient, so that a gradient element whose float sum cancels to rounding noise moves by plus or minus the
     * learning rate in either execution (with R1 every step and the small arrays' matrix products in Java: 2.9e-5 after
     * G's first update, 2.5e-4 after D's second; its mapping network's products cancel). A kernel wired in where it
     * does not belong moves the first iteration's losses by whole percents.
     */
    private static final double FIRST_ITERATION = 1e-5;
    private static final double LATER_ITERATIONS = 1e-4;
    private static final double ADAM_NOISE = 1e-3;

    /** Runs a step on both models; asserts the losses agree to {@code bound}, relative; returns the largest difference. */
    private static double closeLosses(GanModel planned, GanModel reference, String what,
            Function<GanModel, Map<String, Double>> step, double bound) {
        List<Map<String, Double>> losses = stepBoth(planned, reference, what, step);
        Map<String, Double> a = losses.get(0);
        Map<String, Double> b = losses.get(1);
        double worst = 0;
        for (String n : b.keySet()) {
            double rel = Math.abs(a.get(n) - b.get(n)) / Math.max(1e-3, Math.abs(b.get(n)));
            assertTrue(rel <= bound, what + ": " + n + " planned " + a.get(n) + ", SameDiff " + b.get(n)
                    + " (relative difference " + rel + ", bound " + bound + ")");
            worst = Math.max(worst, rel);
        }
        return worst;
    }

    /**
     * The step on the planned model, then on the reference through SameDiff's execution: their losses (the same
     * names asserted), planned first.
     */
    private static List<Map<String, Double>> stepBoth(GanModel planned, GanModel reference, String what,
            Function<GanModel, Map<String, Double>> step) {
        GraphPlan.enable(true);
        Map<String, Double> a = step.apply(planned);
        GraphPlan.enable(false);
        Map<String, Double> b = step.apply(reference);
        GraphPlan.enable(true);
        assertEquals(b.keySet(), a.keySet(), what);
        return List.of(a, b);
    }

    private static void assertSameLosses(GanModel planned, GanModel reference, String what,
            Function<GanModel, Map<String, Double>> step) {
        List<Map<String, Double>> losses = stepBoth(planned, reference, what, step);
        Map<String, Double> a = losses.get(0);
        Map<String, Double> b = losses.get(1);
        for (String n : b.keySet()) {
            assertEquals(Double.doubleToLongBits(b.get(n)), Double.doubleToLongBits(a.get(n)),
                    what + ": " + n + " planned " + a.get(n) + ", SameDiff " + b.get(n));
        }
    }

    private static void assertSameState(Map<String, INDArray> planned, Map<String, INDArray> reference, int iteration) {
        assertEquals(reference.keySet(), planned.keySet());
        List<String> differ = new ArrayList<>();
        for (String n : reference.keySet()) {
            INDArray r = reference.get(n);
            INDArray p = planned.get(n);
            if (!java.util.Arrays.equals(r.shape(), p.shape()) || r.sub(p).amaxNumber().doubleValue() != 0) {
                differ.add(n);
            }
        }
        assertTrue(differ.isEmpty(), "after iteration " + iteration + ", differ from the reference model's: " + differ);
        assertTrue(reference.keySet().stream().anyMatch(n -> n.startsWith("param/")), "parameters compared");
    }
}
