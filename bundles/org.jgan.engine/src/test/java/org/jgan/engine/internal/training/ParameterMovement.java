package org.jgan.engine.internal.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.Predicate;
import org.jgan.api.Side;
import org.jgan.engine.internal.model.GanModel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every parameter a few training steps moved, or whose gradient is zero in exact arithmetic: a bias that reaches
 * the loss only through batch norm (a per-channel constant that the batch mean's subtraction cancels), which float
 * rounding leaves at noise of about 1e-9 that Adam's normalization turns into a step or, where the noise rounds to
 * exactly 0 in every step, not.
 */
final class ParameterMovement {

    /** The largest gradient element of a parameter that did not move, relative to its side's largest one. */
    static final double ZERO_TO_ROUNDING = 1e-6;

    private ParameterMovement() {
    }

    /**
     * Asserts that each {@code param/} array of {@code before} differs in {@code after}, or else that its gradient at
     * {@code iteration} is zero to rounding; {@code exempt} names parameters whose gradient is known to be exactly 0
     * at the start (they are not checked).
     */
    static void assertMoved(GanModel m, long iteration, Map<String, INDArray> before, Map<String, INDArray> after,
            Predicate<String> exempt) {
        Map<String, INDArray> g = null;
        Map<String, INDArray> d = null;
        for (String name : before.keySet()) {
            if (!name.startsWith("param/") || exempt.test(name) || !before.get(name).equals(after.get(name))) {
                continue;
            }
            boolean generator = name.startsWith("param/g/");
            if (generator && g == null) {
                g = m.gradients(Side.GENERATOR, iteration, 0).gradients();
            } else if (!generator && d == null) {
                d = m.gradients(Side.DISCRIMINATOR, iteration, 0).gradients();
            }
            Map<String, INDArray> grads = generator ? g : d;
            INDArray own = grads.get(name.substring("param/".length()));
            assertTrue(own != null, name + " did not change and has no gradient");
            double largest = grads.values().stream().mapToDouble(a -> a.amaxNumber().doubleValue()).max().orElse(0);
            double mine = own.amaxNumber().doubleValue();
            assertTrue(largest > 0 && mine <= ZERO_TO_ROUNDING * largest, name + " did not change, and its gradient "
                    + mine + " is not zero to rounding (the side's largest element " + largest + ")");
        }
    }
}
