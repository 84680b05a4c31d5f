package org.jgan.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A model whose parameters would not fit in what is left of the memory budget is refused before the parameter that
 * does not fit is allocated, with the estimate in the message, and leaves nothing allocated behind.
 */
class MemoryBudgetTest {

    private static RunSpec ring(String hidden) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", hidden));
        return RunSpec.parse(raw, TestCatalog.create(), "budget");
    }

    @Test
    void parametersOverTheBudgetAreRefusedBeforeAllocation() {
        RunSpec spec = ring("65536");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        int open = GraphMemory.open();
        long before = ProcessMemory.resident();
        // 65536 x 65536 weights are 17 GB as floats: allocating them would take the machine's memory
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GanModel(spec, data, MemoryBudget.of(8L << 30, "a test budget")));
        assertTrue(e.getMessage().matches("the run's parameters with their gradients and optimizer state would take at "
                + "least [0-9.]+ GB \\(reached at parameter '[gd]/[^']+' of shape \\[65536, 65536\\]\\), more than the "
                + "[0-9.]+ GB left of the memory budget \\(8.59 GB: a test budget\\); expected a smaller network \\(e.g. "
                + "architecture.hidden or architecture.channels\\) or a larger budget \\(-Djgan.memoryBudget=...\\)"),
                e.getMessage());
        assertEquals(open, GraphMemory.open(), "graphs of the refused model left open");
        assertTrue(ProcessMemory.resident() - before < 500_000_000L, "the refused model allocated "
                + (ProcessMemory.resident() - before) + " bytes");
    }

    @Test
    void theEstimateCountsWeightsGradientsAndAdamState() {
        RunSpec spec = ring("64");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        try (GanModel model = new GanModel(spec, data, MemoryBudget.of(1L << 40, "a test budget"))) {
            long params = model.parameterCount(org.jgan.api.Side.GENERATOR)
                    + model.parameterCount(org.jgan.api.Side.DISCRIMINATOR);
            // 4 copies of 4 bytes: weight, gradient, Adam's two moments (no EMA in the default run); plus buffers
            long held = model.heldBytes();
            assertTrue(held >= 4 * 3 * params && held <= 4 * 4 * params + 1_000_000, held + " bytes for " + params);
        }
        // a budget smaller than that refuses the same model
        assertThrows(IllegalArgumentException.class, () -> new GanModel(spec, data, MemoryBudget.of(1000, "tiny")));
    }

    @Test
    void anArrayLargerThanNd4jCanHoldIsNamed() {
        RunSpec spec = ring("65536");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GanModel(spec, data, MemoryBudget.UNLIMITED));
        assertTrue(e.getMessage().matches("parameter '[gd]/[^']+' of shape \\[65536, 65536\\] has 4.29e\\+09 elements; "
                + "expected at most 2147483647 \\(the largest ND4J array\\): a smaller network \\(e.g. "
                + "architecture.hidden or architecture.channels\\)"), e.getMessage());
    }
}
