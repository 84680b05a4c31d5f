package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;

/**
 * Batch normalization in training mode as two Java kernels of a {@link GraphPlan} instead of its elementary ops: the
 * layer {@code org.jgan.layers.BatchNorm} writes (Ioffe and Szegedy 2015, over the batch and spatial axes of an NCHW
 * tensor)
 * <pre>
 *   m = mean(x),  c = x - m,  v = mean(c c),  scale = gamma rsqrt(v + eps),  y = x scale + (beta - m scale)
 * </pre>
 * six ops on the full tensor forward, and SameDiff's reverse mode nine more backward ({@code add_bp},
 * {@code multiply_bp} twice, {@code reduce_mean_bp} twice, {@code subtract_bp}, three sums of gradients), each a
 * libnd4j call of 20 to 80 microseconds on {@code [32, 32, 7, 7]}: about 5 ms of the small conv GAN's 12 ms
 * iteration (2-core AMD EPYC), where PyTorch's fused kernels take under 1 ms. ND4J 1.0.0-M2.1's own {@code batchnorm}
 * op cannot stand in: its gradient function cannot be built (the axis is lost when SameDiff clones the graph for it,
 * and {@code BatchNormDerivative} refuses its own six inputs), and a custom op class does not survive that clone.
 * <p>
 * So the plan recognizes the pattern and computes it itself:
 * <ul>
 * <li><b>Forward</b> ({@link #FORWARD}): from x, gamma and beta, the outputs m, v and y: m and v in one pass over x
 * (each position's mean and squared deviations over the batch by Welford's update in float, then combined per
 * channel in double by Chan et al.'s formula: another order than libnd4j's sums, so with
 * {@link GraphPlan#ownArithmetic()} only), y in one more. The running-statistics updates read m and v as before. In
 * a gradient function only together with the backward kernel: where the elementary backward pass runs, it reads
 * the forward intermediates anyway.</li>
 * <li><b>Backward</b> ({@link #BACKWARD}), in a gradient function: from x, m, v, gamma and dL/dy, the gradients of
 * x and of gamma's and beta's {@code [1, C, 1, 1]} reshapes (a graph applying the layer twice, D on data and on
 * samples, sums the two applications' after them), by the closed form of the whole chain,
 * <pre>
 *   r = (v + eps)^-1/2,  dL/dbeta = sum dL/dy,  dL/dgamma = r sum dL/dy (x - m),
 *   dL/dx = gamma r (dL/dy - sum dL/dy / N - (x - m) r^2 sum dL/dy (x - m) / N)
 * </pre>
 * (sums per channel over the N = batch x H x W entries: over the batch in float, then over positions in double):
 * one pass for the sums, one for dL/dx. It stands in only where those three gradients are this layer's alone: every
 * other op that reads x, the statistics or the layer's intermediates (the reshapes included) is either part of the
 * backward pass (reads dL/dy's descendants) or off the loss's path
 * (the running statistics: no gradient). A residual block's shortcut also reads x, so its first batch norm keeps
 * the elementary ops.</li>
 * </ul>
 * Conditional batch norm (BigGAN's {@code ConditionalBatchNorm}: the same ops, with gamma and beta per sample, the
 * {@code [-1, C, 1, 1]} reshapes of {@code [N, C]} tensors linear in a conditioning vector) is recognized too and runs
 * the same two kernels with a gamma and beta row per sample; its backward kernel takes the two sums per sample and
 * channel, giving the gradients of the per-sample reshapes, and weights them by each sample's gamma for dL/dx.
 * <p>
 * Instance norm in the same form with the statistics over H and W alone, per sample and channel (StyleGAN's AdaIN,
 * {@code StyleLayers.adain}: {@code y = (x - m) (gamma rsqrt(v + eps)) + beta} with the styles' per-sample gain and
 * bias) is recognized too ({@link #INSTANCE_FORWARD}, {@link #INSTANCE_BACKWARD}) and runs {@link InstanceNormKernels}.
 * <p>
 * In a penalty's tangent graph the layer's tangent is the whole-layer rule {@code Tangents} writes,
 * {@code y' = (d' - c (mean(c d') (r r))) scale} with {@code d' = x' - mean(x')}: the plan recognizes it beside the
 * layer and runs it, and the reverse pass through the layer and its tangent, as {@link BatchNormTangentKernels}' two
 * kernels, which read x, m, v and gamma alone (plain batch norm; other layers keep the rule's ops). The critic pass
 * (psi and its gradient with respect to the points) is fused as above. {@code BatchNormFusionTest} checks both
 * kernels against float64 references from SameDiff in doubles, {@code BatchNormTangentTest} the tangent's.
 */
public final class BatchNormFusion {

    static final String FORWARD = "batch_norm_train";
    static final String BACKWARD = "batch_norm_train_bp";
    static final String INSTANCE_FORWARD = "instance_norm_train";
    static final String INSTANCE_BACKWARD = "instance_norm_train_bp";

    /** {@code -Djgan.graph.fuse=false}: batch norm runs as its elementary ops (for comparisons). */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.fuse"));

    private BatchNormFusion() {
    }

    /** Turns the fusion on or off for plans made from now on; returns the previous setting (tests, benchmarks). */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /** One layer's forward ops, as {@code BatchNorm.apply} builds them. */
    private record Layer(String x, String gamma, String beta, String gamma4, String beta4, String mean, String var,
            String y, double eps, boolean perSample, boolean instance, Set<String> ops, Set<String> inner,
            String centered, String rsqrt, String scale) {
    }

