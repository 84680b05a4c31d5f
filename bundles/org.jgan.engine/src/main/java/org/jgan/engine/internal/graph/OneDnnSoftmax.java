package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.softmax_backward;
import org.bytedeco.dnnl.softmax_forward;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
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
 */
final class OneDnnSoftmax implements Replacements.Kernel {

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnSoftmax.class);

    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.oneDnnSoftmax"));

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

    private OneDnnSoftmax(long[] shape, int axis, INDArray out, boolean gradient) {
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
        forward = keep(new softmax_forward(fpd));
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
            scratchBytes = md.get_size();
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
            return new OneDnnSoftmax(a.shape(), (int) axis, out[0], gradient);
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
        INDArray xa = PatchConv.readable(in[0]);
        x.set_data_handle(xAt.at(address(xa)));
        if (backward == null) {
            y.set_data_handle(yAt.at(address(out)));
            forward.execute(s, forwardArgs);
        } else {
            INDArray dya = PatchConv.readable(in[1]);
            y.set_data_handle(yAt.at(OneDnnConv.Scratch.reserve(scratchBytes)));
            dy.set_data_handle(dyAt.at(address(dya)));
            dx.set_data_handle(dxAt.at(address(out)));
            forward.execute(s, forwardArgs);
            backward.execute(s, backwardArgs);
            Reference.reachabilityFence(dya);
        }
        Reference.reachabilityFence(xa);
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }
}
