package org.jgan.engine.internal.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.summarystats.Variance;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.LeakyReLUDerivative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Kernels a {@link GraphPlan} runs instead of an op's own where libnd4j 1.0.0-M2.1's kernel is slow for the case
 * or computes outputs that nothing reads. Each gives the op's outputs the same bits as the op's own kernel (the
 * same native arithmetic in the same order; {@code GraphPlanTest} and {@code GraphPlanArchitecturesTest} compare bit
 * for bit against {@code SameDiff#output}), except the sums over broadcast axes by matrix products
 * ({@link Broadcasts}), the convolutions with short patches ({@link PatchConv}), the small arrays' sums and
 * products ({@link SmallKernels}), batch and instance norm's fused layers ({@link BatchNormFusion},
 * {@link InstanceNormKernels}), LeakyReLU's slope masks as one op ({@link Mask}: 1 rather than the slope at x = 0),
 * the batched matrix products ({@link BatchedMatmul}), the stride-1 convolutions by the flipped kernel
 * ({@link FlippedConv}), the stride-1 convolutions to few channels and their gradients ({@link FewChannelConv},
 * {@link FewChannelConvBp}), the convolutions and the softmax through oneDNN's own primitives ({@link OneDnnConv},
 * {@link OneDnnSoftmax}) and the 2-D
 * matrix products by oneDNN's {@code sgemm} ({@link Gemm}), unless
 * {@link GraphPlan#ownArithmetic(boolean)} is off; an output nothing reads is left
 * unwritten. Each runs its ops through
 * op contexts it makes once, its outputs and arguments bound ({@link Call}), as the plan runs the ops it keeps: a new
 * op object and context per call (ND4J's {@code Nd4j.exec(op)}) cost 5 to 10 microseconds a call, a fifth of the
 * ring MLP's iteration, until 2026-12-03.
 * <ul>
 * <li>the plan's own ops standing in for a batch-norm or instance-norm layer's ({@link BatchNormFusion},
 * {@link InstanceNormKernels}: StyleGAN's AdaIN), with {@link GraphPlan#ownArithmetic(boolean)} on.</li>
 * <li>{@code concat}, {@code concat_bp} and {@code split} along an axis given as the op's argument: bulk copies
 * between the buffers ({@link Concats}; the same bits).</li>
 * <li>ops whose arrays all have at most 16,384 elements (spectral normalization's power iteration, norms,
 * per-channel factors, scalars), in Java: {@link SmallKernels}; those that sum in an order of their own only with
 * {@link GraphPlan#ownArithmetic(boolean)}.</li>
 * <li>elementwise ops with broadcasting and the reductions' backward passes, on views with merged axes, and sums over
 * axes by matrix products ({@code reduce_mean}, {@code reduce_sum}, {@code add_bp}, {@code subtract_bp}):
 * {@link Broadcasts}.</li>
 * <li>{@code multiply_bp} with operands of different shapes: {@link BroadcastMulBp}.</li>
 * <li>{@code std} and {@code var} of a whole array (DRAGAN's scale): in double, {@link WholeVariance}, with
 * {@link GraphPlan#ownArithmetic(boolean)} on.</li>
 * <li>{@code multiply_bp} with operands of one shape and one gradient unread (the slope masks of the activations,
 * which have no gradient): the one product that is read.</li>
 * <li>a {@code cast} to float of a comparison {@code greaterthan_scalar} that nothing else reads (the slope masks
 * of ReLU and LeakyReLU): one {@code Step} on the comparison's input, the plan dropping the comparison (one pass
 * over the tensor instead of a boolean array written and read back); with {@link GraphPlan#ownArithmetic(boolean)}
 * on, LeakyReLU's whole mask {@code [x > 0] (1 - slope) + slope} as one {@code LeakyRELUDerivative} ({@link Mask}),
 * the plan dropping the cast and the {@code mul_scalar} too.</li>
 * <li>{@code matmul_bp} with one gradient unread (G's latent input, D's dense layer in G's step, spectral
 * normalization's stopped vectors): the one matrix product that is read, as {@code matmul_bp} computes it.</li>
 * <li>{@code conv2d_bp} whose input gradient nothing reads and whose patch {@code iC kH kW} is short (a
 * discriminator's first layer on 1- or 3-channel images, in its own step and in a penalty's tangent graph): the
 * weight gradient by oneDNN's backward-weights primitive alone ({@link OneDnnConv}), or where its binding does not
 * load as one matrix product over the batch; 1x1 kernels by loops over rows; and {@code conv2d} with a 1x1 kernel on
 * one channel: {@link PatchConv}, with {@link GraphPlan#ownArithmetic(boolean)} on (not libnd4j's bits).</li>
 * <li>{@code matmul} and {@code matmul_bp} on batches of matrices (SAGAN's attention): one 2-D product per matrix
 * ({@link BatchedMatmul}), with {@link GraphPlan#ownArithmetic(boolean)} on.</li>
 * <li>2-D {@code matmul} and {@code matmul_bp} too large for {@link SmallKernels} (dense layers: the ring MLP's
 * hidden layers, a generator's projection of z), with beta 0: {@code dnnl_sgemm} on the arrays where they lie
 * ({@link Gemm}, which the kernels' own products call too: {@link BatchedMatmul}, {@link Broadcasts}' sums,
 * {@link PatchConv}, the few-channel kernels), with {@link GraphPlan#ownArithmetic(boolean)} on.</li>
 * <li>{@code conv2d} with stride 1 on at least 8 channels: the backward-data primitive of the flipped kernel
 * ({@link FlippedConv}), with {@link GraphPlan#ownArithmetic(boolean)} on.</li>
 * <li>{@code conv2d_bp} with stride 1 to at most 4 output channels (a generator's output layer): products per sample
 * of the shifted output gradient ({@link FewChannelConvBp}), with {@link GraphPlan#ownArithmetic(boolean)} on.</li>
 * <li>{@code conv2d} with stride 1 to at most 4 output channels (that layer's forward pass): a product per sample and
 * its shifted rows summed in Java ({@link FewChannelConv}, before {@link FlippedConv}), with
 * {@link GraphPlan#ownArithmetic(boolean)} on.</li>
 * <li>{@code conv2d}, {@code conv2d_bp}, {@code deconv2d} and {@code deconv2d_bp} that none of the kernels above
 * takes (NCHW, weights {@code [kH, kW, iC, oC]} or the transposed convolution's {@code [kH, kW, oC, iC]}, floats in C
 * order): oneDNN's forward, backward-data and backward-weights primitives,
 * called directly with their descriptors, primitives and blocked copies made once ({@link OneDnnConv}, before
 * {@link FlippedConv} and the input gradient below, which run where oneDNN's own binding does not load), with
 * {@link GraphPlan#ownArithmetic(boolean)} on.</li>
 * <li>{@code softmax} and {@code softmax_bp} (SAGAN's attention) on floats, the output in dense C order: oneDNN's
 * softmax primitives made once ({@link OneDnnSoftmax}), with {@link GraphPlan#ownArithmetic(boolean)} on; a
 * {@code softmax_bp} whose {@code softmax} the plan computes takes its y ({@link OneDnnSoftmax.FromOutput}) and runs
 * the backward primitive alone.</li>
 * <li>{@code conv2d_bp} whose weight and bias gradients nothing reads (D's convolutions in G's step, whose
 * parameters that step does not update): only the input gradient, by {@code deconv2d_tf} (TensorFlow's
 * Conv2DBackpropInput), which runs oneDNN's backward-data primitive alone where {@code conv2d_bp} also runs the
 * backward-weights one. On DCGAN's D (2-core AMD EPYC, AVX2): {@code [64, 64, 14, 14]} to {@code [64, 128, 7, 7]}
 * 21-26 ms for {@code conv2d_bp}, 8-12 ms for the input gradient alone; the 1-channel input layer 4.5-5.6 ms against
 * 0.5-1.2 ms.</li>
 * </ul>
 */
final class Replacements {

    /** Calls of each replacement kernel so far, process-wide (tests check that a replacement ran). */
    private static final Map<String, AtomicLong> CALLS = new ConcurrentHashMap<>();

    private Replacements() {
    }

    /** A replacement for one op of a plan, bound to the op's output arrays. */
    interface Kernel {
        /** Computes the outputs that are read from the op's current input arrays. */
        void run(INDArray[] in);

        /** Releases the kernel's op contexts (with its plan). */
        default void close() {
        }
    }

    /**
     * One op run through an op context of its own, made once with the op's arguments and output arrays; each call
     * sets the inputs and runs the op's kernel, which reads everything from the context.
     */
    static final class Call {
        /** The op: a custom op, or else the legacy one. */
        private final CustomOp custom;
        private final Op legacy;
        private final OpContext oc = Nd4j.getExecutioner().buildContext();

        /** A custom op (its own arguments are the call's) writing to {@code outputs}. */
        Call(DynamicCustomOp op, INDArray... outputs) {
            this.custom = op;
            this.legacy = null;
            if (op.iArgs().length > 0) {
                oc.setIArguments(op.iArgs());
            }
            if (op.tArgs().length > 0) {
                oc.setTArguments(op.tArgs());
            }
            if (op.bArgs().length > 0) {
                oc.setBArguments(op.bArgs());
            }
            oc.setOutputArrays(outputs);
        }

        /** A legacy op (its scalar or axes are the op object's) writing to {@code output}. */
        Call(Op op, INDArray output) {
            this.custom = null;
            this.legacy = op;
            oc.setOutputArrays(output);
        }

        void run(INDArray... inputs) {
            oc.setInputArrays(inputs);
            if (custom != null) {
                Nd4j.getExecutioner().exec(custom, oc);
            } else {
                Nd4j.getExecutioner().exec(legacy, oc);
            }
        }

        /** Lets go of the arrays the context holds (M2.1's close does nothing: the collector frees the context). */
        void close() {
            try {
                oc.purge();
                oc.close();
            } catch (Exception e) {
                // a context that cannot be closed is left to the garbage collector
            }
        }
    }

    /** A kernel of one call: {@code inputs} picks the call's inputs from the op's. */
    private static Kernel single(Call call, Function<INDArray[], INDArray[]> inputs) {
        return new Kernel() {
            @Override
            public void run(INDArray[] in) {
                call.run(inputs.apply(in));
            }

            @Override
            public void close() {
                call.close();
            }
        };
    }

    /**
     * A slope mask computed from a comparison's input {@code input} in one op: {@code x > cutoff ? 1 : 0} (the cast
     * of a {@code greaterthan_scalar}), or with a {@code scale} and {@code slope} (adding to 1) LeakyReLU's
     * {@code [x > 0] scale + slope}, as libnd4j's {@code LeakyRELUDerivative} computes it: {@code x >= 0 ? 1 : slope},
     * which gives 1 rather than the slope at x = 0 exactly (both subgradients of LeakyReLU there; the activation's
     * value {@code x m} is 0 either way), so only with {@link GraphPlan#ownArithmetic()}. Arrays small enough for
     * {@link SmallKernels} get the graph's values exactly ({@code x > 0}).
     */
    record Mask(String input, double cutoff, Float scale, Float slope) {
    }

    /** Calls of each kind of replacement so far: {@code multiply_bp/broadcast}, {@code conv2d_bp/input}, ... */
    static Map<String, Long> calls() {
        Map<String, Long> m = new TreeMap<>();
        CALLS.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    static AtomicLong counter(String kind) {
        return CALLS.computeIfAbsent(kind, k -> new AtomicLong());
    }

    /**
     * The replacement for an op of a plan, or null to run the op's own kernel.
     *
     * @param in     the op's input arrays at the first call (shapes and types hold for the plan's later calls; layouts
     *               need not)
     * @param out    the op's output arrays (the plan's, fixed)
     * @param unread which outputs nothing reads
     * @param step   for a cast whose comparison the plan dropped, or the {@code add_scalar} ending a slope mask whose
     *               other ops it dropped, the mask it computes (else null)
     * @param own    takes ownership of a scratch array the kernel allocates (released with the plan)
     */
    static Kernel choose(DifferentialFunction f, INDArray[] in, INDArray[] out, boolean[] unread, Mask step,
            Consumer<INDArray> own) {
        String op = f.opName();
        BatchNormTangentKernels.Fused tangent = BatchNormTangentKernels.of(f);
        if (tangent != null) {
            return counted(tangent.primal ? op + "/primal" : op, tangent.kernel(in, out, unread));
        }
        if (f instanceof TangentConvWeights t) {
            return counted(TangentConvWeights.KIND, t.kernel(in, out, own));
        }
        if (f instanceof OneDnnSoftmax.FromOutput s) {
            return OneDnnSoftmax.kernel(s, in, out, own);
        }
        BatchNormFusion.Fused fused = BatchNormFusion.of(f);
        if (fused != null) {
            return counted(fused.perSample ? op + "/per-sample" : op, fused.kernel(in, out, unread));
        }
        if (step != null && GraphPlan.smallKernels()) {
            Kernel k = step.slope() == null ? SmallKernels.step(in[0], out[0], step.cutoff())
                    : SmallKernels.slopeMask(in[0], out[0], step.scale(), step.slope());
            if (k != null) {
                return counted(step.slope() == null ? "cast/step/small" : "add_scalar/slope-mask/small", k);
            }
        }
        if (step != null && step.slope() != null) {
            // x >= 0 ? 1 : slope
            Call call = new Call(new LeakyReLUDerivative(in[0], out[0], step.slope()), out[0]);
            return counted("add_scalar/slope-mask", single(call, a -> new INDArray[] {a[0]}));
        }
        if (step != null) {
            // x > cutoff ? 1 : 0 in the cast's type, as cast(greaterthan_scalar(x, cutoff)) gives it
            Call call = new Call(new Step(in[0], out[0], step.cutoff()), out[0]);
            return counted("cast/step", single(call, a -> new INDArray[] {a[0]}));
        }
        if (f instanceof DynamicCustomOp c) {
            Kernel k = Concats.of(op, c, in, out, unread);
            if (k != null) {
                return counted(op + "/copies", k);
            }
        }
        if (GraphPlan.smallKernels()) {
            Kernel k = SmallKernels.of(f, op, in, out, unread, GraphPlan.ownArithmetic());
            if (k != null) {
                return counted(op + "/small", k);
            }
        }
        if ("multiply_bp".equals(op) && in.length == 3 && out.length == 2) {
            if (BroadcastMulBp.applies(in)) {
                INDArray tmp = Nd4j.createUninitializedDetached(in[2].dataType(), in[2].shape());
                own.accept(tmp);
                return counted("multiply_bp/broadcast",
                        new BroadcastMulBp(in[0].shape(), in[1].shape(), in[2].shape(), tmp, out, unread, own));
            }
            if (unread[0] != unread[1] && sameShapeAndType(in)) {
                // d(x*y)/dx = dz * y, d(x*y)/dy = dz * x: one product where only one is read
                int read = unread[0] ? 1 : 0;
                Call call = new Call(DynamicCustomOp.builder("multiply").build(), out[read]);
                return counted("multiply_bp/one", single(call, a -> new INDArray[] {a[2], a[1 - read]}));
            }
        }
        if (ELEMENTWISE.contains(op) && f instanceof DynamicCustomOp && out.length == 1) {
            Kernel k = Broadcasts.Collapsed.elementwise(op, in, out[0]);
            if (k != null) {
                return counted(op + "/merged", k);
            }
        }
        if (("reduce_mean_bp".equals(op) || "reduce_sum_bp".equals(op)) && f instanceof DynamicCustomOp c
                && out.length == 1) {
            Kernel k = Broadcasts.Collapsed.reductionBackward(c, in, out[0]);
            if (k != null) {
                return counted(op + "/merged", k);
            }
        }
        if (GraphPlan.ownArithmetic() && WholeVariance.applies(f, in, out)) {
            return counted(op + "/whole", new WholeVariance(((Variance) f).isBiasCorrected(), "std".equals(op),
                    out[0]));
        }
        if (GraphPlan.ownArithmetic()) {
            Kernel k = Broadcasts.matrixSum(f, op, in, out, unread, own);
            if (k != null) {
                return k;
            }
        }
        if (GraphPlan.ownArithmetic() && f instanceof DynamicCustomOp c
                && ("matmul".equals(op) || "matmul_bp".equals(op))) {
            Kernel k = batchedMatmul(op, c, in, out, unread);
            if (k != null) {
                return counted(op + "/batched", k);
            }
        }
        if (GraphPlan.ownArithmetic() && f instanceof DynamicCustomOp c
                && ("matmul".equals(op) || "matmul_bp".equals(op))) {
            Kernel k = gemm(op, c, in, out, unread);
            if (k != null) {
                return counted(op + "/gemm", k);
            }
        }
        if ("matmul_bp".equals(op) && f instanceof DynamicCustomOp c && in.length == 3 && out.length == 2
                && unread[0] != unread[1] && in[0].rank() >= 2 && in[1].rank() >= 2 && in[2].rank() >= 2) {
            return counted("matmul_bp/one", oneSidedMatmulBp(c, unread[0] ? 1 : 0, out));
        }
        if (GraphPlan.ownArithmetic() && f instanceof DynamicCustomOp c) {
            Kernel k = patchConv(op, c, in, out, unread, own);
            if (k != null) {
                return k;
            }
            if ("softmax".equals(op) || "softmax_bp".equals(op)) {
                k = OneDnnSoftmax.of(c, in, out);
                if (k != null) {
                    return counted(op + "/onednn", k);
                }
            }
            if ("conv2d".equals(op)) {
                k = FewChannelConv.of(c, in, out, own);
                if (k != null) {
                    return counted("conv2d/few-channels", k);
                }
                k = OneDnnConv.forward(c, in, out);
                if (k != null) {
                    return counted("conv2d/onednn", k);
                }
                k = FlippedConv.of(c, in, out, own);
                if (k != null) {
                    return counted("conv2d/flipped", k);
                }
            }
            if ("deconv2d".equals(op)) {
                k = FewChannelDeconv.of(c, in, out, own);
                if (k != null) {
                    return counted("deconv2d/few-channels", k);
                }
                k = OneDnnConv.forward(c, in, out);
                if (k != null) {
                    return counted("deconv2d/onednn", k);
                }
            }
            if ("deconv2d_bp".equals(op)) {
                k = OneDnnConv.backward(c, in, out, unread);
                if (k != null) {
                    return counted("deconv2d_bp/onednn", k);
                }
            }
            if ("conv2d_bp".equals(op)) {
                k = FewChannelDeconv.inputGradient(c, in, out, unread, own);
                if (k != null) {
                    return counted("conv2d_bp/input/few-channels", k);
                }
                k = FewChannelConvBp.of(c, in, out, unread, own);
                if (k != null) {
                    return counted("conv2d_bp/few-channels", k);
                }
                k = OneDnnConv.backward(c, in, out, unread);
                if (k != null) {
                    return counted("conv2d_bp/onednn", k);
                }
            }
        }
        if ("conv2d_bp".equals(op) && f instanceof DynamicCustomOp c && ConvInputGrad.applies(c, in, out, unread)) {
            INDArray shape = Nd4j.createFromArray(Arrays.stream(in[0].shape()).mapToInt(Math::toIntExact).toArray());
            own.accept(shape);
            return counted("conv2d_bp/input", new ConvInputGrad(c.iArgs(), shape, out[0]));
        }
        return null;
    }

    /**
     * {@link PatchConv} for a {@code conv2d} with a 1x1 kernel on one channel (inputs x, W and maybe b; output z) or
     * for a {@code conv2d_bp} whose input gradient nothing reads (inputs x, W, maybe b, dz; outputs dx, dW and maybe
     * db), or null; for the latter, but for a 1x1 kernel, {@link OneDnnConv}'s backward-weights primitive alone where
     * oneDNN's binding loads and the primitive reads the input's channels unpadded
     * ({@link OneDnnConv#padsWeightGradientInput()}).
     */
    private static Kernel patchConv(String op, DynamicCustomOp c, INDArray[] in, INDArray[] out, boolean[] unread,
            Consumer<INDArray> own) {
        boolean forward = "conv2d".equals(op) && (in.length == 2 || in.length == 3) && out.length == 1;
        boolean weights = "conv2d_bp".equals(op) && (in.length == 3 || in.length == 4) && out.length == in.length - 1
                && unread[0];
        if (!forward && !weights) {
            return null;
        }
        for (INDArray a : in) {
            if (!PatchConv.dense(a)) {
                return null;
            }
        }
        for (int i = weights ? 1 : 0; i < out.length; i++) {
            if (!PatchConv.dense(out[i])) {
                return null;
            }
        }
        PatchConv conv = PatchConv.of(c, in[0], in[1], forward ? out[0] : in[in.length - 1]);
        if (conv == null || forward && !conv.pointwise()) {
            return null;
        }
        if (weights && !conv.byLoops() && WEIGHTS_BY_ONEDNN) {
            // oneDNN's backward-weights primitive alone, called directly, where its binding loads: 3 to 8 times as
            // fast as the product over the batch (PatchConv's class comment), unless it pads the input's channels to
            // a block (one channel to eight on AVX2), where the product is faster
            Kernel k = OneDnnConv.backward(c, in, out, unread);
            if (k instanceof OneDnnConv o && o.padsWeightGradientInput()) {
                o.close();
                k = null;
            }
            if (k != null) {
                return counted("conv2d_bp/weights/onednn", k);
            }
        }
        return forward ? counted("conv2d/patch", conv.forward(out[0]))
                : counted("conv2d_bp/patch", conv.weightGradient(out[1], out.length > 2 ? out[2] : null, own));
    }

    /**
     * {@code -Djgan.graph.patchOneDnn=false}: a short patch's weight gradient by {@link PatchConv}'s product over the
     * batch even where {@link OneDnnConv} loads (for comparisons).
     */
    private static final boolean WEIGHTS_BY_ONEDNN = !"false".equals(System.getProperty("jgan.graph.patchOneDnn"));

    /** Elementwise ops of two operands that {@link Broadcasts.Collapsed} runs on merged axes. */
    private static final Set<String> ELEMENTWISE = Set.of("add", "subtract", "multiply", "divide");

    /**
     * One of the two products libnd4j's {@code matmul_bp} computes, with the arguments it passes them: for
     * {@code z = op(x) op(y)} (transposes tX, tY, tZ), {@code dx = matmul(dz, y; tZ, !tY, tX)} and
     * {@code dy = matmul(x, dz; !tX, tZ, tY)}, alpha and beta as the op's own.
     */
    private static Kernel oneSidedMatmulBp(DynamicCustomOp c, int read, INDArray[] out) {
        long[] ia = c.iArgs();
        int tX = ia != null && ia.length > 0 ? (int) ia[0] : 0;
        int tY = ia != null && ia.length > 1 ? (int) ia[1] : 0;
        int tZ = ia != null && ia.length > 2 ? (int) ia[2] : 0;
        double[] ta = c.tArgs();
        double alpha = ta != null && ta.length > 0 ? ta[0] : 1.0;
        double beta = ta != null && ta.length > 1 ? ta[1] : 0.0;
        int[] args = read == 0 ? new int[] {tZ, 1 - tY, tX} : new int[] {1 - tX, tZ, tY};
        Call call = new Call(DynamicCustomOp.builder("matmul").addIntegerArguments(args)
                .addFloatingPointArguments(alpha, beta).build(), out[read]);
        return single(call, read == 0 ? a -> new INDArray[] {a[2], a[1]} : a -> new INDArray[] {a[0], a[2]});
    }

    /**
     * {@link BatchedMatmul} for a {@code matmul} (inputs x, y; output z) or for the products of a {@code matmul_bp}
     * (inputs x, y, dz; outputs dx, dy) that are read, with the products {@link #oneSidedMatmulBp} names; null where
     * any of them does not apply or alpha and beta are not 1 and 0.
     */
    private static Kernel batchedMatmul(String op, DynamicCustomOp c, INDArray[] in, INDArray[] out,
            boolean[] unread) {
        long[] ia = c.iArgs();
        boolean tX = ia != null && ia.length > 0 && ia[0] != 0;
        boolean tY = ia != null && ia.length > 1 && ia[1] != 0;
        boolean tZ = ia != null && ia.length > 2 && ia[2] != 0;
        double[] ta = c.tArgs();
        if (ta != null && (ta.length > 0 && ta[0] != 1.0 || ta.length > 1 && ta[1] != 0.0)) {
            return null;
        }
        if ("matmul".equals(op) && in.length == 2 && out.length == 1) {
            BatchedMatmul z = BatchedMatmul.of(in[0], in[1], out[0], tX, tY, tZ);
            return z == null ? null : product(z);
        }
        if (!"matmul_bp".equals(op) || in.length != 3 || out.length != 2 || unread[0] && unread[1]) {
            return null;
        }
        BatchedMatmul dx = unread[0] ? null : BatchedMatmul.of(in[2], in[1], out[0], tZ, !tY, tX);
        BatchedMatmul dy = unread[1] ? null : BatchedMatmul.of(in[0], in[2], out[1], !tX, tZ, tY);
        if (dx == null && !unread[0] || dy == null && !unread[1]) {
            if (dx != null) {
                dx.close();
            }
            if (dy != null) {
                dy.close();
            }
            return null;
        }
        return gradients(dx, dy);
    }

    /**
     * {@link Gemm} for a 2-D {@code matmul} (inputs x, y; output z) or for the products of a {@code matmul_bp}
     * (inputs x, y, dz; outputs dx, dy) that are read, with the products {@link #oneSidedMatmulBp} names and the op's
     * alpha; null where any of them does not apply or beta is not 0.
     */
    private static Kernel gemm(String op, DynamicCustomOp c, INDArray[] in, INDArray[] out, boolean[] unread) {
        long[] ia = c.iArgs();
        boolean tX = ia != null && ia.length > 0 && ia[0] != 0;
        boolean tY = ia != null && ia.length > 1 && ia[1] != 0;
        boolean tZ = ia != null && ia.length > 2 && ia[2] != 0;
        double[] ta = c.tArgs();
        double alpha = ta != null && ta.length > 0 ? ta[0] : 1.0;
        if (ta != null && ta.length > 1 && ta[1] != 0.0) {
            return null;
        }
        if ("matmul".equals(op) && in.length == 2 && out.length == 1) {
            if (!Gemm.applies(in[0], in[1], out[0], tX, tY, tZ)) {
                return null;
            }
            return product(Gemm.of(tX, tY, tZ, alpha, out[0]));
        }
        if (!"matmul_bp".equals(op) || in.length != 3 || out.length != 2 || unread[0] && unread[1]
                || !unread[0] && !Gemm.applies(in[2], in[1], out[0], tZ, !tY, tX)
                || !unread[1] && !Gemm.applies(in[0], in[2], out[1], !tX, tZ, tY)) {
            return null;
        }
        Gemm dx = unread[0] ? null : Gemm.of(tZ, !tY, tX, alpha, out[0]);
        Gemm dy = unread[1] ? null : Gemm.of(!tX, tZ, tY, alpha, out[1]);
        return gradients(dx, dy);
    }

    /** A matrix product run on two operands ({@link Gemm}, {@link BatchedMatmul}). */
    interface Product {
        void run(INDArray a, INDArray b);

        void close();
    }

    /** A {@code matmul}'s kernel: z from its inputs x and y. */
    private static Kernel product(Product z) {
        return new Kernel() {
            @Override
            public void run(INDArray[] a) {
                z.run(a[0], a[1]);
            }

            @Override
            public void close() {
                z.close();
            }
        };
    }

    /**
     * A {@code matmul_bp}'s kernel from its inputs x, y and dz: {@code dx} from (dz, y) and {@code dy} from (x, dz),
     * the products {@link #oneSidedMatmulBp} names (either null where unread).
     */
    private static Kernel gradients(Product dx, Product dy) {
        return new Kernel() {
            @Override
            public void run(INDArray[] a) {
                if (dx != null) {
                    dx.run(a[2], a[1]);
                }
                if (dy != null) {
                    dy.run(a[0], a[2]);
                }
            }

            @Override
            public void close() {
                if (dx != null) {
                    dx.close();
                }
                if (dy != null) {
                    dy.close();
                }
            }
        };
    }

    static Kernel counted(String kind, Kernel k) {
        AtomicLong n = counter(kind);
        return new Kernel() {
            @Override
            public void run(INDArray[] in) {
                k.run(in);
                n.incrementAndGet();
            }

            @Override
            public void close() {
                k.close();
            }
        };
    }

    private static boolean sameShapeAndType(INDArray[] a) {
        for (INDArray x : a) {
            if (!Arrays.equals(x.shape(), a[0].shape()) || x.dataType() != a[0].dataType()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The input gradient of a 2-d convolution alone, by {@code deconv2d_tf}: inputs {@code (shape of x, W, dz)},
     * the convolution's own integer arguments (kernel, strides, padding, dilation, same mode, data format, weight
     * format), output {@code dx}. Only where its oneDNN kernel reads the arguments as {@code conv2d_bp} does: NCHW,
     * weights {@code [kH, kW, iC, oC]}, 32-bit floats, explicit padding, square output maps (the M2.1 kernel takes
     * the output width from the height), and an input size that the output size determines.
     */
    static final class ConvInputGrad implements Kernel {
        private final INDArray shape;
        private final Call call;

        static boolean applies(DynamicCustomOp c, INDArray[] in, INDArray[] out, boolean[] unread) {
            long[] a = c.iArgs();
            boolean paramsUnread = out.length >= 2 && unread[1] && (out.length < 3 || unread[2]);
            if (!paramsUnread || unread[0] || a == null || a.length < 10 || (in.length != 3 && in.length != 4)) {
                return false;
            }
            INDArray x = in[0];
            INDArray w = in[1];
            INDArray dz = in[in.length - 1];
            boolean nchw = a[9] == 0;
            boolean wFormat0 = a.length < 11 || a[10] == 0;
            boolean valid = a[8] == 0;
            if (!(nchw && wFormat0 && valid && x.rank() == 4 && w.rank() == 4 && dz.rank() == 4
                    && x.dataType() == DataType.FLOAT && w.dataType() == DataType.FLOAT
                    && dz.dataType() == DataType.FLOAT && out[0].dataType() == DataType.FLOAT
                    && dz.size(2) == dz.size(3))) {
                return false;
            }
            // deconv2d_tf takes the input size to be the one the output size gives back, (o - 1) s + k_eff - 2 p:
            // only where the strides cover the padded input exactly (6 and 5 both give 3 at k 3, s 2, p 1)
            return fits(x.size(2), a[0] > 0 ? a[0] : w.size(0), a[2], a[4], a[6], dz.size(2))
                    && fits(x.size(3), a[1] > 0 ? a[1] : w.size(1), a[3], a[5], a[7], dz.size(3));
        }

        /** Whether a transposed convolution of an {@code out}-sized map gives back {@code in}. */
        static boolean fits(long in, long kernel, long stride, long pad, long dilation, long out) {
            long effective = (kernel - 1) * dilation + 1;
            return stride > 0 && (out - 1) * stride + effective - 2 * pad == in;
        }

        ConvInputGrad(long[] iArgs, INDArray shape, INDArray dx) {
            this.shape = shape;
            this.call = new Call(DynamicCustomOp.builder("deconv2d_tf")
                    .addIntegerArguments(Arrays.stream(iArgs).mapToInt(Math::toIntExact).toArray()).build(), dx);
        }

        @Override
        public void run(INDArray[] in) {
            call.run(shape, in[1], in[in.length - 1]);
        }

        @Override
        public void close() {
            call.close();
        }
    }

    /**
     * The variance or standard deviation of a whole array ({@code var}, {@code std} to one element: DRAGAN's scale
     * {@code std(x)} over the batch), in double in two passes, the mean and then the sum of squared deviations over
     * {@code N} or, bias-corrected, {@code N - 1}, rounded to float once. libnd4j's summary-statistics kernel took
     * 0.21-0.22 ms on the penalty benchmark's {@code [32, 1, 28, 28]} batch (2-core Intel Xeon, AVX-512); another order
     * of sums than libnd4j's, so only with {@link GraphPlan#ownArithmetic(boolean)} on.
     */
    static final class WholeVariance implements Kernel {
        private final boolean biasCorrected;
        private final boolean root;
        private final INDArray out;
        private float[] values = new float[0];

        /** A legacy {@code var} or {@code std} of one float array (no axes input) to one float element. */
        static boolean applies(DifferentialFunction f, INDArray[] in, INDArray[] out) {
            return f instanceof Variance && ("std".equals(f.opName()) || "var".equals(f.opName()))
                    && in.length == 1 && out.length == 1 && out[0].length() == 1 && in[0].length() > 0
                    && in[0].length() <= Integer.MAX_VALUE / 4 && in[0].dataType() == DataType.FLOAT
                    && out[0].dataType() == DataType.FLOAT;
        }

        WholeVariance(boolean biasCorrected, boolean root, INDArray out) {
            this.biasCorrected = biasCorrected;
            this.root = root;
            this.out = out;
        }

        @Override
        public void run(INDArray[] in) {
            int n = (int) in[0].length();
            if (values.length != n) {
                values = new float[n];
            }
            GraphPlan.readFloats(in[0], values, n);
            out.putScalar(0, (float) of(values, n, biasCorrected, root));
        }

        /** The variance (or its square root) of the first {@code n} values, in double. */
        static double of(float[] values, int n, boolean biasCorrected, boolean root) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += values[i];
            }
            double mean = sum / n;
            double squares = 0;
            for (int i = 0; i < n; i++) {
                double d = values[i] - mean;
                squares += d * d;
            }
            // libnd4j's bias-corrected variance of one element is 0
            double variance = n == 1 ? 0 : squares / (biasCorrected ? n - 1 : n);
            return root ? Math.sqrt(variance) : variance;
        }
    }

    /**
     * The backward pass of a broadcasting product {@code z = x * y} as two products and a sum:
     * {@code dx = sum(dz * y)} and {@code dy = sum(dz * x)}, each summed over the axes along which its operand was
     * broadcast, each only where it is read. libnd4j's {@code multiply_bp} computes exactly this (the same bits:
     * {@code GraphPlanTest}) but takes 25 to 35 ms on a {@code [32, 32, 32, 32]} gradient with a per-channel or
     * per-pixel operand, against 0.8 ms for equal shapes and 1.5 to 3.5 ms here (2-core AMD EPYC); StyleGAN's noise
     * inputs, WGAN-GP's interpolation weights and batch norm's per-channel scale are such products.
     */
    static final class BroadcastMulBp implements Kernel {
        private final Part dx;
        private final Part dy;

        /** A {@code multiply_bp} whose two operands differ in shape: inputs x, y, dz; outputs dx, dy. */
        static boolean applies(INDArray[] args) {
            return !Arrays.equals(args[0].shape(), args[1].shape())
                    && args[0].dataType() == args[2].dataType() && args[1].dataType() == args[2].dataType()
                    && Arrays.equals(broadcast(args[0].shape(), args[1].shape()), args[2].shape());
        }

        /** The shape of a product of operands of these shapes (NumPy's rule), or null when they do not broadcast. */
        private static long[] broadcast(long[] a, long[] b) {
            int rank = Math.max(a.length, b.length);
            long[] out = new long[rank];
            for (int d = 0; d < rank; d++) {
                long da = d < rank - a.length ? 1 : a[d - (rank - a.length)];
                long db = d < rank - b.length ? 1 : b[d - (rank - b.length)];
                if (da != db && da != 1 && db != 1) {
                    return null;
                }
                out[d] = Math.max(da, db);
            }
            return out;
        }

        BroadcastMulBp(long[] x, long[] y, long[] dz, INDArray tmp, INDArray[] out, boolean[] unread,
                Consumer<INDArray> own) {
            this.dx = unread[0] ? null : new Part(x, y, dz, out[0], tmp, own);
            this.dy = unread[1] ? null : new Part(y, x, dz, out[1], tmp, own);
        }

        @Override
        public void run(INDArray[] in) {
            if (dx != null) {
                dx.run(in[2], in[1]);
            }
            if (dy != null) {
                dy.run(in[2], in[0]);
            }
        }

        @Override
        public void close() {
            for (Part part : new Part[] {dx, dy}) {
                if (part != null) {
                    part.close();
                }
            }
        }

        /** The gradient of one operand: dz times the other operand, summed over the operand's broadcast axes. */
        private static final class Part {
            private final INDArray out;
            /**
             * The operand's gradient viewed with the gradient's rank (the operand's shape with leading 1s): the same
             * buffer for the plan's arrays.
             */
            private final INDArray view;
            /** Whether the view is the output's memory (else each call copies it back). */
            private final boolean shared;
            /**
             * dz times the other operand, into the view or (with axes to sum over) the scratch array, on views with
             * merged axes where that lowers the rank ({@link Broadcasts}: the same bits, faster).
             */
            private final Call product;
            private final Broadcasts.Views productViews;
            /** The product (full shape) that the sum reads. */
            private final INDArray tmp;
            /** The sum over the operand's broadcast axes into the view (null: none, or by matrix products). */
            private final Call sum;
            /** The sum by matrix products into the output ({@link GraphPlan#ownArithmetic}; null: none or libnd4j's). */
            private final Broadcasts.MatrixSum matrix;

            Part(long[] operand, long[] other, long[] full, INDArray out, INDArray tmp, Consumer<INDArray> own) {
                long[] padded = Broadcasts.padded(full, operand);
                List<Integer> sum = new ArrayList<>();
                for (int d = 0; d < full.length; d++) {
                    if (padded[d] == 1 && full[d] != 1) {
                        sum.add(d);
                    }
                }
                int[] axes = sum.stream().mapToInt(Integer::intValue).toArray();
                this.out = out;
                this.tmp = tmp;
                this.view = out.reshape(padded);
                // a reshape of the plan's dense arrays shares their buffer (the view's data buffer is another object
                // on the same memory, so compare addresses: until 2026-12-03 every call copied the view back)
                this.shared = view.data().address() == out.data().address() && view.offset() == out.offset();
                INDArray target = axes.length == 0 ? view : tmp;
                long[][] merged = Broadcasts.collapse(full, full, other);
                INDArray mergedTarget = merged == null || merged[0].length >= full.length ? null
                        : Broadcasts.outputView(target, merged[0]);
                this.productViews = mergedTarget == null ? null : new Broadcasts.Views(merged[1], merged[2]);
                this.product = new Call(DynamicCustomOp.builder("multiply").build(),
                        mergedTarget == null ? target : mergedTarget);
                this.matrix = axes.length == 0 || !GraphPlan.ownArithmetic() ? null
                        : Broadcasts.MatrixSum.of(full, padded, out, 1.0, own);
                this.sum = axes.length == 0 || matrix != null ? null : new Call(new Sum(tmp, view, true, axes), view);
            }

            void run(INDArray dz, INDArray other) {
                if (productViews != null) {
                    product.run(productViews.of(dz, other));
                } else {
                    product.run(dz, other);
                }
                if (matrix != null) {
                    matrix.run(tmp);
                    return;
                }
                if (sum != null) {
                    sum.run(tmp);
                }
                if (!shared) {
                    out.assign(view.reshape(out.shape()));
                }
            }

            void close() {
                product.close();
                if (sum != null) {
                    sum.close();
                }
                if (matrix != null) {
                    matrix.close();
                }
            }
        }
    }
}
