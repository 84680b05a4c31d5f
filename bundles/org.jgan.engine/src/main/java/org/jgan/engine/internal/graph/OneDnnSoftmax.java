package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.softmax_backward;
import org.bytedeco.dnnl.softmax_forward;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code softmax} along an axis, {@code y[.., i, ..] = exp(x[.., i, ..]) / sum_j exp(x[.., j, ..])}, and its gradient
 * {@code softmax_bp} (inputs x and dy), {@code dx = y (dy - sum_j dy_j y_j)}, through oneDNN's own softmax primitives
 * made once per plan (bytedeco's binding, as {@link OneDnnConv}): the forward primitive on x into y; for the
 * gradient, the forward primitive into a temporary y (the thread's scratch buffer that {@link OneDnnConv} shares) and
 * the backward primitive from y and dy.
 *
 * <p>Why: libnd4j 1.0.0-M2.1 runs the same oneDNN kernels (the same bits, seen on SAGAN's {@code [32, 256, 256]}), but
 * makes their descriptors and primitives anew around every call and, for {@code softmax_bp}, allocates the forward's
 * result anew each time: alone on the 2-core AMD EPYC with AVX-512 (Zen 4), {@code [32, 256, 256]} along its last axis
 * (SAGAN's attention), {@code softmax} 0.76-0.81 ms a call against 0.55 for the primitive, {@code softmax_bp} 0.92-1.06
 * against 0.21-0.29 for the backward primitive alone; inside SAGAN's iteration libnd4j's {@code softmax_bp} took
 * 2.2-4.7 ms a call (per-op profile), 8% of the iteration's op time (docs/architectures.md). oneDNN's choice of
 * kernel need not be libnd4j's for every shape, so plans use this kernel only with
 * {@link GraphPlan#ownArithmetic(boolean)}.
 *
 * <p>Taken: 32-bit floats, the output in dense C order (an input in another layout is read from a dense copy),
 * rank 1 to 6, the axis as the op's integer argument (the last one where it has none); oneDNN's engine must load
 * ({@link OneDnnConv#available}). {@code -Djgan.graph.oneDnnSoftmax=false} leaves both ops to libnd4j.
 *
 * <p>The gradient from the forward pass's y ({@link FromOutput}): where a plan computes {@code y = softmax(x)} itself,
 * along the same axis, it gives {@code softmax_bp} y instead of x ({@link #fromOutputs}), as PyTorch's and oneDNN's
 * backward passes take it, and the kernel runs the backward primitive alone: no second forward pass into a temporary
 * (the same primitive on the same x wrote the plan's y, so dx has the same bits). In SAGAN's iteration
 * (2-core AMD EPYC, Zen 4; op profiles of alternating processes) the three {@code softmax_bp} calls took 10.8-14.4 ms
 * with y recomputed from x (8 MB that had left the caches, and 8 MB more written), 2.2-4.0 ms from the forward's y;
 * the plan keeps y instead of x until the gradient, one array of the same size.
 * {@code -Djgan.graph.softmaxFromOutput=false}: x as before.
 */
final class OneDnnSoftmax implements Replacements.Kernel {

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnSoftmax.class);

    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.oneDnnSoftmax"));

    private static volatile boolean fromOutput = !"false".equals(System.getProperty("jgan.graph.softmaxFromOutput"));

    /** The kinds {@link Replacements#calls} counts {@link FromOutput}'s kernels under: oneDNN's, and ND4J's ops. */
    static final String FROM_OUTPUT = "softmax_bp/onednn/from-output";
    static final String FROM_OUTPUT_OPS = "softmax_bp/from-output";

    /** Tests: {@link FromOutput}'s kernel by ND4J's ops even where oneDNN's primitive would run. */
    static volatile boolean forcedOps;

    private final List<Pointer> owned = new ArrayList<>();
    private final primitive forward;
    private final IntMemoryMap forwardArgs;
    /** The backward primitive and its arguments (null for a forward kernel). */
    private final primitive backward;
    private final IntMemoryMap backwardArgs;
    private final memory x;
    private final memory y;
    private final memory dy;
    private final memory dx;
    private final OneDnnConv.Address xAt = new OneDnnConv.Address();
    private final OneDnnConv.Address yAt = new OneDnnConv.Address();
    private final OneDnnConv.Address dyAt = new OneDnnConv.Address();
    private final OneDnnConv.Address dxAt = new OneDnnConv.Address();
    /** The output array: y, or dx for the gradient. */
    private final INDArray out;
    /** The bytes of the temporary y of a gradient (0 for a forward kernel). */
    private final long scratchBytes;

    /** Whether a gradient kernel takes y as its first input ({@link FromOutput}) instead of computing it from x. */
    private final boolean givenY;

    private OneDnnSoftmax(long[] shape, int axis, INDArray out, boolean gradient, boolean givenY) {
        this.givenY = givenY;
        this.out = out;
        long[] strides = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= shape[d];
        }
        memory.desc md = keep(new memory.desc(shape, memory.data_type.f32, strides));
        softmax_forward.primitive_desc fpd = keep(new softmax_forward.primitive_desc(
                keep(new softmax_forward.desc(dnnl.prop_kind.forward_training, md, axis)), OneDnnConv.Cpu.ENGINE));
        // the gradient from y needs the forward primitive's descriptor only (oneDNN's hint for the backward one)
        forward = givenY ? null : keep(new softmax_forward(fpd));
        x = keep(new memory(md, OneDnnConv.Cpu.ENGINE, new Pointer()));
        y = keep(new memory(md, OneDnnConv.Cpu.ENGINE, new Pointer()));
        forwardArgs = keep(new IntMemoryMap());
        forwardArgs.put(dnnl.DNNL_ARG_SRC, x);
        forwardArgs.put(dnnl.DNNL_ARG_DST, y);
        if (gradient) {
            softmax_backward.primitive_desc bpd = keep(new softmax_backward.primitive_desc(
                    keep(new softmax_backward.desc(md, md, axis)), OneDnnConv.Cpu.ENGINE, fpd));
            backward = keep(new softmax_backward(bpd));
            dy = keep(new memory(md, OneDnnConv.Cpu.ENGINE, new Pointer()));
            dx = keep(new memory(md, OneDnnConv.Cpu.ENGINE, new Pointer()));
            backwardArgs = keep(new IntMemoryMap());
            backwardArgs.put(dnnl.DNNL_ARG_DST, y);
            backwardArgs.put(dnnl.DNNL_ARG_DIFF_DST, dy);
            backwardArgs.put(dnnl.DNNL_ARG_DIFF_SRC, dx);
            scratchBytes = givenY ? 0 : md.get_size();
        } else {
            backward = null;
            backwardArgs = null;
            dy = dx = null;
            scratchBytes = 0;
        }
    }

    /** Turns the kernel on or off for plans made from now on (tests, comparisons); returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * Turns {@link FromOutput} on or off for plans compiled from now on (tests, comparisons); returns the setting
     * before.
     */
    static boolean fromOutput(boolean on) {
        boolean was = fromOutput;
        fromOutput = on;
        return was;
    }

    /**
     * The kernel for a {@code softmax} (input x, output y) or a {@code softmax_bp} (inputs x, dy; output dx), or null
     * where it does not apply (see the class comment) or oneDNN makes no primitive for the case.
     */
    static OneDnnSoftmax of(DynamicCustomOp c, INDArray[] in, INDArray[] out) {
        String op = c.opName();
        boolean gradient = "softmax_bp".equals(op);
        if (!enabled || !("softmax".equals(op) || gradient) || in.length != (gradient ? 2 : 1) || out.length != 1) {
            return null;
        }
        INDArray a = in[0];
        int rank = a.rank();
        for (INDArray t : new INDArray[] {a, gradient ? in[1] : a, out[0]}) {
            if (t.dataType() != DataType.FLOAT || t.isEmpty() || !Arrays.equals(t.shape(), a.shape())) {
                return null;
            }
        }
        if (!PatchConv.dense(out[0])) {
            return null;
        }
        long[] ia = c.iArgs();
        if (rank < 1 || rank > 6 || ia != null && ia.length > 1) {
            return null;
        }
        long axis = ia == null || ia.length == 0 ? rank - 1 : ia[0] < 0 ? ia[0] + rank : ia[0];
        if (axis < 0 || axis >= rank || !OneDnnConv.available()) {
            return null;
        }
        try {
            return new OneDnnSoftmax(a.shape(), (int) axis, out[0], gradient, false);
        } catch (RuntimeException e) {
            LOG.debug("oneDNN has no softmax primitive for this case; libnd4j's op runs", e);
            return null;
        }
    }

    private <T extends Pointer> T keep(T p) {
        owned.add(p);
        return p;
    }

    private static long address(INDArray a) {
        return a.data().addressPointer().address();
    }

    @Override
    public void run(INDArray[] in) {
        stream s = OneDnnConv.Cpu.STREAMS.get();
        // x, or y for the gradient from the forward pass's output (FromOutput)
        INDArray first = PatchConv.readable(in[0]);
        if (backward == null) {
            x.set_data_handle(xAt.at(address(first)));
            y.set_data_handle(yAt.at(address(out)));
            forward.execute(s, forwardArgs);
        } else {
            INDArray dya = PatchConv.readable(in[1]);
            dy.set_data_handle(dyAt.at(address(dya)));
            dx.set_data_handle(dxAt.at(address(out)));
            if (givenY) {
                y.set_data_handle(yAt.at(address(first)));
            } else {
                x.set_data_handle(xAt.at(address(first)));
                y.set_data_handle(yAt.at(OneDnnConv.Scratch.reserve(scratchBytes)));
                forward.execute(s, forwardArgs);
            }
            backward.execute(s, backwardArgs);
            Reference.reachabilityFence(dya);
        }
        Reference.reachabilityFence(first);
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }

    /**
     * {@code order} (a plan's ops in their order) with each {@code softmax_bp(x, dy)} whose {@code softmax(x)} along
     * the same axis comes earlier in it replaced by {@link FromOutput}{@code (y, dy)}, so that the plan keeps y for
     * the gradient instead of x. Only with this kernel on (and {@link #fromOutput(boolean)}), on floats, where oneDNN's
     * engine loads: its backward primitive is what gives the same bits as the gradient from x.
     */
    static List<SameDiffOp> fromOutputs(SameDiff sd, List<SameDiffOp> order) {
        if (!enabled || !fromOutput) {
            return order;
        }
        List<SameDiffOp> result = null;
        for (int i = 0; i < order.size(); i++) {
            SameDiffOp b = order.get(i);
            List<String> in = b.getInputsToOp();
            if (!(b.getOp() instanceof DynamicCustomOp bp) || !"softmax_bp".equals(bp.opName()) || in == null
                    || in.size() != 2 || b.getOutputsOfOp().size() != 1
                    || in.stream().anyMatch(v -> sd.getVariable(v).dataType() != DataType.FLOAT)) {
                continue;
            }
            String y = null;
            for (int j = 0; j < i && y == null; j++) {
                SameDiffOp f = order.get(j);
                if (f.getOp() instanceof DynamicCustomOp c && "softmax".equals(c.opName())
                        && f.getInputsToOp() != null && f.getInputsToOp().size() == 1
                        && f.getInputsToOp().get(0).equals(in.get(0)) && f.getOutputsOfOp().size() == 1
                        && Arrays.equals(c.iArgs(), bp.iArgs())) {
                    y = f.getOutputsOfOp().get(0);
                }
            }
            if (y == null || !OneDnnConv.available()) {
                continue;
            }
            FromOutput op = new FromOutput(bp.iArgs());
            String name = b.getName() + "/from-output";
            op.setOwnName(name);
            if (result == null) {
                result = new ArrayList<>(order);
            }
            result.set(i, SameDiffOp.builder().name(name).op(op).inputsToOp(new ArrayList<>(List.of(y, in.get(1))))
                    .outputsOfOp(new ArrayList<>(b.getOutputsOfOp())).build());
        }
        return result == null ? order : result;
    }

    /**
     * {@code softmax_bp} from the forward pass's output: inputs y and dy, output {@code dx = y (dy - sum_j dy_j y_j)}
     * along the axis of its integer argument (the last where it has none). Only plans run it, by
     * {@link #kernel(FromOutput, INDArray[], INDArray[], Consumer)}; its name in op profiles is {@code softmax_bp}'s.
     */
    static final class FromOutput extends DynamicCustomOp {

        private FromOutput(long[] iArgs) {
            if (iArgs != null && iArgs.length > 0) {
                addIArgument(iArgs);
            }
        }

        @Override
        public String opName() {
            return "softmax_bp";
        }

        /** dx has dy's shape. */
        @Override
        public List<LongShapeDescriptor> calculateOutputShape(OpContext oc) {
            INDArray dy = oc.getInputArrays().get(1);
            return List.of(LongShapeDescriptor.fromShape(dy.shape(), dy.dataType()));
        }
    }

    /**
     * {@link FromOutput}'s kernel: oneDNN's backward primitive on y, or, where oneDNN makes none for the case (or the
     * output is not dense), ND4J's ops for the same formula: {@code dx = y (dy - sum(dy y))}, the sum along the axis
     * kept as a dimension of one.
     */
    static Replacements.Kernel kernel(FromOutput op, INDArray[] in, INDArray[] out, Consumer<INDArray> own) {
        INDArray yArr = in[0];
        int rank = yArr.rank();
        long[] ia = op.iArgs();
        long axis = ia.length == 0 ? rank - 1 : ia[0] < 0 ? ia[0] + rank : ia[0];
        if (!forcedOps && PatchConv.dense(out[0]) && rank >= 1 && rank <= 6 && ia.length <= 1 && axis >= 0
                && axis < rank && Arrays.equals(yArr.shape(), in[1].shape())) {
            try {
                return Replacements.counted(FROM_OUTPUT, new OneDnnSoftmax(yArr.shape(), (int) axis, out[0], true,
                        true));
            } catch (RuntimeException e) {
                LOG.debug("oneDNN has no softmax backward primitive for this case; ND4J's ops run", e);
            }
        }
        int ax = (int) axis;
        INDArray product = Nd4j.createUninitializedDetached(yArr.dataType(), yArr.shape());
        long[] kept = yArr.shape().clone();
        kept[ax] = 1;
        INDArray sums = Nd4j.createUninitializedDetached(yArr.dataType(), kept);
        own.accept(product);
        own.accept(sums);
        return Replacements.counted(FROM_OUTPUT_OPS, new Replacements.Kernel() {
            @Override
            public void run(INDArray[] args) {
                Nd4j.exec(new MulOp(args[1], args[0], product));
                Nd4j.exec(new Sum(product, sums, true, ax));
                Nd4j.exec(new SubOp(args[1], sums, product));
                Nd4j.exec(new MulOp(product, args[0], out[0]));
            }

            @Override
            public void close() {
            }
        });
    }
}
