package org.jgan.engine.internal.graph;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Outputs and parameter gradients of a SameDiff graph in one pass, like
 * {@link SameDiff#calculateGradientsAndOutputs}, but with SameDiff's array cache on.
 * <p>
 * ND4J 1.0.0-M2.1's {@code calculateGradientsAndOutputs} switches the cache off for the gradient function, so every
 * intermediate array of every step is a fresh native allocation that is only freed when the Java garbage collector
 * finds it: on the 28x28 DCGAN a third of a step's time went to allocating and first touching memory, and the
 * process grew by about 290 MB per iteration until a collection ran. Executing the gradient function directly keeps
 * the cache on: an intermediate goes back to the cache after its last use in the pass and is reused by the next
 * pass. Requested outputs and gradients stay valid until the next call on the same graph, and callers use or copy
 * them before that. The gradients are ops' outputs, each written by its op before anything reads it on the next call,
 * so a caller may also change them in place (a step adds its own gradients into a penalty's). The gradient function runs as a {@link GraphPlan}: SameDiff's per-op bookkeeping done once.
 */
public final class Backprop {

    /** Outputs by variable name and gradients by parameter name. */
    public record Result(Map<String, INDArray> outputs, Map<String, INDArray> gradients) {
    }

    private Backprop() {
    }

    public static Result run(SameDiff sd, Map<String, INDArray> feed, Collection<String> outputs, Collection<String> params) {
        return run(sd, feed, outputs, params, Set.of());
    }

    /**
     * As {@link #run(SameDiff, Map, Collection, Collection)}, with the values of some forward intermediates fed too
     * ({@code given}; see {@link GraphPlan#output(SameDiff, Map, List, Set)}).
     */
    public static Result run(SameDiff sd, Map<String, INDArray> feed, Collection<String> outputs,
            Collection<String> params, Set<String> given) {
        if (!sd.hasGradientFunction()) {
            sd.createGradFunction();
        }
        List<String> names = new ArrayList<>(outputs);
        Map<String, String> gradientOf = new HashMap<>();
        for (String p : params) {
            SDVariable g = sd.getVariable(p).getGradient();
            if (g != null) {
                // a parameter the loss does not depend on has no gradient variable
                gradientOf.put(p, g.name());
                names.add(g.name());
            }
        }
        SameDiff gradFn = sd.getFunction("grad");
        Map<String, INDArray> all = GraphPlan.output(gradFn, feed, names, given);
        Map<String, INDArray> out = new HashMap<>();
        for (String o : outputs) {
            out.put(o, all.get(o));
        }
        Map<String, INDArray> grads = new HashMap<>();
        gradientOf.forEach((p, g) -> grads.put(p, all.get(g)));
        return new Result(out, grads);
    }
}
