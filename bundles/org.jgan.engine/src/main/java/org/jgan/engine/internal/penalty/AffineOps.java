package org.jgan.engine.internal.penalty;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;

/**
 * Which ops of a graph keep it affine in an input: where a discriminator held at its kinks is affine in its input, the
 * central difference of {@link InputGradientPenalty.Method#DIFFERENCE} is exact for any step.
 */
final class AffineOps {

    /** Ops that are affine in an input that depends on x when every other input does not. */
    private static final Set<String> AFFINE_OPS = Set.of("add", "subtract", "reversesubtract", "add_scalar",
            "sub_scalar", "rsub_scalar", "mul_scalar", "div_scalar", "neg", "identity", "reshape", "permute",
            "transpose", "expand_dims", "squeeze", "concat", "reduce_sum", "reduce_mean", "avgpool2d", "upsampling2d",
            "strided_slice", "tile", "matmul", "mmul", "conv2d", "deconv2d", "depthwise_conv2d", "multiply", "divide",
            "zeroslike", "onesLike", "ones_as", "zeros_as", "shape_of", "size_at", "stack", "unstack", "gather", "slice");
    /** Of the above, those affine in their first input only (a divisor or a second factor must not depend on x). */
    private static final Set<String> FIRST_INPUT_ONLY = Set.of("divide", "div_scalar");

    private AffineOps() {
    }

    /**
     * The ops on the way from {@code input} that are not affine in it, by name (e.g. batch normalization's rsqrt,
     * tanh, softmax): for those the central difference has an O(e^2) error. An op is affine when it is in
     * {@code AFFINE_OPS} and, for products and quotients, only one factor (the dividend) depends on the input.
     */
    static List<String> of(SameDiff sd, String input) {
        Set<String> dependent = new HashSet<>(Set.of(input));
        Set<String> found = new TreeSet<>();
        for (SameDiffOp op : sd.getOps().values()) {
            List<String> in = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
            long onPath = in.stream().filter(dependent::contains).count();
            if (onPath == 0) {
                continue;
            }
            String name = op.getOp().opName();
            boolean affine = AFFINE_OPS.contains(name);
            if (affine && (name.equals("multiply") || name.equals("matmul") || name.equals("mmul"))) {
                affine = onPath == 1;
            }
            if (affine && FIRST_INPUT_ONLY.contains(name)) {
                affine = onPath == 1 && dependent.contains(in.get(0));
            }
            if (!affine) {
                found.add(name);
            }
            if (op.getOutputsOfOp() != null) {
                dependent.addAll(op.getOutputsOfOp());
            }
        }
        return List.copyOf(found);
    }
}