    /**
     * A batch-norm or instance-norm layer of a graph in the form {@code BatchNorm.apply} (or
     * {@code StyleLayers.adain}) writes it, by the names of its variables: input x, statistics m and v, the
     * centred {@code c = x - m}, {@code r = rsqrt(v + eps)}, gamma's and beta's reshapes, {@code scale = gamma4 r} and
     * output y, the statistics over {@code axes} (0, 2, 3 or 2, 3) keeping their dimensions; {@code ops} the layer's
     * ops, {@code inner} their outputs other than y. For {@link org.jgan.engine.internal.penalty.Tangents}, which gives
     * such a layer the tangent rule of the whole layer.
     */
    public record NormLayer(String x, String mean, String centered, String var, String rsqrt, String gamma4,
            String beta4, String scale, String y, int[] axes, Set<String> ops, Set<String> inner) {
    }

    /** The layers of {@link NormLayer}'s form in a graph, of any floating-point type. */
    public static List<NormLayer> layers(SameDiff sd) {
        Map<String, List<SameDiffOp>> readers = readers(sd);
        Map<String, SameDiffOp> producers = new HashMap<>();
        for (SameDiffOp op : sd.getOps().values()) {
            for (String o : op.getOutputsOfOp()) {
                producers.put(o, op);
            }
        }
        List<NormLayer> found = new ArrayList<>();
        for (SameDiffOp op : sd.getOps().values()) {
            Layer l = match(sd, op, readers, producers, false);
            if (l != null) {
                found.add(new NormLayer(l.x, l.mean, l.centered, l.var, l.rsqrt, l.gamma4, l.beta4, l.scale, l.y,
                        l.instance ? INSTANCE_AXES.clone() : BATCH_AXES.clone(), l.ops, l.inner));
            }
        }
        return found;
    }

    private static Map<String, List<SameDiffOp>> readers(SameDiff sd) {
        Map<String, List<SameDiffOp>> readers = new HashMap<>();
        for (SameDiffOp op : sd.getOps().values()) {
            List<String> in = op.getInputsToOp();
            if (in != null) {
                for (String i : new HashSet<>(in)) {
                    readers.computeIfAbsent(i, k -> new ArrayList<>()).add(op);
                }
            }
        }
        return readers;
    }

    /**
     * Where gamma or beta comes from: a parameter {@code [C]}, or an op's output {@code [R, C]} (R = N: a row per
     * sample; R = 1: one row), its rows known when the kernels are made.
     */
    private record Source(String name, boolean perSample) {
    }

    /**
     * The fused ops standing in for the batch-norm layers of the graph: for each output they compute (y, m, v of a
     * layer; in a gradient function the gradients of x and of gamma's and beta's reshapes), its new producer. Layers
     * with an output among {@code given} stay as they are.
     *
     * @param producers the op producing each variable
     */
    static Map<String, SameDiffOp> producers(SameDiff sd, Map<String, SameDiffOp> producers, Set<String> given) {
        if (!enabled) {
            return Map.of();
        }
        Map<String, List<SameDiffOp>> readers = readers(sd);
        Map<String, SameDiffOp> result = new HashMap<>();
        for (SameDiffOp op : sd.getOps().values()) {
            Layer l = match(sd, op, readers, producers, true);
            if (l == null || tangent(sd, l, readers, producers, given, result)) {
                continue;
            }
            if (given.contains(l.y) || given.contains(l.mean) || given.contains(l.var)) {
                continue;
            }
            String[] grads = gradients(sd, l, readers, producers);
            if (grads != null && Arrays.stream(grads).anyMatch(given::contains)) {
                grads = null;
            }
            if (grads == null && hasGradient(sd, l.y) && producers.containsKey(sd.getGradForVariable(l.y).name())) {
                // a gradient function whose backward pass through the layer stays elementary: it reads the forward
                // intermediates, so the forward ops run anyway
                continue;
            }
            Fused fusedForward = new Fused(false, l.eps, l.perSample, l.instance);
            SameDiffOp forward = op(fusedForward, l.y + "/" + fusedForward.opName(),
                    List.of(l.x, l.gamma, l.beta), List.of(l.y, l.mean, l.var));
            result.put(l.y, forward);
            result.put(l.mean, forward);
            result.put(l.var, forward);
            if (grads != null) {
                Fused fusedBackward = new Fused(true, l.eps, l.perSample, l.instance);
                SameDiffOp backward = op(fusedBackward, l.y + "/" + fusedBackward.opName(),
                        List.of(l.x, l.mean, l.var, l.gamma, grads[0]), List.of(grads[1], grads[2], grads[3]));
                result.put(grads[1], backward);
                result.put(grads[2], backward);
                result.put(grads[3], backward);
            }
        }
        return result;
    }

