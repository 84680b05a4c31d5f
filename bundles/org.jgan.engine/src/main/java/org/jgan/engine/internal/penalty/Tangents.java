package org.jgan.engine.internal.penalty;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jgan.engine.internal.graph.BatchNormFusion;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.AvgPooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.DepthwiseConv2D;
import org.nd4j.linalg.api.ops.impl.shape.StridedSlice;

/**
 * Forward-mode differentiation of a SameDiff graph: {@link #extend} adds to the graph, beside each op between an
 * input {@code x} and an output {@code y}, the ops of its tangent, so that the graph also computes the
 * Jacobian-vector product {@code y' = (dy/dx) x'} for a tangent {@code x'} it is fed. The tangent ops are ordinary
 * ops (convolutions, products, sums, masks), so SameDiff's first-order reverse mode differentiates {@code y'} with
 * respect to the parameters: that is the second derivative a gradient penalty needs
 * ({@code (d/dtheta) grad_x psi . v = (d/dtheta) psi'} with {@code x' = v}), exactly, without a gradient of a
 * gradient, which SameDiff 1.0.0-M2.1 cannot take.
 * <p>
 * Each op has the tangent rule of its derivative: linear ops (convolution, depthwise convolution, matrix product
 * with a constant factor, pooling, sums, reshapes, slices) are applied to the tangent without their bias; products
 * follow the product rule; ReLU and LeakyReLU ops multiply the tangent by their slope at the point (a mask with no gradient, the slope
 * that their own backpropagation uses), and comparisons have a zero tangent, so the {@code x * mask} form that
 * {@link org.jgan.engine.internal.graph.GraphScope} builds them in gets the same rule from the product rule; casts
 * cast the tangent; smooth functions use their derivative at the point (exp, square root,
 * reciprocal square root, tanh, sigmoid, softmax). A batch-norm or instance-norm layer with its own statistics gets
 * the rule of the whole layer ({@link #normLayer}) instead of its ops'. An op on the way that has no rule here is
 * reported by name, and the caller falls back to another method.
 */
public final class Tangents {

    /** The tangent variable of each variable that depends on the input (absent: a zero tangent). */
    public record Result(Map<String, SDVariable> tangents, List<String> unsupported) {

        public SDVariable of(String variable) {
            return tangents.get(variable);
        }
    }

    private final SameDiff sd;
    private final Map<String, long[]> shapes;
    private final Map<String, SDVariable> tangents = new HashMap<>();

    private Tangents(SameDiff sd, Map<String, long[]> shapes) {
        this.sd = sd;
        this.shapes = shapes;
    }

