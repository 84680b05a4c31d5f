package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A listener of a model ({@link org.jgan.engine.internal.model.GanModel#listen}, what the benchmarks' per-op profile
 * uses) sees every op a step runs: the player's graph and, in a discriminator step with an input-gradient penalty,
 * the penalty's passes (until 2026-12-03 only the players' graphs, so a profile of a penalized step left out the
 * penalty's ops).
 */
class ListenersTest {

    /** The graphs whose ops ran, by identity, the number of ops and their names in order (other tests count them). */
    static final class Graphs extends BaseListener {
        final Set<SameDiff> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        final List<String> names = new ArrayList<>();
        int ops;

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext context,
                INDArray[] outputs) {
            seen.add(sd);
            names.add(op.getOp().opName());
            ops++;
        }
    }

    private static Graphs discriminatorStep(String regularizers) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "batchSize", "16",
                "architecture.hidden", "8", "metrics", "none", "regularizers", regularizers));
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "listeners");
        try (GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()))) {
            m.discriminatorStep(0, 0);
            Graphs graphs = new Graphs();
            m.listen(graphs);
            m.discriminatorStep(1, 0);
            return graphs;
        }
    }

    @Test
    void aProfileOfAPenalizedStepSeesThePenaltysPasses() {
        Graphs plain = discriminatorStep("");
        assertEquals(1, plain.seen.size(), "graphs of an unpenalized D step");
        Graphs penalized = discriminatorStep("r1");
        // the step's graph, the critic's pass (input gradient), the per-sample penalty, the tangent pass
        assertTrue(penalized.seen.size() >= 4, "graphs of an R1 step: " + penalized.seen.size());
        assertTrue(penalized.ops > plain.ops, "ops of an R1 step " + penalized.ops + ", of a plain one "
                + plain.ops);
    }
}
