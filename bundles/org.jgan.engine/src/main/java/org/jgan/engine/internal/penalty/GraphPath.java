package org.jgan.engine.internal.penalty;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The ops of a graph between an input and an output, and the shapes its variables take in a probe pass. */
public final class GraphPath {

    private GraphPath() {
    }

    /**
     * The ops that lie on a path from {@code input} to {@code output}, in graph order.
     */
    public static List<SameDiffOp> ops(SameDiff sd, String input, String output) {
        Map<String, SameDiffOp> producer = new HashMap<>();
        for (SameDiffOp op : sd.getOps().values()) {
            if (op.getOutputsOfOp() != null) {
                op.getOutputsOfOp().forEach(o -> producer.put(o, op));
            }
        }
        Set<String> upstream = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(output));
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (upstream.add(v) && producer.containsKey(v)) {
                List<String> in = producer.get(v).getInputsToOp();
                if (in != null) {
                    todo.addAll(in);
                }
            }
        }
        Set<String> dependent = new HashSet<>(Set.of(input));
        List<SameDiffOp> path = new ArrayList<>();
        for (SameDiffOp op : sd.getOps().values()) {
            List<String> in = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
            List<String> out = op.getOutputsOfOp() == null ? List.of() : op.getOutputsOfOp();
            if (in.stream().anyMatch(dependent::contains) && out.stream().anyMatch(upstream::contains)) {
                dependent.addAll(out);
                path.add(op);
            }
        }
        return path;
    }

    /** Shapes of the given variables from one forward run of the graph (a probe). */
    public static Map<String, long[]> shapes(SameDiff sd, Map<String, INDArray> feed, List<String> variables) {
        Map<String, INDArray> values = sd.output(feed, variables.toArray(new String[0]));
        Map<String, long[]> shapes = new HashMap<>();
        values.forEach((k, a) -> shapes.put(k, a.shape()));
        return shapes;
    }
}