    /**
     * A penalty's tangent graph: where the layer's tangent is the whole-layer rule that {@code Tangents} writes
     * ({@code d' = x' - mean(x')}, {@code y' = (d' - c (mean(c d') (r r))) scale}) and, in a gradient function, the
     * gradients of x', x, gamma's reshape (and beta's, where the loss reads y too) are the layer's and its tangent's
     * alone, puts {@link BatchNormTangentKernels}' two ops in their place (and the fused forward op for y, m and v
     * where none of them is given). Plain batch norm only (a gain per channel, statistics over axes 0, 2, 3).
     *
     * @return whether it did
     */
    private static boolean tangent(SameDiff sd, Layer l, Map<String, List<SameDiffOp>> readers,
            Map<String, SameDiffOp> producers, Set<String> given, Map<String, SameDiffOp> result) {
        if (l.perSample || l.instance) {
            return false;
        }
        String c = l.centered;
        for (SameDiffOp p : readers.getOrDefault(c, List.of())) {
            List<String> in = p.getInputsToOp();
            if (!"multiply".equals(p.getOp().opName()) || in.size() != 2 || !in.get(0).equals(c)
                    || in.get(1).equals(c)) {
                continue;
            }
            String d = in.get(1);
            SameDiffOp sub = producers.get(d);
            if (sub == null || !"subtract".equals(sub.getOp().opName()) || sub.getInputsToOp().size() != 2) {
                continue;
            }
            String xd = sub.getInputsToOp().get(0);
            SameDiffOp mean = producers.get(sub.getInputsToOp().get(1));
            if (mean == null || !Arrays.equals(meanAxes(mean), BATCH_AXES) || !mean.getInputsToOp().get(0).equals(xd)
                    || sd.getVariable(xd).dataType() != DataType.FLOAT) {
                continue;
            }
            SameDiffOp q = reader(readers, out(p), "reduce_mean", out(p));
            SameDiffOp rr = reader(readers, l.rsqrt, "multiply", l.rsqrt, l.rsqrt);
            if (q == null || !Arrays.equals(meanAxes(q), BATCH_AXES) || rr == null) {
                continue;
            }
            SameDiffOp k = reader(readers, out(q), "multiply", out(q), out(rr));
            SameDiffOp e = k == null ? null : reader(readers, out(k), "multiply", c, out(k));
            SameDiffOp f = e == null ? null : reader(readers, out(e), "subtract", d, out(e));
            SameDiffOp yd = f == null ? null : reader(readers, out(f), "multiply", out(f), l.scale);
            if (yd == null) {
                continue;
            }
            List<SameDiffOp> tangentOps = List.of(mean, sub, p, q, rr, k, e, f, yd);
            Set<String> ops = new HashSet<>(l.ops);
            Set<String> inner = new HashSet<>(l.inner);
            for (SameDiffOp t : tangentOps) {
                ops.add(t.getName());
                inner.addAll(t.getOutputsOfOp());
            }
            inner.remove(out(yd));
            if (tangentOps.stream().anyMatch(t -> given.contains(out(t)))) {
                // (the layer's own values may be given: the kernels read x, m and v alone)
                return false;
            }
            String[] grads = tangentGradients(sd, l, xd, out(yd), ops, inner, readers, producers);
            // the gradients the kernels write must not be given (those they read, dL/dy' and dL/dy, may be: a
            // penalty's tangent pass takes dL/dy' from its critic pass)
            if (grads == null || Arrays.stream(grads, 2, grads.length).filter(Objects::nonNull)
                    .anyMatch(given::contains)) {
                return false;
            }
            boolean primal = grads[1] != null;
            BatchNormTangentKernels.Fused fwd = new BatchNormTangentKernels.Fused(false, false, l.eps);
            SameDiffOp forward = op(fwd, out(yd) + "/" + fwd.opName(), List.of(xd, l.x, l.mean, l.var, l.gamma),
                    List.of(out(yd)));
            result.put(out(yd), forward);
            BatchNormTangentKernels.Fused bwd = new BatchNormTangentKernels.Fused(true, primal, l.eps);
            List<String> bin = new ArrayList<>(List.of(xd, l.x, l.mean, l.var, l.gamma, grads[0]));
            List<String> bout = new ArrayList<>(List.of(grads[2], grads[3], grads[4]));
            if (primal) {
                bin.add(grads[1]);
                bout.add(grads[5]);
            }
            SameDiffOp backward = op(bwd, out(yd) + "/" + bwd.opName(), bin, bout);
            bout.forEach(g -> result.put(g, backward));
            if (!given.contains(l.y) && !given.contains(l.mean) && !given.contains(l.var)) {
                Fused primalForward = new Fused(false, l.eps, false, false);
                SameDiffOp pf = op(primalForward, l.y + "/" + primalForward.opName(),
                        List.of(l.x, l.gamma, l.beta), List.of(l.y, l.mean, l.var));
                result.put(l.y, pf);
                result.put(l.mean, pf);
                result.put(l.var, pf);
            }
            return true;
        }
        return false;
    }

