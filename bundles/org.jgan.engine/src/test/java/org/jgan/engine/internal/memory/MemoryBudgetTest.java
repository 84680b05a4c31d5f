package org.jgan.engine.internal.memory;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        // 65536 x 65536 weights are 17 GB as floats, 120 GB counted 7 times: allocating them would take the machine's
        // memory
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GanModel(spec, data, MemoryBudget.of(8L << 30, "a test budget")));
        assertTrue(e.getMessage().matches("the run's parameters with their gradients, optimizer state and copies would take at "
                + "least [0-9.]+ GB \\(reached at parameter '[gd]/[^']+' of shape \\[65536, 65536\\]\\), more than the "
                + "[0-9.]+ GB left of the memory budget \\(8.59 GB: a test budget\\); expected a smaller network \\(e.g. "
                + "architecture.hidden or architecture.channels\\) or a larger budget \\(-Djgan.memoryBudget=...\\)"),
                e.getMessage());
        assertEquals(open, GraphMemory.open(), "graphs of the refused model left open");
        assertTrue(ProcessMemory.resident() - before < 500_000_000L, "the refused model allocated "
                + (ProcessMemory.resident() - before) + " bytes");
    }

    @Test
    void theEstimateCountsEachParameterSevenTimesWithAdam() {
        RunSpec spec = ring("2048");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        long params;
        try (GanModel model = new GanModel(spec, data, MemoryBudget.UNLIMITED)) {
            params = model.parameterCount(org.jgan.api.Side.GENERATOR)
                    + model.parameterCount(org.jgan.api.Side.DISCRIMINATOR);
            // what a model holds between steps: the weights and Adam's two moments (no EMA here), and graph caches
            long held = model.heldBytes();
            assertTrue(held >= 4 * 3 * params && held <= 4 * 4 * params + 1_000_000, held + " bytes for " + params);
        }
        // weight, gradient, Adam's two moments, two update temporaries, the checkpoint's copy: 7 floats each
        long estimate = 7 * 4 * params;
        assertThrows(IllegalArgumentException.class, () -> new GanModel(spec, data,
                MemoryBudget.of(ProcessMemory.resident() + estimate * 8 / 10, "80% of the estimate")));
        new GanModel(spec, data, MemoryBudget.of(ProcessMemory.resident() + estimate * 5 / 4, "125%")).close();
    }

    @Test
    void aRunOverTheBudgetWhileTrainingStopsUnlessReclaimingBringsItBack() {
        MemoryBudget budget = MemoryBudget.of(2_000_000_000L, "a test budget");
        long[] reclaims = {0};
        // under the budget: nothing is reclaimed
        budget.guard("r", 7, 1_900_000_000L, () -> {
            reclaims[0]++;
            return 0;
        });
        assertEquals(0, reclaims[0]);
        // over it, and back under after reclaiming: the run goes on
        budget.guard("r", 7, 2_100_000_000L, () -> {
            reclaims[0]++;
            return 1_500_000_000L;
        });
        assertEquals(1, reclaims[0]);
        // still over after reclaiming: the run stops, saying why
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> budget.guard("r", 7, 2_100_000_000L, () -> 2_050_000_000L));
        assertEquals("the runtime's resident size reached 2.05 GB while run 'r' trained at iteration 7, over the memory "
                + "budget of 2.00 GB: a test budget; the run stops here so that the machine does not run out of memory "
                + "(its last checkpoint is kept); expected a smaller network or batch, fewer runs at once, or a larger "
                + "budget (-Djgan.memoryBudget=...)", e.getMessage());
        MemoryBudget.UNLIMITED.guard("r", 7, Long.MAX_VALUE - 1, () -> {
            throw new AssertionError("an unlimited budget reclaims nothing");
        });
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