    /**
     * Adds the tangent ops of every op on the way from {@code input} to {@code output}.
     *
     * @param shapes the shape of every variable on that path at some batch of at least 2 (to tell where an
     *               elementwise op broadcasts a dependent input)
     * @return the tangents, and the names of ops on the path that have no tangent rule (then nothing is usable)
     */
    public static Result extend(SameDiff sd, String input, SDVariable inputTangent, String output, Map<String, long[]> shapes) {
        Tangents t = new Tangents(sd, shapes);
        t.tangents.put(input, inputTangent);
        Set<String> unsupported = new TreeSet<>();
        List<SameDiffOp> path = GraphPath.ops(sd, input, output);
        Map<String, BatchNormFusion.NormLayer> layers = wholeLayers(sd, path);
        Set<String> layerOps = new HashSet<>();
        layers.values().forEach(l -> layerOps.addAll(l.ops()));
        for (SameDiffOp op : path) {
            List<String> out = op.getOutputsOfOp();
            String name = op.getOp().opName();
            if (layerOps.contains(op.getName())) {
                // a normalization layer's op: its intermediates get no tangent, its output the whole layer's
                BatchNormFusion.NormLayer l = layers.get(out.get(0));
                SDVariable tangent = l == null ? null : t.normLayer(l);
                if (tangent != null) {
                    t.tangents.put(out.get(0), tangent);
                }
                continue;
            }
            if (out.size() != 1) {
                unsupported.add(name);
                continue;
            }
            try {
                SDVariable tangent = t.rule(op.getOp(), op.getInputsToOp(), out.get(0));
                if (tangent != null) {
                    t.tangents.put(out.get(0), tangent);
                }
            } catch (Unsupported e) {
                unsupported.add(name + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
            }
        }
        return new Result(Map.copyOf(t.tangents), List.copyOf(unsupported));
    }

    /**
     * The normalization layers ({@link BatchNormFusion#layers}) whose output is on the path and whose intermediates
     * no other op on it reads, by output: their tangent is the whole layer's ({@link #normLayer}). A layer whose gain
     * or bias depends on the input keeps the rules of its ops.
     */
    private static Map<String, BatchNormFusion.NormLayer> wholeLayers(SameDiff sd, List<SameDiffOp> path) {
        Map<String, BatchNormFusion.NormLayer> found = new HashMap<>();
        Set<String> produced = new HashSet<>();
        path.forEach(op -> produced.addAll(op.getOutputsOfOp()));
        for (BatchNormFusion.NormLayer l : BatchNormFusion.layers(sd)) {
            if (!produced.contains(l.y()) || produced.contains(l.gamma4()) || produced.contains(l.beta4())) {
                continue;
            }
            boolean alone = path.stream().filter(op -> !l.ops().contains(op.getName())).noneMatch(
                    op -> op.getInputsToOp() != null && op.getInputsToOp().stream().anyMatch(l.inner()::contains));
            if (alone) {
                found.put(l.y(), l);
            }
        }
        return found;
    }

    /**
     * The tangent of a normalization layer {@code y = (x - m) gamma r + beta} with the statistics of x itself,
     * {@code m = mean(x)}, {@code v = mean(c c)}, {@code c = x - m}, {@code r = (v + eps)^-1/2} (means over the layer's
     * axes), as one rule: {@code m' = mean(x')}, {@code v' = 2 mean(c d')} with {@code d' = x' - m'} and
     * {@code r' = -r^3 v' / 2}, so
     * <pre>
     *   y' = d' gamma r + c gamma r' = (d' - c r^2 mean(c d')) gamma r
     * </pre>
     * five ops on the full tensor where the rules of the layer's eleven ops take eight, and fewer backward (batch
     * norm's forward-mode rule; the plan runs it and its backward pass as two kernels, {@link BatchNormFusion}).
     */
    private SDVariable normLayer(BatchNormFusion.NormLayer l) {
        SDVariable dx = t(l.x());
        if (dx == null) {
            return null;
        }
        SDVariable d = dx.sub(sd.mean(dx, true, l.axes()));
        SDVariable c = v(l.centered());
        SDVariable r = v(l.rsqrt());
        SDVariable k = sd.mean(c.mul(d), true, l.axes()).mul(r.mul(r));
        return d.sub(c.mul(k)).mul(v(l.scale()));
    }

    /** An op, or a use of it, that has no tangent rule here. */
    private static final class Unsupported extends RuntimeException {
        Unsupported(String why) {
            super(why, null, false, false);
        }
    }

    private SDVariable v(String name) {
        return sd.getVariable(name);
    }

    /** The tangent of a variable, or null for zero. */
    private SDVariable t(String name) {
        return tangents.get(name);
    }

    private SDVariable rule(DifferentialFunction f, List<String> in, String out) {
        String op = f.opName();
        SDVariable y = v(out);
        switch (op) {
            case "identity", "add_scalar", "sub_scalar" -> {
                return t(in.get(0));
            }
            case "neg", "rsub_scalar" -> {
                return neg(t(in.get(0)));
            }
            case "mul_scalar" -> {
                return times(t(in.get(0)), scalar(f));
            }
            case "div_scalar" -> {
                return times(t(in.get(0)), 1 / scalar(f));
            }
            case "zeroslike", "onesLike", "ones_as", "zeros_as", "shape_of", "size_at" -> {
                return null;
            }
            case "greaterthan_scalar", "greaterthanorequal_scalar", "lessthan_scalar", "lessthanorequal_scalar",
                    "greater", "greater_equal", "less", "less_equal" -> {
                // piecewise constant (the slope masks of ReLU and LeakyReLU): derivative 0 wherever it has one
                return null;
            }
            case "cast" -> {
                SDVariable t = t(in.get(0));
                return t == null || !y.dataType().isFPType() ? null : t.castTo(y.dataType());
            }
            case "add" -> {
                return broadcast(plus(t(in.get(0)), t(in.get(1))), in, out);
            }
            case "subtract" -> {
                return broadcast(plus(t(in.get(0)), neg(t(in.get(1)))), in, out);
            }
            case "multiply" -> {
                if (in.get(0).equals(in.get(1))) {
                    // (c c)' = 2 c c' (batch norm's squared deviations): one product and a doubling, the same tangent
                    // as c' c + c c' (doubling is exact), with fewer full-size ops and backward passes; the gradient
                    // through it reaches c as one term instead of two, so its sums may round differently
                    SDVariable t = t(in.get(0));
                    return t == null ? null : broadcast(t.mul(v(in.get(0))).mul(2.0), in, out);
                }
                SDVariable a = t(in.get(0)) == null ? null : t(in.get(0)).mul(v(in.get(1)));
                SDVariable b = t(in.get(1)) == null ? null : v(in.get(0)).mul(t(in.get(1)));
                return broadcast(plus(a, b), in, out);
            }
            case "divide" -> {
                // (a / b)' = (a' - y b') / b
                SDVariable b = t(in.get(1)) == null ? null : y.mul(t(in.get(1)));
                SDVariable num = plus(t(in.get(0)), neg(b));
                return num == null ? null : broadcast(num.div(v(in.get(1))), in, out);
            }
            case "matmul", "mmul" -> {
                double[] ab = ((DynamicCustomOp) f).tArgs();
                if (ab.length >= 2 && (ab[0] != 1.0 || ab[1] != 0.0)) {
                    throw new Unsupported("alpha " + ab[0] + ", beta " + ab[1]);
                }
                Map<String, Object> p = f.propertiesForFunction();
                boolean ta = Boolean.TRUE.equals(p.get("transposeA"));
                boolean tb = Boolean.TRUE.equals(p.get("transposeB"));
                boolean tr = Boolean.TRUE.equals(p.get("transposeResult"));
                SDVariable a = t(in.get(0)) == null ? null : sd.mmul(t(in.get(0)), v(in.get(1)), ta, tb, tr);
                SDVariable b = t(in.get(1)) == null ? null : sd.mmul(v(in.get(0)), t(in.get(1)), ta, tb, tr);
                return plus(a, b);
            }
            case "conv2d" -> {
                requireConstant(in, 1, "dependent weights");
                if (in.size() > 2) {
                    requireConstant(in, 2, "dependent bias");
                }
                return sd.cnn.conv2d(t(in.get(0)), v(in.get(1)), ((Conv2D) f).getConfig());
            }
            case "depthwise_conv2d" -> {
                requireConstant(in, 1, "dependent weights");
                if (in.size() > 2) {
                    requireConstant(in, 2, "dependent bias");
                }
                return sd.cnn.depthWiseConv2d(t(in.get(0)), v(in.get(1)), ((DepthwiseConv2D) f).getConfig());
            }
            case "avgpool2d" -> {
                return sd.cnn.avgPooling2d(t(in.get(0)), ((AvgPooling2D) f).getConfig());
            }
            case "reshape" -> {
                long[] args = ((DynamicCustomOp) f).iArgs();
                if (in.size() > 1) {
                    return sd.reshape(t(in.get(0)), v(in.get(1)));
                }
                // the first argument is the order ('c' as -99), the rest the shape
                if (args.length < 2 || Math.abs(args[0]) != 99) {
                    throw new Unsupported("shape arguments " + Arrays.toString(args));
                }
                return sd.reshape(t(in.get(0)), Arrays.copyOfRange(args, 1, args.length));
            }
            case "permute" -> {
                if (in.size() > 1) {
                    return sd.permute(t(in.get(0)), v(in.get(1)));
                }
                return sd.permute(t(in.get(0)), toInt(((DynamicCustomOp) f).iArgs()));
            }
            case "expand_dims" -> {
                long[] args = ((DynamicCustomOp) f).iArgs();
                if (in.size() > 1 || args.length != 1) {
                    throw new Unsupported("axis as an input");
                }
                return sd.expandDims(t(in.get(0)), (int) args[0]);
            }
            case "concat" -> {
                Object dim = f.propertiesForFunction().get("concatDimension");
                if (Boolean.TRUE.equals(f.propertiesForFunction().get("isDynamicAxis")) || !(dim instanceof Integer)) {
                    throw new Unsupported("axis as an input");
                }
                SDVariable[] parts = new SDVariable[in.size()];
                for (int i = 0; i < in.size(); i++) {
                    parts[i] = t(in.get(i)) != null ? t(in.get(i)) : sd.zerosLike(v(in.get(i)));
                }
                return sd.concat((Integer) dim, parts);
            }
            case "strided_slice" -> {
                long[] a = ((DynamicCustomOp) f).iArgs();
                if (in.size() > 1 || a.length < 5 || (a.length - 5) % 3 != 0) {
                    throw new Unsupported("bounds as inputs");
                }
                int r = (a.length - 5) / 3;
                // arguments: begin, ellipsis, end, new-axis and shrink masks, then begin, end and strides
                return new StridedSlice(sd, t(in.get(0)), Arrays.copyOfRange(a, 5, 5 + r),
                        Arrays.copyOfRange(a, 5 + r, 5 + 2 * r), Arrays.copyOfRange(a, 5 + 2 * r, 5 + 3 * r),
                        (int) a[0], (int) a[2], (int) a[1], (int) a[3], (int) a[4]).outputVariable();
            }
            case "reduce_sum", "reduce_mean" -> {
                BaseReduceOp r = (BaseReduceOp) f;
                if (in.size() > 1) {
                    throw new Unsupported("dimensions as an input");
                }
                int[] dims = r.getDimensions() == null || (r.getDimensions().length == 1
                        && r.getDimensions()[0] == Integer.MAX_VALUE) ? new int[0] : r.getDimensions();
                return op.equals("reduce_sum") ? sd.sum(t(in.get(0)), r.isKeepDims(), dims)
                        : sd.mean(t(in.get(0)), r.isKeepDims(), dims);
            }
            case "relu" -> {
                if (scalar(f) != 0) {
                    throw new Unsupported("cutoff " + scalar(f));
                }
                // the slope: 1 where y > 0 (sign of y), 0 elsewhere, as relu's own backpropagation
                return t(in.get(0)).mul(sd.math.sign(y));
            }
            case "leakyrelu" -> {
                double a = ((BaseScalarOp) f).getScalarValue().getDouble(0);
                // sign(y) is 1 where x > 0 and -1 where x < 0: the slope 1 or a
                return t(in.get(0)).mul(sd.math.sign(y).mul((1 - a) / 2).add((1 + a) / 2));
            }
            case "abs" -> {
                return t(in.get(0)).mul(sd.math.sign(v(in.get(0))));
            }
            case "exp" -> {
                return t(in.get(0)).mul(y);
            }
            case "sqrt" -> {
                return t(in.get(0)).mul(0.5).div(y);
            }
            case "rsqrt" -> {
                return t(in.get(0)).mul(y.mul(y).mul(y).mul(-0.5));
            }
            case "square" -> {
                return t(in.get(0)).mul(v(in.get(0)).mul(2.0));
            }
            case "tanh" -> {
                return t(in.get(0)).mul(y.mul(y).rsub(1.0));
            }
            case "sigmoid" -> {
                return t(in.get(0)).mul(y.mul(y.rsub(1.0)));
            }
            case "softmax" -> {
                long[] args = ((DynamicCustomOp) f).iArgs();
                int dim = args.length == 0 ? -1 : (int) args[0];
                SDVariable dx = t(in.get(0));
                return y.mul(dx.sub(sd.sum(y.mul(dx), true, dim)));
            }
            default -> throw new Unsupported(null);
        }
    }

    private void requireConstant(List<String> in, int i, String why) {
        if (t(in.get(i)) != null) {
            throw new Unsupported(why);
        }
    }

    private static double scalar(DifferentialFunction f) {
        return ((BaseScalarOp) f).getScalarValue().getDouble(0);
    }

    private static int[] toInt(long[] a) {
        return Arrays.stream(a).mapToInt(Math::toIntExact).toArray();
    }

    private static SDVariable plus(SDVariable a, SDVariable b) {
        return a == null ? b : b == null ? a : a.add(b);
    }

    private static SDVariable neg(SDVariable a) {
        return a == null ? null : a.neg();
    }

    private static SDVariable times(SDVariable a, double s) {
        return a == null ? null : a.mul(s);
    }

    /**
     * An elementwise op's tangent has the shape of its output only if the dependent inputs that carry a tangent
     * broadcast to it: a per-batch statistic added to a zero map (the minibatch standard deviation) does not.
     */
    private SDVariable broadcast(SDVariable tangent, List<String> in, String out) {
        if (tangent == null) {
            return null;
        }
        long[] target = shapes.get(out);
        if (target == null) {
            throw new Unsupported("no shape for " + out);
        }
        long[] have = new long[0];
        for (String i : in) {
            if (t(i) != null) {
                long[] s = shapes.get(i);
                if (s == null) {
                    throw new Unsupported("no shape for " + i);
                }
                have = broadcastShape(have, s);
            }
        }
        return Arrays.equals(have, target) ? tangent : tangent.add(sd.zerosLike(v(out)));
    }

    private static long[] broadcastShape(long[] a, long[] b) {
        long[] r = new long[Math.max(a.length, b.length)];
        for (int i = 0; i < r.length; i++) {
            long x = i < r.length - a.length ? 1 : a[i - (r.length - a.length)];
            long y = i < r.length - b.length ? 1 : b[i - (r.length - b.length)];
            r[i] = Math.max(x, y);
        }
        return r;
    }
}