    /**
     * In a gradient function, {dL/dy', dL/dy or null, dL/dx', dL/dx, dL/dgamma4, dL/dbeta4 or null} when the gradients
     * of x', x, gamma4 (and beta4) are the layer's and its tangent's alone, else null. dL/dy and dL/dbeta4 are null
     * where the loss reads y only through the tangent (no gradient flows to beta).
     */
    private static String[] tangentGradients(SameDiff sd, Layer l, String xd, String yd, Set<String> ops,
            Set<String> inner, Map<String, List<SameDiffOp>> readers, Map<String, SameDiffOp> producers) {
        String[] g = new String[6];
        String[] of = {yd, l.y, xd, l.x, l.gamma4, l.beta4};
        for (int i = 0; i < 6; i++) {
            SDVariable v = sd.getGradForVariable(of[i]);
            g[i] = v != null && producers.containsKey(v.name()) ? v.name() : null;
        }
        if (g[0] == null || g[2] == null || g[3] == null || g[4] == null || (g[1] == null) != (g[5] == null)) {
            return null;
        }
        Set<String> downstream = new HashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>();
        todo.add(g[0]);
        if (g[1] != null) {
            todo.add(g[1]);
        }
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (downstream.add(v)) {
                for (SameDiffOp op : readers.getOrDefault(v, List.of())) {
                    todo.addAll(op.getOutputsOfOp());
                }
            }
        }
        Set<String> guarded = new HashSet<>(inner);
        guarded.addAll(List.of(l.x, l.mean, l.var, xd));
        for (String v : guarded) {
            for (SameDiffOp op : readers.getOrDefault(v, List.of())) {
                if (ops.contains(op.getName())) {
                    continue;
                }
                for (String o : op.getOutputsOfOp()) {
                    if (!downstream.contains(o) && hasGradient(sd, o)) {
                        return null;
                    }
                }
            }
        }
        return g;
    }

    private static SameDiffOp op(DynamicCustomOp f, String name, List<String> in, List<String> out) {
        f.setOwnName(name);
        return SameDiffOp.builder().name(name).op(f).inputsToOp(new ArrayList<>(in)).outputsOfOp(new ArrayList<>(out))
                .build();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // the pattern

    /**
     * The layer whose statistics {@code a} (a mean over axes 0, 2, 3 of a rank-4 x: batch norm; over axes 2, 3:
     * instance norm) starts, or null.
     */
    private static Layer match(SameDiff sd, SameDiffOp a, Map<String, List<SameDiffOp>> readers,
            Map<String, SameDiffOp> producers, boolean floatOnly) {
        int[] axes = meanAxes(a);
        boolean instance = Arrays.equals(axes, INSTANCE_AXES);
        if (!instance && !Arrays.equals(axes, BATCH_AXES)) {
            return null;
        }
        String x = a.getInputsToOp().get(0);
        if (floatOnly ? sd.getVariable(x).dataType() != DataType.FLOAT : !sd.getVariable(x).dataType().isFPType()) {
            return null;
        }
        String m = out(a);
        SameDiffOp b = reader(readers, m, "subtract", x, m);
        String c = out(b);
        SameDiffOp cc = reader(readers, c, "multiply", c, c);
        SameDiffOp d = cc == null ? null : reader(readers, out(cc), "reduce_mean", out(cc));
        if (d == null || !Arrays.equals(meanAxes(d), axes)) {
            return null;
        }
        String v = out(d);
        SameDiffOp e = reader(readers, v, "add_scalar", v);
        if (e == null || !(e.getOp() instanceof BaseScalarOp s) || s.getScalarValue() == null) {
            return null;
        }
        double eps = s.getScalarValue().getDouble(0);
        SameDiffOp f = reader(readers, out(e), "rsqrt", out(e));
        if (f == null || !(eps > 0)) {
            return null;
        }
        String r = out(f);
        SameDiffOp g2 = readerWithSecond(readers, r, "multiply");
        Source gamma = g2 == null ? null : source(sd, producers.get(g2.getInputsToOp().get(0)), floatOnly);
        if (gamma == null) {
            return null;
        }
        String scale = out(g2);
        SameDiffOp g1 = producers.get(g2.getInputsToOp().get(0));
        List<SameDiffOp> all = new ArrayList<>(List.of(a, b, cc, d, e, f, g1, g2));
        SameDiffOp i1;
        SameDiffOp j;
        Source beta;
        if (instance) {
            // y = (x - m) scale + beta
            SameDiffOp h = reader(readers, scale, "multiply", c, scale);
            j = h == null ? null : readerWithFirst(readers, out(h), "add");
            i1 = j == null ? null : producers.get(j.getInputsToOp().get(1));
            beta = source(sd, i1, floatOnly);
            all.addAll(Arrays.asList(h, i1, j));
        } else {
            // y = x scale + (beta - m scale)
            SameDiffOp h = reader(readers, scale, "multiply", x, scale);
            SameDiffOp i2 = reader(readers, scale, "multiply", m, scale);
            SameDiffOp i3 = i2 == null ? null : readerWithSecond(readers, out(i2), "subtract");
            i1 = i3 == null ? null : producers.get(i3.getInputsToOp().get(0));
            beta = source(sd, i1, floatOnly);
            j = h == null || beta == null ? null : reader(readers, out(h), "add", out(h), out(i3));
            all.addAll(Arrays.asList(h, i1, i2, i3, j));
        }
        if (j == null || beta == null || beta.perSample() != gamma.perSample()) {
            return null;
        }
        Set<String> ops = new HashSet<>();
        Set<String> inner = new HashSet<>();
        for (SameDiffOp op : all) {
            ops.add(op.getName());
            inner.addAll(op.getOutputsOfOp());
        }
        inner.remove(out(j));
        return new Layer(x, gamma.name(), beta.name(), out(g1), out(i1), m, v, out(j), eps, gamma.perSample(),
                instance, Set.copyOf(ops), Set.copyOf(inner), c, r, scale);
    }

    private static final int[] BATCH_AXES = {0, 2, 3};
    private static final int[] INSTANCE_AXES = {2, 3};

    /** The axes of a {@code reduce_mean} keeping its dimensions, with one input and one output; else null. */
    private static int[] meanAxes(SameDiffOp op) {
        if (!(op.getOp() instanceof BaseReduceOp r) || !"reduce_mean".equals(r.opName()) || !r.isKeepDims()
                || op.getInputsToOp() == null || op.getInputsToOp().size() != 1 || op.getOutputsOfOp().size() != 1) {
            return null;
        }
        int[] dims = r.getDimensions();
        return dims == null ? null : dims.clone();
    }

    /**
     * A float [C] variable (a parameter) reshaped to [1, C, 1, 1] by {@code reshape} (batch norm's gamma and beta), or
     * a float [R, C] op output reshaped to [-1, C, 1, 1] or [1, C, 1, 1] (conditional batch norm's per-sample gain and
     * bias, BigGAN's: R = N), or null.
     */
    private static Source source(SameDiff sd, SameDiffOp reshape, boolean floatOnly) {
        if (reshape == null || !"reshape".equals(reshape.getOp().opName()) || reshape.getInputsToOp().size() != 1
                || !(reshape.getOp() instanceof DynamicCustomOp c)) {
            return null;
        }
        long[] args = c.iArgs();
        long[] shape = args.length > 0 && args[0] == -'c' ? Arrays.copyOfRange(args, 1, args.length) : args;
        String p = reshape.getInputsToOp().get(0);
        SDVariable v = sd.getVariable(p);
        // one channel: a gain per sample only (or a layer of one channel), which the kernels would take for one per
        // channel; more than one can only be x's channels (the graph's broadcast needs them equal)
        if (shape.length != 4 || shape[1] < 2 || shape[2] != 1 || shape[3] != 1
                || (floatOnly ? v.dataType() != DataType.FLOAT : !v.dataType().isFPType())) {
            return null;
        }
        long[] vs = v.getShape();
        if (shape[0] == 1 && v.getVariableType() == VariableType.VARIABLE && vs != null && vs.length == 1
                && vs[0] == shape[1]) {
            return new Source(p, false);
        }
        // an op's output, [R, C] (SameDiff does not always know the shape before the graph runs): the kernels take R
        // from the array, 1 or the batch's size
        boolean rows = shape[0] == -1 || shape[0] == 1;
        return rows && v.getVariableType() == VariableType.ARRAY && (vs == null || vs.length == 2 && vs[1] == shape[1])
                ? new Source(p, true) : null;
    }

    private static String out(SameDiffOp op) {
        return op == null || op.getOutputsOfOp().size() != 1 ? null : op.getOutputsOfOp().get(0);
    }

    /** The one reader of {@code v} that is {@code name} with exactly these inputs, or null. */
    private static SameDiffOp reader(Map<String, List<SameDiffOp>> readers, String v, String name, String... inputs) {
        if (v == null) {
            return null;
        }
        SameDiffOp found = null;
        for (SameDiffOp op : readers.getOrDefault(v, List.of())) {
            if (name.equals(op.getOp().opName()) && List.of(inputs).equals(op.getInputsToOp())
                    && op.getOutputsOfOp().size() == 1) {
                if (found != null) {
                    return null;
                }
                found = op;
            }
        }
        return found;
    }

    /** The one reader of {@code v} that is {@code name} with {@code v} as its first of two inputs, or null. */
    private static SameDiffOp readerWithFirst(Map<String, List<SameDiffOp>> readers, String v, String name) {
        SameDiffOp found = null;
        for (SameDiffOp op : readers.getOrDefault(v, List.of())) {
            List<String> in = op.getInputsToOp();
            if (name.equals(op.getOp().opName()) && in.size() == 2 && in.get(0).equals(v) && !in.get(1).equals(v)
                    && op.getOutputsOfOp().size() == 1) {
                if (found != null) {
                    return null;
                }
                found = op;
            }
        }
        return found;
    }

    /** The one reader of {@code v} that is {@code name} with {@code v} as its second of two inputs, or null. */
    private static SameDiffOp readerWithSecond(Map<String, List<SameDiffOp>> readers, String v, String name) {
        SameDiffOp found = null;
        for (SameDiffOp op : readers.getOrDefault(v, List.of())) {
            List<String> in = op.getInputsToOp();
            if (name.equals(op.getOp().opName()) && in.size() == 2 && in.get(1).equals(v) && !in.get(0).equals(v)
                    && op.getOutputsOfOp().size() == 1) {
                if (found != null) {
                    return null;
                }
                found = op;
            }
        }
        return found;
    }

    /**
     * In a gradient function, {dL/dy, dL/dx, dL/dgamma4, dL/dbeta4} (gamma and beta reshaped to [1, C, 1, 1]) when
     * the last three are the layer's contribution alone, else null.
     */
    private static String[] gradients(SameDiff sd, Layer l, Map<String, List<SameDiffOp>> readers,
            Map<String, SameDiffOp> producers) {
        String[] g = new String[4];
        // gamma's and beta's [1, C, 1, 1] reshapes: a graph that applies the layer twice (D on data and on samples)
        // sums both applications' gradients of gamma and beta after them
        String[] of = {l.y, l.x, l.gamma4, l.beta4};
        for (int i = 0; i < 4; i++) {
            SDVariable v = sd.getGradForVariable(of[i]);
            if (v == null || !producers.containsKey(v.name())) {
                return null;
            }
            g[i] = v.name();
        }
        // the variables downstream of dL/dy: the backward pass from the layer on
        Set<String> downstream = new HashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(g[0]));
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (downstream.add(v)) {
                for (SameDiffOp op : readers.getOrDefault(v, List.of())) {
                    todo.addAll(op.getOutputsOfOp());
                }
            }
        }
        Set<String> guarded = new HashSet<>(l.inner);
        guarded.addAll(List.of(l.x, l.mean, l.var));
        for (String v : guarded) {
            for (SameDiffOp op : readers.getOrDefault(v, List.of())) {
                if (l.ops.contains(op.getName())) {
                    continue;
                }
                for (String o : op.getOutputsOfOp()) {
                    if (!downstream.contains(o) && hasGradient(sd, o)) {
                        // another op on the loss's path reads it: its gradient is not the layer's alone
                        return null;
                    }
                }
            }
        }
        return g;
    }

    private static boolean hasGradient(SameDiff sd, String v) {
        SDVariable var = sd.getVariable(v);
        return var.dataType().isFPType() && sd.getGradForVariable(v) != null;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // the fused ops and their kernels

    /** The op a plan runs for a fused layer: never executed by libnd4j (its kernel is {@link #kernel}). */
    static final class Fused extends DynamicCustomOp {
        final boolean backward;
        final double eps;
        /** Whether gamma and beta are op outputs {@code [R, C]} (R rows, 1 or N) rather than parameters {@code [C]}. */
        final boolean perSample;
        /** Instance norm: statistics per sample and channel (over H and W) rather than per channel. */
        final boolean instance;

        Fused(boolean backward, double eps, boolean perSample, boolean instance) {
            this.backward = backward;
            this.eps = eps;
            this.perSample = perSample;
            this.instance = instance;
        }

        @Override
        public String opName() {
            if (instance) {
                return backward ? INSTANCE_BACKWARD : INSTANCE_FORWARD;
            }
            return backward ? BACKWARD : FORWARD;
        }

        @Override
        public List<LongShapeDescriptor> calculateOutputShape(OpContext oc) {
            List<INDArray> in = oc.getInputArrays();
            long[] x = in.get(0).shape();
            if (x.length != 4) {
                throw new IllegalStateException(opName() + ": input of rank 4 expected, got " + Arrays.toString(x));
            }
            // forward: y, m, v (per channel; instance norm: per sample and channel); backward: dL/dx and the
            // gradients of gamma's and beta's reshapes (a row per row of gamma)
            long[] stat = {backward ? rows(in.get(3), x) : instance ? x[0] : 1, x[1], 1, 1};
            return List.of(LongShapeDescriptor.fromShape(x, DataType.FLOAT),
                    LongShapeDescriptor.fromShape(stat, DataType.FLOAT), LongShapeDescriptor.fromShape(stat, DataType.FLOAT));
        }

        /**
         * Rows of gamma (and beta): 1 for a per-channel parameter, else the array's, which must be 1 or the batch's
         * size (as the layer's product broadcasts them).
         */
        int rows(INDArray gamma, long[] x) {
            if (!perSample) {
                return 1;
            }
            long rows = gamma.length() / x[1];
            if (rows * x[1] != gamma.length() || rows != 1 && rows != x[0]) {
                throw new IllegalStateException(opName() + ": gamma of " + gamma.length() + " elements for "
                        + x[1] + " channels and a batch of " + x[0] + ": one row or a row per sample expected");
            }
            return (int) rows;
        }

        /** The kernel writing {@code out}; the outputs nothing reads are not written. */
        Replacements.Kernel kernel(INDArray[] in, INDArray[] out, boolean[] unread) {
            for (INDArray a : out) {
                if (!PatchConv.dense(a)) {
                    throw new IllegalStateException(opName() + ": output not dense");
                }
            }
            long[] s = in[0].shape();
            int n = Math.toIntExact(s[0]);
            int c = Math.toIntExact(s[1]);
            int hw = Math.toIntExact(s[2] * s[3]);
            int rows = rows(in[backward ? 3 : 1], s);
            if (!backward && in[2].length() != in[1].length()) {
                throw new IllegalStateException(opName() + ": beta of " + in[2].length() + " elements, gamma of "
                        + in[1].length());
            }
            if (instance) {
                return backward ? new InstanceNormKernels.Backward(n, c, hw, eps, rows, out, unread)
                        : new InstanceNormKernels.Forward(n, c, hw, eps, rows, out);
            }
            return backward ? new Backward(n, c, hw, eps, rows, out, unread) : new Forward(n, c, hw, eps, rows, out);
        }
    }

    /**
     * Work arrays of the kernels on the calling thread, grown to the largest layer seen: a plan runs on one thread at
     * a time and its kernels do not nest, so the layers of all plans on a thread share them.
     */
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[16][0]);

    /**
     * Both kernels' passes: one sample's {@code [C, H, W]} block at a time is copied out of the buffer, and the sums
     * per channel are first taken over the batch element by element ({@code acc[j] += ...}: loops HotSpot's C2
     * vectorizes, where a running sum in one variable stays scalar), then over each channel's H x W positions in
     * double. ({@link BatchNormTangentKernels}' kernels too.)
     */
    abstract static class Passes implements Replacements.Kernel {
        final int n;
        final int c;
        final int hw;
        final int size;
        final double eps;
        final double count;
        final float[] small;
        /** Rows of gamma and beta: the batch's size where they are per sample, else 1 (see {@link Fused#rows}). */
        final int rows;

        Passes(int n, int c, int hw, double eps, int rows) {
            this.n = n;
            this.c = c;
            this.hw = hw;
            this.size = Math.multiplyExact(c, hw);
            this.eps = eps;
            this.count = (double) n * hw;
            this.rows = rows;
            small = new float[c];
        }

        /** The thread's work arrays, each at least one block long. */
        final float[][] work() {
            float[][] w = WORK.get();
            if (w[0].length < size) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = new float[size];
                }
            }
            return w;
        }

        /** A per-channel input ([C] or [1, C, 1, 1]) into {@code dst}. */
        final void channels(INDArray a, float[] dst) {
            INDArray r = PatchConv.readable(a);
            if (r.length() != c) {
                throw new IllegalStateException("per-channel array of " + c + " elements expected, got " + r.length());
            }
            FloatBuffer b = r.data().asNioFloat();
            b.get(b.position(), dst, 0, c);
            Reference.reachabilityFence(r);
        }

        /**
         * Gamma or beta, {@link #rows} x C: per channel ([C], [1, C] or [1, C, 1, 1]) or per sample ([N, C]), into
         * dst.
         */
        final void gains(INDArray a, float[] dst) {
            INDArray r = PatchConv.readable(a);
            if (r.length() != (long) rows * c) {
                throw new IllegalStateException((rows == 1 ? "per-channel" : "per-sample") + " array of "
                        + rows * c + " elements expected, got " + r.length());
            }
            FloatBuffer b = r.data().asNioFloat();
            b.get(b.position(), dst, 0, rows * c);
            Reference.reachabilityFence(r);
        }

        static void write(INDArray a, float[] src) {
            FloatBuffer b = a.data().asNioFloat();
            b.put(b.position(), src, 0, src.length);
        }

        /** Each channel's value over its H x W positions of a block, so that the loops run flat over the block. */
        final void spread(float[] perChannel, float[] dst) {
            spread(perChannel, 0, dst);
        }

        /** The same for the C values from {@code from} on (one sample's row). */
        final void spread(float[] values, int from, float[] dst) {
            for (int ch = 0, at = 0; ch < c; ch++, at += hw) {
                Arrays.fill(dst, at, at + hw, values[from + ch]);
            }
        }

        /** The per-channel sums of {@code acc}'s first block, in double. */
        final void channelSums(float[] acc, double[] dst) {
            for (int ch = 0, at = 0; ch < c; ch++, at += hw) {
                double s = 0;
                for (int i = at; i < at + hw; i++) {
                    s += acc[i];
                }
                dst[ch] = s;
            }
        }

        /**
         * The per-channel sums of one block into {@code dst} from {@code to} on, in double, by four running sums (one
         * sum's chain of dependent additions took 2.5 ms a call on {@code [32, 32, 32, 32]}).
         */
        final void blockSums(float[] block, double[] dst, int to) {
            for (int ch = 0, at = 0; ch < c; ch++, at += hw) {
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                int i = at;
                for (int end = at + hw - 3; i < end; i += 4) {
                    s0 += block[i];
                    s1 += block[i + 1];
                    s2 += block[i + 2];
                    s3 += block[i + 3];
                }
                for (; i < at + hw; i++) {
                    s0 += block[i];
                }
                dst[to + ch] = (s0 + s1) + (s2 + s3);
            }
        }
    }

    /** Inputs x, gamma, beta; outputs y, m, v. */
    private static final class Forward extends Passes {
        private final INDArray[] out;
        private final double[] mean;
        private final double[] squares;
        private final float[] meanF;
        private final float[] scale;
        private final float[] shift;

        Forward(int n, int c, int hw, double eps, int rows, INDArray[] out) {
            super(n, c, hw, eps, rows);
            this.out = out;
            mean = new double[c];
            squares = new double[c];
            meanF = new float[c];
            scale = new float[rows * c];
            shift = new float[rows * c];
        }

        @Override
        public void run(INDArray[] in) {
            float[][] w = work();
            float[] block = w[0];
            float[] acc = w[1];
            INDArray xa = PatchConv.readable(in[0]);
            FloatBuffer x = xa.data().asNioFloat();
            int x0 = x.position();
            // one pass: each position's mean and sum of squared deviations over the batch (Welford's update, flat
            // loops over a sample's block), then each channel's from its positions' (Chan et al.'s combination)
            float[] m2 = w[2];
            x.get(x0, acc, 0, size);
            Arrays.fill(m2, 0, size, 0f);
            for (int s = 1; s < n; s++) {
                x.get(x0 + s * size, block, 0, size);
                float inv = 1f / (s + 1);
                for (int i = 0; i < size; i++) {
                    float d = block[i] - acc[i];
                    acc[i] += d * inv;
                    m2[i] += d * (block[i] - acc[i]);
                }
            }
            channelSums(acc, mean);
            for (int ch = 0, at = 0; ch < c; ch++, at += hw) {
                double mc = mean[ch] / hw;
                double between = 0;
                double within = 0;
                for (int i = at; i < at + hw; i++) {
                    double d = acc[i] - mc;
                    between += d * d;
                    within += m2[i];
                }
                meanF[ch] = (float) mc;
                squares[ch] = within + n * between;
            }
            gains(in[1], scale);
            gains(in[2], shift);
            for (int ch = 0; ch < c; ch++) {
                double v = squares[ch] / count;
                double root = Math.sqrt(v + eps);
                for (int at = ch; at < rows * c; at += c) {
                    double sc = scale[at] / root;
                    shift[at] = (float) (shift[at] - meanF[ch] * sc);
                    scale[at] = (float) sc;
                }
                small[ch] = (float) v;
            }
            write(out[1], meanF);
            write(out[2], small);
            FloatBuffer y = out[0].data().asNioFloat();
            int y0 = y.position();
            float[] as = w[2];
            float[] bs = w[3];
            for (int s = 0; s < n; s++) {
                if (s < rows) {
                    spread(scale, s * c, as);
                    spread(shift, s * c, bs);
                }
                x.get(x0 + s * size, block, 0, size);
                for (int i = 0; i < size; i++) {
                    block[i] = block[i] * as[i] + bs[i];
                }
                y.put(y0 + s * size, block, 0, size);
            }
            Reference.reachabilityFence(xa);
        }
    }

    /**
     * Inputs x, m, v, gamma, dL/dy; outputs dL/dx and the gradients of gamma's and beta's reshapes (those read). With
     * gamma per sample (conditional batch norm) the two sums are taken per sample and channel, so that
     * {@code dL/dgamma[n, c] = r sum_hw dL/dy (x - m)} and {@code dL/dbeta[n, c] = sum_hw dL/dy}, and dL/dx's sums
     * weight each sample's by its gamma: {@code dL/dx = r (gamma dL/dy - S1 / N - (x - m) r^2 S2 / N)} with
     * {@code S1 = sum_n gamma sum_hw dL/dy}, {@code S2 = sum_n gamma sum_hw dL/dy (x - m)}.
     */
    private static final class Backward extends Passes {
        private final INDArray[] out;
        private final boolean[] unread;
        private final float[] m;
        private final float[] v;
        private final float[] gamma;
        private final double[] sumG;
        private final double[] sumGc;
        private final float[] a;
        private final float[] b;
        private final float[] k;
        /** Per sample and channel (where gamma has a row per sample): sums over positions, and an output's values. */
        private final double[] rowG;
        private final double[] rowGc;
        private final float[] wide;

        Backward(int n, int c, int hw, double eps, int rows, INDArray[] out, boolean[] unread) {
            super(n, c, hw, eps, rows);
            this.out = out;
            this.unread = unread.clone();
            m = new float[c];
            v = new float[c];
            gamma = new float[rows * c];
            sumG = new double[c];
            sumGc = new double[c];
            a = new float[rows * c];
            b = new float[c];
            k = new float[c];
            rowG = new double[rows > 1 ? rows * c : 0];
            rowGc = new double[rowG.length];
            wide = new float[rows > 1 ? rows * c : 0];
        }

        @Override
        public void run(INDArray[] in) {
            float[][] w = work();
            float[] xs = w[0];
            float[] gs = w[1];
            float[] accG = w[2];
            float[] accGc = w[3];
            INDArray xa = PatchConv.readable(in[0]);
            INDArray ga = PatchConv.readable(in[4]);
            FloatBuffer x = xa.data().asNioFloat();
            FloatBuffer g = ga.data().asNioFloat();
            int x0 = x.position();
            int g0 = g.position();
            channels(in[1], m);
            channels(in[2], v);
            gains(in[3], gamma);
            float[] ms = w[4];
            spread(m, ms);
            if (rows == 1) {
                Arrays.fill(accG, 0, size, 0f);
                Arrays.fill(accGc, 0, size, 0f);
                for (int s = 0; s < n; s++) {
                    x.get(x0 + s * size, xs, 0, size);
                    g.get(g0 + s * size, gs, 0, size);
                    for (int i = 0; i < size; i++) {
                        accG[i] += gs[i];
                        accGc[i] += gs[i] * (xs[i] - ms[i]);
                    }
                }
                channelSums(accG, sumG);
                channelSums(accGc, sumGc);
            } else {
                // each sample's sums, then weighted by its gamma
                for (int s = 0; s < n; s++) {
                    x.get(x0 + s * size, xs, 0, size);
                    g.get(g0 + s * size, gs, 0, size);
                    for (int i = 0; i < size; i++) {
                        accGc[i] = gs[i] * (xs[i] - ms[i]);
                    }
                    blockSums(gs, rowG, s * c);
                    blockSums(accGc, rowGc, s * c);
                }
                Arrays.fill(sumG, 0);
                Arrays.fill(sumGc, 0);
                for (int at = 0; at < rows * c; at++) {
                    sumG[at % c] += gamma[at] * rowG[at];
                    sumGc[at % c] += gamma[at] * rowGc[at];
                }
            }
            if (!unread[1]) {
                if (rows == 1) {
                    for (int ch = 0; ch < c; ch++) {
                        small[ch] = (float) (sumGc[ch] / Math.sqrt(v[ch] + eps));
                    }
                    write(out[1], small);
                } else {
                    for (int at = 0; at < rows * c; at++) {
                        wide[at] = (float) (rowGc[at] / Math.sqrt(v[at % c] + eps));
                    }
                    write(out[1], wide);
                }
            }
            if (!unread[2]) {
                if (rows == 1) {
                    for (int ch = 0; ch < c; ch++) {
                        small[ch] = (float) sumG[ch];
                    }
                    write(out[2], small);
                } else {
                    for (int at = 0; at < rows * c; at++) {
                        wide[at] = (float) rowG[at];
                    }
                    write(out[2], wide);
                }
            }
            if (!unread[0]) {
                if (rows == 1) {
                    for (int ch = 0; ch < c; ch++) {
                        double r = 1 / Math.sqrt(v[ch] + eps);
                        double sc = gamma[ch] * r;
                        a[ch] = (float) sc;
                        b[ch] = (float) (-sc * r * r * sumGc[ch] / count);
                        k[ch] = (float) (-sc * sumG[ch] / count);
                    }
                } else {
                    // sumG and sumGc already carry gamma
                    for (int ch = 0; ch < c; ch++) {
                        double r = 1 / Math.sqrt(v[ch] + eps);
                        b[ch] = (float) (-r * r * r * sumGc[ch] / count);
                        k[ch] = (float) (-r * sumG[ch] / count);
                        for (int at = ch; at < rows * c; at += c) {
                            a[at] = (float) (gamma[at] * r);
                        }
                    }
                }
                FloatBuffer dx = out[0].data().asNioFloat();
                int d0 = dx.position();
                float[] as = w[5];
                float[] bs = w[6];
                float[] ks = w[7];
                spread(b, bs);
                spread(k, ks);
                for (int s = 0; s < n; s++) {
                    if (s < rows) {
                        spread(a, s * c, as);
                    }
                    x.get(x0 + s * size, xs, 0, size);
                    g.get(g0 + s * size, gs, 0, size);
                    for (int i = 0; i < size; i++) {
                        xs[i] = as[i] * gs[i] + (bs[i] * (xs[i] - ms[i]) + ks[i]);
                    }
                    dx.put(d0 + s * size, xs, 0, size);
                }
            }
            Reference.reachabilityFence(xa);
            Reference.reachabilityFence(ga);
        }
    }

    /** The fused op of a plan's op, if it is one. */
    static Fused of(DifferentialFunction f) {
        return f instanceof Fused b ? b : null;
    }
}
