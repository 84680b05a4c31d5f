package org.jgan.engine.internal.penalty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.GradientPenalty;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.memory.GraphMemory;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.regularizers.internal.R1Penalty;
import org.jgan.regularizers.internal.RothJsRegularizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The tangent pass given the discriminator's forward values from the critic pass ({@link Critic#reads}): the
 * forward products and convolutions run once per evaluation instead of twice (on a ReLU MLP and on a DCGAN
 * discriminator with batch normalization, whose tangent reads its forward values), and the gradients are those of
 * the tangent graph computing its own forward pass (SameDiff's execution of it, which ignores given values; the
 * float64 reference for every penalty on every shipped discriminator is {@code PenaltyExactnessTest}'s).
 */
class CriticForwardValuesTest {

    /**
     * @param tangentLayers the fewest layer ops of D's the tangent pass runs: under R1, the MLP's two hidden layers'
     *                      tangents (the output layer's weight gradient reads the tangent of its input and the adjoint
     *                      of its output, which the critic pass gives, so its own tangent is not computed: under Roth
     *                      et al.'s penalty the first-order term's backward pass reads it), DCGAN's two convolutions,
     *                      each with its weight gradient as one op ({@code deconv2d_bp}), its dense output layer's
     *                      tangent not computed either
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"mlp, matmul, 2", "dcgan, conv2d, 2"})
    void theForwardPassRunsOncePerEvaluation(String architecture, String layerOp, int tangentLayers) {
        Map<String, String> settings = architecture.equals("mlp")
                ? Map.of("architecture", "mlp", "architecture.hidden", "32", "dataset", "ring8", "batchSize", "64",
                        "latent", "16", "metrics", "none")
                : Map.of("architecture", "dcgan", "architecture.channels", "4", "dataset", "test-images",
                        "dataset.size", "28", "dataset.channels", "1", "batchSize", "16", "metrics", "none");
        RunSpec spec = RunSpec.parse(settings, TestCatalog.create(), "forward-values");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        try (GanModel m = new GanModel(spec, data)) {
            // trained a little: pre-activations of both signs, batch statistics away from their start
            for (int it = 0; it < 5; it++) {
                m.discriminatorStep(it, 0);
                m.generatorStep(it);
            }
            DataShape shape = data.shape();
            INDArray x = data.sample(spec.settings().batchSize(), 3).data().castTo(DataType.FLOAT);
            Critic plain = Critic.build(GraphScope.Kinks.PLAIN, m.networks(), shape, 0, m.store(),
                    m.discriminatorReparams());
            long layers = plain.sd().getOps().values().stream().filter(o -> o.getOp().opName().equals(layerOp))
                    .count();
            GraphMemory.release(plain.sd());
            assertTrue(layers >= 2, layerOp + " in D: " + layers);
            for (GradientPenalty p : List.of(new R1Penalty(), new RothJsRegularizer())) {
                String name = architecture + ", " + p.getClass().getSimpleName();
                InputGradientPenalty given = penalty(p, m, shape);
                InputGradientPenalty reference = penalty(p, m, shape);
                try {
                    assertTrue(given.reusesForwardPass(), name);
                    given.evaluate(List.of(x), null, 1.0);
                    List<String> ops = new ArrayList<>();
                    given.listen(new BaseListener() {
                        @Override
                        public boolean isActive(Operation operation) {
                            return true;
                        }

                        @Override
                        public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op,
                                OpContext context, INDArray[] outputs) {
                            ops.add(op.getOp().opName());
                        }
                    });
                    InputGradientPenalty.Result r = given.evaluate(List.of(x), null, 1.0);
                    Map<String, INDArray> got = new HashMap<>();
                    r.gradients().forEach((k, v) -> got.put(k, v.dup()));
                    assertTrue(ops.contains(layerOp + "_bp"), name + ": the listener saw the passes: " + ops);
                    // the critic pass's layers and the tangents'; with the forward pass run again, 3 x layers
                    // (R1 on the MLP 8: the last layer's output is not needed there)
                    long forward = ops.stream().filter(o -> o.equals(layerOp) || o.equals("deconv2d_bp")).count();
                    assertTrue(forward >= layers + tangentLayers && forward <= 2 * layers, name + ": forward "
                            + layerOp + " ops in an evaluation, D has " + layers + ": " + ops);
                    GraphPlan.enable(false);
                    Map<String, INDArray> expected = new HashMap<>();
                    double value;
                    try {
                        InputGradientPenalty.Result e = reference.evaluate(List.of(x), null, 1.0);
                        value = e.value();
                        e.gradients().forEach((k, v) -> expected.put(k, v.dup()));
                    } finally {
                        GraphPlan.enable(true);
                    }
                    assertEquals(value, r.value(), 1e-5 * Math.abs(value), name + ": the value");
                    assertEquals(expected.keySet(), got.keySet(), name + ": the parameters with gradients");
                    for (String k : expected.keySet()) {
                        double norm = expected.get(k).norm2Number().doubleValue();
                        double error = got.get(k).sub(expected.get(k)).norm2Number().doubleValue();
                        assertTrue(norm > 0, name + ", " + k + ": a zero gradient tests nothing");
                        // plans sum some reductions in their own order: float32 rounding, not a method's error
                        assertTrue(error <= 1e-4 * norm, name + ", " + k + ": |difference| " + error
                                + " of |gradient| " + norm);
                    }
                } finally {
                    given.release();
                    reference.release();
                }
            }
        }
    }

    private static InputGradientPenalty penalty(GradientPenalty penalty, GanModel m, DataShape shape) {
        ComponentCatalog.Entry entry = new ComponentCatalog.Entry(Kind.PENALTY, "p", penalty, "test", "0");
        RunSpec.RegularizerChoice choice = new RunSpec.RegularizerChoice(entry,
                Options.resolve("penalty", penalty.options(), Map.of()), 1, 1, false, 0.01);
        Networks networks = m.networks();
        return new InputGradientPenalty(choice, 1, networks, shape, 0, m.store(), m.discriminatorReparams());
    }
}
