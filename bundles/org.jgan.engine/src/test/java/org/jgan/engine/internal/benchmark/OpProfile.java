package org.jgan.engine.internal.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Wall time per op of the graphs it listens to, by op name and by op name with its first output's shape: where a
 * training step's time goes. Ops run on the calling thread (their native kernels use the OpenMP threads), so the
 * time between an op's start and end is its own. It also counts the floating-point operations of the dense ops
 * (convolutions, transposed convolutions, matrix products and their backward passes: 2 per multiply-add) from their
 * arrays' sizes.
 */
final class OpProfile extends BaseListener {

    private final Map<String, long[]> byName = new HashMap<>();
    private final Map<String, long[]> byShape = new HashMap<>();
    private long started;
    private double flops;
    private long denseNanos;

    @Override
    public boolean isActive(Operation operation) {
        return true;
    }

    @Override
    public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext context) {
        started = System.nanoTime();
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext context,
            INDArray[] outputs) {
        long nanos = System.nanoTime() - started;
        String name = op.getOp().opName();
        String shape = outputs == null || outputs.length == 0 || outputs[0] == null ? "[]"
                : Arrays.toString(outputs[0].shape());
        add(byName, name, nanos);
        add(byShape, name + " " + shape, nanos);
        double f = context == null || outputs == null || outputs.length == 0 ? 0
                : flops(name, context.getInputArrays(), outputs[0]);
        if (f > 0) {
            flops += f;
            denseNanos += nanos;
        }
    }

    /**
     * Floating-point operations of a dense op (2 per multiply-add; a backward pass computes the input's and the
     * weights' gradients, twice the forward), 0 for the others. A convolution's weights hold C_in k_h k_w C_out
     * elements whatever their layout, and each output element of a convolution (each input element of a transposed
     * one) meets C_in k_h k_w (C_out k_h k_w) of them.
     */
    static double flops(String op, List<INDArray> in, INDArray out) {
        if (in == null || in.size() < 2 || in.get(0) == null || in.get(1) == null) {
            return 0;
        }
        INDArray x = in.get(0), w = in.get(1), last = in.get(in.size() - 1);
        return switch (op) {
            case "conv2d" -> 2.0 * out.length() * w.length() / out.size(1);
            case "conv2d_bp" -> 4.0 * last.length() * w.length() / last.size(1);
            case "deconv2d" -> 2.0 * x.length() * w.length() / x.size(1);
            case "deconv2d_bp" -> 4.0 * x.length() * w.length() / x.size(1);
            // [M, K] x [K, N] -> [M, N]: K = sqrt(MK KN / MN), whatever is transposed
            case "matmul", "mmul" -> 2.0 * out.length() * Math.sqrt((double) x.length() * w.length() / out.length());
            case "matmul_bp" -> 4.0 * last.length() * Math.sqrt((double) x.length() * w.length() / last.length());
            default -> 0;
        };
    }

    /** Floating-point operations of the dense ops per iteration. */
    double flopsPerIteration(int iterations) {
        return flops / iterations;
    }

    private static void add(Map<String, long[]> table, String key, long nanos) {
        long[] row = table.computeIfAbsent(key, k -> new long[2]);
        row[0] += nanos;
        row[1]++;
    }

    /** The {@code top} rows of both tables, in ms per iteration, and the total of all ops. */
    String report(int iterations, int top) {
        StringBuilder sb = new StringBuilder();
        long total = byName.values().stream().mapToLong(r -> r[0]).sum();
        sb.append(String.format(Locale.ROOT, "ops: %.1f ms per iteration in all; dense ops (convolutions, matrix "
                + "products) %.2f GFLOP per iteration in %.1f ms: %.1f GFLOP/s%n", total / 1e6 / iterations,
                flops / iterations / 1e9, denseNanos / 1e6 / iterations, flops / denseNanos));
        for (Map<String, long[]> table : List.of(byName, byShape)) {
            List<Map.Entry<String, long[]>> rows = new ArrayList<>(table.entrySet());
            rows.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
            for (Map.Entry<String, long[]> e : rows.subList(0, Math.min(top, rows.size()))) {
                sb.append(String.format(Locale.ROOT, "  %7.2f ms %5.1f%% %4d calls  %s%n",
                        e.getValue()[0] / 1e6 / iterations, 100.0 * e.getValue()[0] / total,
                        e.getValue()[1] / iterations, e.getKey()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
