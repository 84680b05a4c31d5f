package org.jgan.engine.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jgan.api.Side;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Two models of one configuration whose discriminator steps take different routes to the same step (the loss on a
 * penalty's passes or the step's own, D on both batches stacked or on each), compared step by step: the same loss
 * values, gradients and buffer updates, to float rounding, each model then stepping on its own parameters.
 */
final class SameSteps {

    /**
     * How far the routes may differ: a loss value by {@code loss} of its magnitude (at least 1), a gradient by
     * {@code gradient} of its norm plus {@code floor} plus {@code floorOfLargest} of the step's largest gradient norm
     * (a gradient near 0 is a sum of terms that nearly cancel), a buffer by {@code buffer} of its magnitude (at least 1).
     */
    record Tolerance(double loss, double gradient, double floor, double floorOfLargest, double buffer) {
    }

    private SameSteps() {
    }

    /**
     * Asserts that {@code a}'s and {@code b}'s discriminator steps agree for {@code steps} iterations, each model
     * stepping both players after each comparison, and that at least all parameters but one had a nonzero gradient
     * at some step (zero gradients would test nothing).
     */
    static void discriminatorSteps(GanModel a, GanModel b, int steps, String label, Tolerance tolerance) {
        // the parameters with a nonzero gradient at some step (SAGAN's attention scale starts at 0, and its query, key
        // and value weights get their first gradient at the second step)
        Set<String> moved = new TreeSet<>();
        int params = 0;
        for (int it = 0; it < steps; it++) {
            GanModel.Accumulated first = a.gradients(Side.DISCRIMINATOR, it, 0);
            // copies: the second model's pass may reuse arrays of the first's graphs
            Map<String, INDArray> ga = copies(first.gradients());
            Map<String, INDArray> ba = copies(first.buffers());
            Map<String, Double> la = new HashMap<>(first.losses());
            GanModel.Accumulated second = b.gradients(Side.DISCRIMINATOR, it, 0);
            String at = label + ", iteration " + it;
            assertEquals(second.losses().keySet(), la.keySet(), at);
            // (a lazy penalty's value is NaN at the steps it skips)
            second.losses().forEach((n, v) -> assertEquals(v, la.get(n),
                    Double.isNaN(v) ? 0 : tolerance.loss() * Math.max(1, Math.abs(v)), at + ": " + n));
            assertEquals(second.gradients().keySet(), ga.keySet(), at + ": the parameters with gradients");
            params = ga.size();
            double largest = second.gradients().values().stream().mapToDouble(g -> g.norm2Number().doubleValue())
                    .max().orElse(0);
            for (String n : ga.keySet()) {
                INDArray expected = second.gradients().get(n);
                double norm = expected.norm2Number().doubleValue();
                double error = ga.get(n).sub(expected).norm2Number().doubleValue();
                if (norm > 0) {
                    moved.add(n);
                }
                assertTrue(error <= tolerance.gradient() * norm + tolerance.floor()
                        + tolerance.floorOfLargest() * largest, at + ", " + n + ": |difference| " + error + " of "
                        + norm + " (largest gradient " + largest + ")");
            }
            assertEquals(second.buffers().keySet(), ba.keySet(), at + ": the buffers updated");
            for (String n : ba.keySet()) {
                double error = ba.get(n).sub(second.buffers().get(n)).amaxNumber().doubleValue();
                assertTrue(error <= tolerance.buffer() * Math.max(1, second.buffers().get(n).amaxNumber()
                        .doubleValue()), at + ", buffer " + n + ": " + error);
            }
            a.discriminatorStep(it, 0);
            a.generatorStep(it);
            b.discriminatorStep(it, 0);
            b.generatorStep(it);
        }
        assertTrue(moved.size() >= params - 1, label + ": zero gradients test nothing: " + moved.size() + " of "
                + params + " parameters had one");
    }

    /** The names of the ops of the graphs with a backward pass (the step's, a penalty's) in a discriminator step. */
    static List<String> opsOfADiscriminatorStep(GanModel m) {
        m.discriminatorStep(0, 0);
        ListenersTest.Graphs ops = new ListenersTest.Graphs();
        m.listen(ops);
        m.discriminatorStep(1, 0);
        assertTrue(ops.names.contains("conv2d_bp"), "the listener saw the step's passes: " + ops.names);
        return List.copyOf(ops.names);
    }

    /** Every array of the model's checkpoint at {@code iteration} (parameters, optimizer state), as flat copies. */
    static Map<String, float[]> checkpointArrays(GanModel m, long iteration) {
        Map<String, float[]> arrays = new HashMap<>();
        m.checkpoint(iteration).arrays().forEach((n, a) -> arrays.put(n, a.dup().reshape(-1).toFloatVector()));
        return arrays;
    }

    /** Copies of arrays a later pass may overwrite. */
    static Map<String, INDArray> copies(Map<String, INDArray> arrays) {
        Map<String, INDArray> c = new HashMap<>();
        arrays.forEach((k, v) -> c.put(k, v.dup()));
        return c;
    }
}
