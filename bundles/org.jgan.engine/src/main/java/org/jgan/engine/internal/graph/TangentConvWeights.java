package org.jgan.engine.internal.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A convolution {@code z = conv(x, W)} and its weight gradient {@code dW} as one op, where the gradient of its
 * output is known before it runs and nothing reads its input gradient: a penalty's tangent pass given the adjoints of
 * its tangents by the critic pass ({@code Critic#reads}), where each tangent convolution's backward op reads its
 * input tangent, W and the given adjoint. {@code conv2d} then {@code conv2d_bp} run three oneDNN primitives (forward,
 * backward data, backward weights), the backward data one for nothing; {@code deconv2d_bp} on {@code (dz, W, x)} runs
 * two: the transposed convolution's input gradient is the convolution of x by W (forward), its weight gradient the
 * correlation of x with dz, which is the convolution's {@code dW} (the transposed convolution's weights
 * {@code [kH, kW, oC, iC]} are the convolution's {@code [kH, kW, iC, oC]} read the other way). On the WGAN-GP
 * ResNet's {@code [32, 128, 32, 32]} 3x3 convolution (2-core AMD EPYC, Zen 4): 107 ms against 162 ms for the two
 * ops; both outputs agree with theirs to float rounding ({@code TangentConvWeightsTest}).
 * <p>
 * A {@link GraphPlan} puts it in place of the two ops with {@link GraphPlan#ownArithmetic(boolean)} on (other
 * bits than the two ops' kernels), NCHW, weights {@code [kH, kW, iC, oC]}, explicit padding, no bias, float; where
 * the strides do not cover the padded input exactly (the transposed convolution's output size would differ from
 * x's), the kernel runs the two ops after all.
 */
final class TangentConvWeights extends DynamicCustomOp {

    /** The kind {@link Replacements#calls} counts its calls under. */
    static final String KIND = "conv2d+conv2d_bp/deconv2d_bp";

    /** {@code -Djgan.graph.tangentConv=false}: the two ops run as they are (for comparisons). */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.tangentConv"));

    private TangentConvWeights(long[] iArgs) {
        addIArgument(iArgs);
    }

    /** Switches the fusion on or off for the plans compiled after the call (tests compare the two). */
    static void enable(boolean on) {
        enabled = on;
    }

    @Override
    public String opName() {
        return "deconv2d_bp";
    }

    /** z of x's batch and W's output channels at dz's size, dW of W's shape: dz's and W's shapes. */
    @Override
    public List<LongShapeDescriptor> calculateOutputShape(OpContext oc) {
        List<INDArray> in = oc.getInputArrays();
        return List.of(LongShapeDescriptor.fromShape(in.get(0).shape(), in.get(0).dataType()),
                LongShapeDescriptor.fromShape(in.get(1).shape(), in.get(1).dataType()));
    }

    /**
     * {@code order} with each {@code conv2d(x, W)} and {@code conv2d_bp(x, W, dz)} pair of one set of arguments whose
     * {@code dz} is external (a placeholder, parameter or given value) and whose input gradient nothing reads (nor is
     * requested) replaced by one op at the earlier of the two places, inputs {@code (dz, W, x)}, outputs {@code (z,
     * dW)}.
     */
    static List<SameDiffOp> fuse(SameDiff sd, List<SameDiffOp> order, List<String> requested, Set<String> given) {
        if (!enabled) {
            return order;
        }
        Set<String> read = new HashSet<>(requested);
        for (SameDiffOp op : order) {
            if (op.getInputsToOp() != null) {
                read.addAll(op.getInputsToOp());
            }
        }
        List<SameDiffOp> result = new ArrayList<>(order);
        for (SameDiffOp b : order) {
            if (!(b.getOp() instanceof DynamicCustomOp bp) || !"conv2d_bp".equals(bp.opName())
                    || b.getInputsToOp() == null || b.getInputsToOp().size() != 3 || b.getOutputsOfOp().size() != 2
                    || read.contains(b.getOutputsOfOp().get(0)) || !plain(bp.iArgs())) {
                continue;
            }
            List<String> in = b.getInputsToOp();
            String dz = in.get(2);
            boolean external = sd.getVariable(dz).getVariableType() != VariableType.ARRAY || given.contains(dz);
            if (!external || in.stream().anyMatch(v -> sd.getVariable(v).dataType() != DataType.FLOAT)) {
                continue;
            }
            SameDiffOp f = null;
            for (SameDiffOp op : result) {
                if (op.getOp() instanceof DynamicCustomOp c && "conv2d".equals(c.opName())
                        && op.getInputsToOp() != null && op.getInputsToOp().equals(in.subList(0, 2))
                        && op.getOutputsOfOp().size() == 1 && Arrays.equals(c.iArgs(), bp.iArgs())) {
                    f = op;
                    break;
                }
            }
            if (f == null) {
                continue;
            }
            TangentConvWeights fused = new TangentConvWeights(bp.iArgs());
            String name = b.getName() + "/with-forward";
            fused.setOwnName(name);
            SameDiffOp op = SameDiffOp.builder().name(name).op(fused)
                    .inputsToOp(new ArrayList<>(List.of(dz, in.get(1), in.get(0))))
                    .outputsOfOp(new ArrayList<>(List.of(f.getOutputsOfOp().get(0), b.getOutputsOfOp().get(1))))
                    .build();
            int at = Math.min(result.indexOf(f), result.indexOf(b));
            result.remove(f);
            result.remove(b);
            result.add(at, op);
        }
        return result;
    }

    /** NCHW, weights {@code [kH, kW, iC, oC]}, explicit padding. */
    private static boolean plain(long[] a) {
        return a != null && a.length >= 10 && a[8] == 0 && a[9] == 0 && (a.length < 11 || a[10] == 0);
    }

    /** The op's kernel for its inputs {@code (dz, W, x)} and outputs {@code (z, dW)}. */
    Replacements.Kernel kernel(INDArray[] in, INDArray[] out, Consumer<INDArray> own) {
        long[] a = iArgs();
        int[] ints = Arrays.stream(a).mapToInt(Math::toIntExact).toArray();
        INDArray x = in[2];
        INDArray w = in[1];
        INDArray dz = in[0];
        if (Replacements.ConvInputGrad.fits(x.size(2), a[0] > 0 ? a[0] : w.size(0), a[2], a[4], a[6], dz.size(2))
                && Replacements.ConvInputGrad.fits(x.size(3), a[1] > 0 ? a[1] : w.size(1), a[3], a[5], a[7],
                        dz.size(3))) {
            Replacements.Call both = new Replacements.Call(DynamicCustomOp.builder("deconv2d_bp")
                    .addIntegerArguments(ints).build(), out[0], out[1]);
            return new Replacements.Kernel() {
                @Override
                public void run(INDArray[] args) {
                    both.run(args[0], args[1], args[2]);
                }

                @Override
                public void close() {
                    both.close();
                }
            };
        }
        // the two ops, the input gradient into a scratch array
        INDArray dx = Nd4j.createUninitializedDetached(x.dataType(), x.shape());
        own.accept(dx);
        Replacements.Call forward = new Replacements.Call(DynamicCustomOp.builder("conv2d")
                .addIntegerArguments(ints).build(), out[0]);
        Replacements.Call backward = new Replacements.Call(DynamicCustomOp.builder("conv2d_bp")
                .addIntegerArguments(ints).build(), dx, out[1]);
        return new Replacements.Kernel() {
            @Override
            public void run(INDArray[] args) {
                forward.run(args[2], args[1]);
                backward.run(args[2], args[1], args[0]);
            }

            @Override
            public void close() {
                forward.close();
                backward.close();
            }
        };
    }
}
