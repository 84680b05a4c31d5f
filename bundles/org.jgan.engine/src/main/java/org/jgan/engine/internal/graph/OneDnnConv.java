package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.deconvolution_backward_data;
import org.bytedeco.dnnl.deconvolution_backward_weights;
import org.bytedeco.dnnl.deconvolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 2-d convolution ({@code conv2d}) or transposed convolution ({@code deconv2d}) and its gradients
 * ({@code conv2d_bp}, {@code deconv2d_bp}) through oneDNN's own primitives, called directly (bytedeco's binding of
 * oneDNN 2.5.2, embedded in the ND4J bundle) with everything a call needs made once, when the plan is compiled: the
 * primitive descriptors, the primitives, the memory objects and the reorders between the plan's NCHW arrays and the
 * blocked layouts oneDNN picks; a call sets the arrays' addresses, reorders into the blocked copies (one scratch
 * buffer per thread, shared by every kernel), executes and reorders back. The convolution is
 * {@code z[i, o, y, x] = b[o] + sum_{ky, kx, c} W[ky, kx, c, o] x[i, c, y sH - pH + ky dH, x sW - pW + kx dW]}
 * (zero outside x); its gradients are {@code dx}, the transposed convolution of dz by W,
 * {@code dW[ky, kx, c, o] = sum_{i, y, x} dz[i, o, y, x] x[i, c, y sH - pH + ky dH, x sW - pW + kx dW]} and
 * {@code db[o] = sum dz[i, o, ., .]}. The transposed convolution is that convolution's adjoint (weights
 * {@code [kH, kW, oC, iC]}); oneDNN's deconvolution primitives take the same strides and paddings.
 *
 * <p>Why: libnd4j 1.0.0-M2.1 makes oneDNN's memory and primitive descriptors anew around every call, allocates the
 * blocked copies each time and, for {@code conv2d}, runs the forward primitive on NHWC with the output reordered
 * before and after (see {@link FlippedConv}). On small maps that work is as large as the convolution: on the 2-core
 * AMD EPYC (AVX-512), BigGAN's discriminator's {@code [64, 32, 8, 8]} 3x3 convolution took 0.39-0.52 ms a call through
 * {@link FlippedConv} and 0.30-0.34 ms here, its {@code conv2d_bp} 0.80-1.09 ms against 0.69-0.77 ms here
 * (docs/architectures.md). The convolution's algorithm is oneDNN's choice ({@code convolution_auto}: Winograd's
 * F(4x4, 3x3) for 3x3 kernels at stride 1 where oneDNN deems it faster), which rounds differently from a direct
 * convolution, so plans use this kernel only with {@link GraphPlan#ownArithmetic(boolean)}.
 *
 * <p>Taken: NCHW, weights {@code [kH, kW, iC, oC]} ({@code [kH, kW, oC, iC]} transposed), floats, any stride and
 * dilation, explicit padding or SAME mode, a bias or none, arrays in dense C order (an input that is not, at a call, is
 * copied). The plans' other convolution kernels come first where they apply (a 1x1 kernel on one channel, few output
 * channels); oneDNN's own library must load and ND4J's backend be the CPU's, else {@link FlippedConv} and libnd4j run
 * as before. {@code -Djgan.graph.oneDnnConv=false} turns it off.
 */
final class OneDnnConv implements Replacements.Kernel {

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnConv.class);

    private static final dnnl.algorithm CONVOLUTION = dnnl.algorithm.convolution_auto;
    private static final dnnl.algorithm DECONVOLUTION = dnnl.algorithm.deconvolution_direct;

    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.oneDnnConv"));

    /** The CPU engine and a stream per thread, made on first use; null where oneDNN's library does not load. */
    static final class Cpu {
        static final engine ENGINE = open();
        static final ThreadLocal<stream> STREAMS = ThreadLocal.withInitial(() -> new stream(ENGINE));

        private static engine open() {
            try {
                if (!Nd4j.getEnvironment().isCPU()) {
                    return null;
                }
                return new engine(engine.kind.cpu, 0);
            } catch (Throwable t) {
                LOG.warn("oneDNN's own binding did not load ({}); convolutions run through libnd4j", t.toString());
                return null;
            }
        }
    }

    /** Whether oneDNN's engine could be made (once; false after a failure to load). */
    static boolean available() {
        try {
            return Cpu.ENGINE != null;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Sets whether plans compiled from now on use this kernel; returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * libnd4j's integer arguments {@code [kH, kW, sH, sW, pH, pW, dH, dW, same, format, weightFormat]} as oneDNN's
     * strides, dilations (oneDNN counts from 0) and paddings on each side, for input x, weights W and output z of a
     * convolution or, {@code transposed}, of a transposed convolution (whose geometry is the convolution's from z to
     * x: oneDNN's deconvolution takes the same paddings); null where this kernel does not take them (see the class
     * comment) or the sizes do not match.
     */
    static long[][] geometry(long[] a, INDArray x, INDArray w, INDArray z, boolean transposed) {
        if (a == null || a.length < 10 || a[9] != 0 || (a.length > 10 && a[10] != 0) || (a[8] != 0 && a[8] != 1)
                || a[2] < 1 || a[3] < 1 || a[6] < 1 || a[7] < 1 || x.rank() != 4 || w.rank() != 4 || z.rank() != 4
                || x.dataType() != DataType.FLOAT || w.dataType() != DataType.FLOAT
                || z.dataType() != DataType.FLOAT) {
            return null;
        }
        long kh = w.size(0);
        long kw = w.size(1);
        // the convolution's input and output: x and z, or z and x for the transposed one (weights [kH, kW, oC, iC])
        INDArray large = transposed ? z : x;
        INDArray small = transposed ? x : z;
        if ((a[0] > 0 && a[0] != kh) || (a[1] > 0 && a[1] != kw) || w.size(2) != large.size(1)
                || w.size(3) != small.size(1) || z.size(0) != x.size(0)) {
            return null;
        }
        long[] in = {large.size(2), large.size(3)};
        long[] out = {small.size(2), small.size(3)};
        long[] k = {kh, kw};
        long[] left = new long[2];
        long[] right = new long[2];
        for (int d = 0; d < 2; d++) {
            long stride = a[2 + d];
            long extent = (k[d] - 1) * a[6 + d] + 1;
            long expected = a[8] == 1 ? (in[d] + stride - 1) / stride : (in[d] + 2 * a[4 + d] - extent) / stride + 1;
            left[d] = a[8] == 1 ? ((expected - 1) * stride + extent - in[d]) / 2 : a[4 + d];
            right[d] = (out[d] - 1) * stride + extent - in[d] - left[d];
            if (out[d] != expected || left[d] < 0 || right[d] < 0) {
                return null;
            }
        }
        return new long[][] {{a[2], a[3]}, {a[6] - 1, a[7] - 1}, left, right};
    }

    /** A 0 address that {@link #bind} points at an array: one object per memory, no allocation per call. */
    static final class Address extends Pointer {
        Address at(long a) {
            address = a;
            return this;
        }
    }

    /**
     * The blocked copies' memory of the kernels run on one thread: they are temporaries of a call (made from the
     * plan's arrays before the primitive, copied back after it), so every kernel on the thread shares one buffer the
     * size of the largest kernel's copies, not one of its own each (BigGAN's plans hold about a hundred kernels).
     * {@link OneDnnSoftmax}'s gradient keeps its recomputed forward result here too.
     */
    static final class Scratch {
        private static final ThreadLocal<Scratch> THREADS = ThreadLocal.withInitial(Scratch::new);
        /** JavaCPP's memory: freed when replaced, or by JavaCPP's deallocator once the thread has ended. */
        private BytePointer buffer;
        private long capacity;

        /** The 64-byte aligned start of at least {@code bytes} bytes, valid until the next call on this thread. */
        static long reserve(long bytes) {
            Scratch s = THREADS.get();
            if (bytes > s.capacity) {
                if (s.buffer != null) {
                    s.buffer.close();
                }
                s.buffer = new BytePointer(bytes + ALIGNMENT);
                s.capacity = bytes;
            }
            return align(s.buffer.address());
        }
    }

    private static final long ALIGNMENT = 64;

    private static long align(long at) {
        return (at + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /**
     * One argument: the plan's array as oneDNN memory in its own layout ({@code user}) and, where the primitive wants
     * another, oneDNN's copy (in the thread's {@link Scratch}, at {@code offset}) and the reorder between them.
     */
    private static final class Arg {
        final memory user;
        final memory inner;
        final reorder move;
        final boolean in;
        final long bytes;
        long offset;
        final Address address = new Address();
        final Address innerAddress = new Address();

        Arg(memory.desc userDesc, memory.desc wanted, boolean in) {
            this.in = in;
            user = new memory(userDesc, Cpu.ENGINE, new Pointer());
            if (userDesc.equals(wanted)) {
                inner = user;
                move = null;
                bytes = 0;
            } else {
                inner = new memory(wanted, Cpu.ENGINE, new Pointer());
                move = in ? new reorder(user, inner) : new reorder(inner, user);
                bytes = wanted.get_size();
            }
        }

        /** Points the user memory at {@code a} (dense, C order; checked when the plan was compiled). */
        void bind(INDArray a) {
            user.set_data_handle(address.at(a.data().addressPointer().address()));
        }

        /** Points the blocked copy, if any, at its place in the scratch buffer starting at {@code base}. */
        void place(long base) {
            if (move != null) {
                inner.set_data_handle(innerAddress.at(base + offset));
            }
        }

        void before(stream s) {
            if (in && move != null) {
                move.execute(s, user, inner);
            }
        }

        void after(stream s) {
            if (!in && move != null) {
                move.execute(s, inner, user);
            }
        }

        void close() {
            if (move != null) {
                move.close();
                inner.close();
            }
            user.close();
        }
    }

    private final List<Pointer> owned = new ArrayList<>();
    private final primitive forward;
    private final IntMemoryMap forwardArgs;
    private final primitive data;
    private final IntMemoryMap dataArgs;
    private final primitive weights;
    private final IntMemoryMap weightsArgs;
    private final Arg x;
    private final Arg w;
    private final Arg bias;
    private final Arg z;
    private final Arg dz;
    private final Arg dzForWeights;
    private final Arg wForData;
    private final Arg xForWeights;
    private final Arg dx;
    private final Arg dw;
    private final Arg db;
    private final INDArray[] outputs;
    /** A transposed convolution ({@code deconv2d}, {@code deconv2d_bp}) rather than a convolution. */
    private final boolean transposed;
    /** Every argument, and the bytes their blocked copies take in the scratch buffer. */
    private final Arg[] args;
    private final long scratchBytes;

    /**
     * The kernel: forward (inputs x, W[, b]; output z) or, with {@code backward}, the gradients that are read
     * (inputs x, W[, b], dz; outputs dx, dW[, db]).
     */
    private OneDnnConv(long[][] g, boolean transposed, INDArray[] in, INDArray[] out, boolean backward,
            boolean[] unread) {
        this.transposed = transposed;
        outputs = out;
        INDArray wa = in[1];
        boolean hasBias = backward ? in.length == 4 : in.length == 3;
        long[] xd = in[0].shape();
        long[] zd = (backward ? in[in.length - 1] : out[0]).shape();
        // oneDNN's weights are [output channels, input channels, kH, kW] of the primitive (the transposed
        // convolution's output channels are its weights' axis 2), described here by the array's strides
        int oAxis = transposed ? 2 : 3;
        int iAxis = transposed ? 3 : 2;
        long[] wd = {wa.size(oAxis), wa.size(iAxis), wa.size(0), wa.size(1)};
        long[] strides = {wa.size(1) * wa.size(2) * wa.size(3), wa.size(2) * wa.size(3), wa.size(3), 1};
        long[] ws = {strides[oAxis], strides[iAxis], strides[0], strides[1]};
        memory.desc ux = keep(new memory.desc(xd, memory.data_type.f32, memory.format_tag.nchw));
        memory.desc uz = keep(new memory.desc(zd, memory.data_type.f32, memory.format_tag.nchw));
        memory.desc uw = keep(new memory.desc(wd, memory.data_type.f32, ws));
        memory.desc ub = keep(new memory.desc(new long[] {wd[0]}, memory.data_type.f32, memory.format_tag.x));
        Descriptors d = new Descriptors(g, keep(new memory.desc(xd, memory.data_type.f32, memory.format_tag.any)),
                keep(new memory.desc(wd, memory.data_type.f32, memory.format_tag.any)),
                keep(new memory.desc(zd, memory.data_type.f32, memory.format_tag.any)), ub);
        primitive_desc_base fpd = forwardDesc(d, hasBias);
        if (!backward) {
            x = new Arg(ux, fpd.src_desc(), true);
            w = new Arg(uw, fpd.weights_desc(), true);
            bias = hasBias ? new Arg(ub, ub, true) : null;
            z = new Arg(uz, fpd.dst_desc(), false);
            forward = keep(transposed ? new deconvolution_forward((deconvolution_forward.primitive_desc) fpd)
                    : new convolution_forward((convolution_forward.primitive_desc) fpd));
            forwardArgs = keep(new IntMemoryMap());
            forwardArgs.put(dnnl.DNNL_ARG_SRC, x.inner);
            forwardArgs.put(dnnl.DNNL_ARG_WEIGHTS, w.inner);
            if (bias != null) {
                forwardArgs.put(dnnl.DNNL_ARG_BIAS, bias.inner);
            }
            forwardArgs.put(dnnl.DNNL_ARG_DST, z.inner);
            data = weights = null;
            dataArgs = weightsArgs = null;
            dz = dzForWeights = wForData = xForWeights = dx = dw = db = null;
            args = new Arg[] {x, w, bias, z};
            scratchBytes = layOut(args);
            return;
        }
        forward = null;
        forwardArgs = null;
        x = w = bias = z = null;
        if (!unread[0]) {
            primitive_desc_base dpd = dataDesc(d, fpd);
            dz = new Arg(uz, dpd.diff_dst_desc(), true);
            wForData = new Arg(uw, dpd.weights_desc(), true);
            dx = new Arg(ux, dpd.diff_src_desc(), false);
            data = keep(transposed
                    ? new deconvolution_backward_data((deconvolution_backward_data.primitive_desc) dpd)
                    : new convolution_backward_data((convolution_backward_data.primitive_desc) dpd));
            dataArgs = keep(new IntMemoryMap());
            dataArgs.put(dnnl.DNNL_ARG_DIFF_DST, dz.inner);
            dataArgs.put(dnnl.DNNL_ARG_WEIGHTS, wForData.inner);
            dataArgs.put(dnnl.DNNL_ARG_DIFF_SRC, dx.inner);
        } else {
            dz = wForData = dx = null;
            data = null;
            dataArgs = null;
        }
        boolean biasRead = hasBias && !unread[2];
        if (!unread[1] || biasRead) {
            primitive_desc_base wpd = weightsDesc(d, biasRead, fpd);
            xForWeights = new Arg(ux, wpd.src_desc(), true);
            // the output gradient's copy in the backward-data primitive's layout serves both where they agree
            dzForWeights = dz != null && dz.inner.get_desc().equals(wpd.diff_dst_desc()) ? null
                    : new Arg(uz, wpd.diff_dst_desc(), true);
            dw = new Arg(uw, wpd.diff_weights_desc(), false);
            db = biasRead ? new Arg(ub, ub, false) : null;
            weights = keep(transposed
                    ? new deconvolution_backward_weights((deconvolution_backward_weights.primitive_desc) wpd)
                    : new convolution_backward_weights((convolution_backward_weights.primitive_desc) wpd));
            weightsArgs = keep(new IntMemoryMap());
            weightsArgs.put(dnnl.DNNL_ARG_SRC, xForWeights.inner);
            weightsArgs.put(dnnl.DNNL_ARG_DIFF_DST, dzForWeights != null ? dzForWeights.inner : dz.inner);
            weightsArgs.put(dnnl.DNNL_ARG_DIFF_WEIGHTS, dw.inner);
            if (db != null) {
                weightsArgs.put(dnnl.DNNL_ARG_DIFF_BIAS, db.inner);
            }
        } else {
            xForWeights = dzForWeights = dw = db = null;
            weights = null;
            weightsArgs = null;
        }
        args = new Arg[] {dz, wForData, dx, xForWeights, dzForWeights, dw, db};
        scratchBytes = layOut(args);
    }

    /**
     * The geometry and the memory descriptors of a primitive's source (x), weights and destination (z) in layouts of
     * oneDNN's choice, and the bias's.
     */
    private record Descriptors(long[][] g, memory.desc x, memory.desc w, memory.desc z, memory.desc bias) {
    }

    /**
     * The forward primitive's descriptor: the convolution by {@code convolution_auto} (oneDNN picks Winograd where
     * it deems it faster), the transposed convolution by {@code deconvolution_direct} (oneDNN has no automatic
     * choice for it).
     */
    private primitive_desc_base forwardDesc(Descriptors d, boolean withBias) {
        long[][] g = d.g();
        dnnl.prop_kind training = dnnl.prop_kind.forward_training;
        if (transposed) {
            deconvolution_forward.desc desc = keep(withBias
                    ? new deconvolution_forward.desc(training, DECONVOLUTION, d.x(), d.w(), d.bias(), d.z(), g[0],
                            g[1], g[2], g[3])
                    : new deconvolution_forward.desc(training, DECONVOLUTION, d.x(), d.w(), d.z(), g[0], g[1], g[2],
                            g[3]));
            return keep(new deconvolution_forward.primitive_desc(desc, Cpu.ENGINE));
        }
        convolution_forward.desc desc = keep(withBias
                ? new convolution_forward.desc(training, CONVOLUTION, d.x(), d.w(), d.bias(), d.z(), g[0], g[1], g[2],
                        g[3])
                : new convolution_forward.desc(training, CONVOLUTION, d.x(), d.w(), d.z(), g[0], g[1], g[2], g[3]));
        return keep(new convolution_forward.primitive_desc(desc, Cpu.ENGINE));
    }

    /** The backward-data primitive's descriptor (dx from dz), with the forward one as its hint. */
    private primitive_desc_base dataDesc(Descriptors d, primitive_desc_base hint) {
        long[][] g = d.g();
        if (transposed) {
            deconvolution_backward_data.desc desc = keep(new deconvolution_backward_data.desc(DECONVOLUTION, d.x(),
                    d.w(), d.z(), g[0], g[1], g[2], g[3]));
            return keep(new deconvolution_backward_data.primitive_desc(desc, Cpu.ENGINE,
                    (deconvolution_forward.primitive_desc) hint));
        }
        convolution_backward_data.desc desc = keep(new convolution_backward_data.desc(CONVOLUTION, d.x(), d.w(),
                d.z(), g[0], g[1], g[2], g[3]));
        return keep(new convolution_backward_data.primitive_desc(desc, Cpu.ENGINE,
                (convolution_forward.primitive_desc) hint));
    }

    /** The backward-weights primitive's descriptor (dW and, with {@code withBias}, db from x and dz). */
    private primitive_desc_base weightsDesc(Descriptors d, boolean withBias, primitive_desc_base hint) {
        long[][] g = d.g();
        if (transposed) {
            deconvolution_backward_weights.desc desc = keep(withBias
                    ? new deconvolution_backward_weights.desc(DECONVOLUTION, d.x(), d.w(), d.bias(), d.z(), g[0],
                            g[1], g[2], g[3])
                    : new deconvolution_backward_weights.desc(DECONVOLUTION, d.x(), d.w(), d.z(), g[0], g[1], g[2],
                            g[3]));
            return keep(new deconvolution_backward_weights.primitive_desc(desc, Cpu.ENGINE,
                    (deconvolution_forward.primitive_desc) hint));
        }
        convolution_backward_weights.desc desc = keep(withBias
                ? new convolution_backward_weights.desc(CONVOLUTION, d.x(), d.w(), d.bias(), d.z(), g[0], g[1], g[2],
                        g[3])
                : new convolution_backward_weights.desc(CONVOLUTION, d.x(), d.w(), d.z(), g[0], g[1], g[2], g[3]));
        return keep(new convolution_backward_weights.primitive_desc(desc, Cpu.ENGINE,
                (convolution_forward.primitive_desc) hint));
    }

    /** Gives each blocked copy its aligned place in the scratch buffer; returns the bytes they take in all. */
    private static long layOut(Arg[] args) {
        long total = 0;
        for (Arg a : args) {
            if (a != null && a.bytes > 0) {
                a.offset = align(total);
                total = a.offset + a.bytes;
            }
        }
        return total;
    }

    private <T extends Pointer> T keep(T p) {
        owned.add(p);
        return p;
    }

    /** Whether {@code op} is a transposed convolution's ({@code deconv2d}, {@code deconv2d_bp}). */
    private static boolean transposed(DynamicCustomOp c) {
        return c.opName().startsWith("deconv2d");
    }

    /**
     * The kernel for a {@code conv2d} or {@code deconv2d} with inputs {@code (x, W[, b])} and output z, or null where
     * it does not apply (see the class comment; also a bias of another shape than the output channels', arrays not
     * in dense C order).
     */
    static Replacements.Kernel forward(DynamicCustomOp c, INDArray[] in, INDArray[] out) {
        if (!enabled || (in.length != 2 && in.length != 3) || out.length != 1 || !dense(in) || !dense(out)) {
            return null;
        }
        boolean transposed = transposed(c);
        long[][] g = geometry(c.iArgs(), in[0], in[1], out[0], transposed);
        if (g == null || in.length == 3 && !isBias(in[2], out[0]) || !available()) {
            return null;
        }
        return make(g, transposed, in, out, false, new boolean[1]);
    }

    /**
     * The kernel for a {@code conv2d_bp} or {@code deconv2d_bp} with inputs {@code (x, W[, b], dz)} and outputs
     * {@code (dx, dW[, db])} computing those that are read, or null where it does not apply (as {@link #forward}) or
     * nothing is read.
     */
    static Replacements.Kernel backward(DynamicCustomOp c, INDArray[] in, INDArray[] out, boolean[] unread) {
        if (!enabled || (in.length != 3 && in.length != 4) || out.length != in.length - 1 || !dense(in)) {
            return null;
        }
        boolean any = false;
        for (int i = 0; i < out.length; i++) {
            if (!unread[i]) {
                any = true;
                if (!PatchConv.dense(out[i]) || !Arrays.equals(out[i].shape(), in[i].shape())) {
                    return null;
                }
            }
        }
        boolean transposed = transposed(c);
        INDArray dz = in[in.length - 1];
        long[][] g = geometry(c.iArgs(), in[0], in[1], dz, transposed);
        if (!any || g == null || in.length == 4 && !isBias(in[2], dz) || !available()) {
            return null;
        }
        return make(g, transposed, in, out, true, unread);
    }

    /** The kernel, or null (libnd4j's op runs) where oneDNN refuses to make its primitives for the case. */
    private static OneDnnConv make(long[][] g, boolean transposed, INDArray[] in, INDArray[] out, boolean backward,
            boolean[] unread) {
        try {
            return new OneDnnConv(g, transposed, in, out, backward, unread);
        } catch (RuntimeException e) {
            LOG.debug("oneDNN has no primitive for this case; libnd4j's op runs", e);
            return null;
        }
    }

    /** A bias of the output's channels (z's or dz's axis 1). */
    private static boolean isBias(INDArray b, INDArray z) {
        return b.dataType() == DataType.FLOAT && b.rank() == 1 && b.length() == z.size(1);
    }

    private static boolean dense(INDArray[] arrays) {
        for (INDArray a : arrays) {
            if (!PatchConv.dense(a)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void run(INDArray[] in) {
        stream s = Cpu.STREAMS.get();
        if (scratchBytes > 0) {
            long base = Scratch.reserve(scratchBytes);
            for (Arg a : args) {
                if (a != null) {
                    a.place(base);
                }
            }
        }
        // dense copies where an input is not as it was when the plan was compiled, held until the calls return
        INDArray[] read = new INDArray[in.length];
        for (int i = 0; i < in.length; i++) {
            read[i] = PatchConv.readable(in[i]);
        }
        if (forward != null) {
            x.bind(read[0]);
            w.bind(read[1]);
            if (bias != null) {
                bias.bind(read[2]);
            }
            z.bind(outputs[0]);
            x.before(s);
            w.before(s);
            forward.execute(s, forwardArgs);
            z.after(s);
        } else {
            INDArray dzArray = read[in.length - 1];
            if (data != null) {
                dz.bind(dzArray);
                wForData.bind(read[1]);
                dx.bind(outputs[0]);
                dz.before(s);
                wForData.before(s);
                data.execute(s, dataArgs);
                dx.after(s);
            }
            if (weights != null) {
                xForWeights.bind(read[0]);
                if (dzForWeights != null) {
                    dzForWeights.bind(dzArray);
                    dzForWeights.before(s);
                }
                dw.bind(outputs[1]);
                if (db != null) {
                    db.bind(outputs[2]);
                }
                xForWeights.before(s);
                weights.execute(s, weightsArgs);
                dw.after(s);
            }
        }
        Reference.reachabilityFence(read);
        Reference.reachabilityFence(outputs);
    }

    /**
     * Whether the backward-weights primitive reads x in a layout whose channels are padded to a block: oneDNN 2.5's
     * AVX2 kernels take a one-channel input as eight channels (source {@code aBcd8b}, seven of them zeros), its
     * AVX-512 kernels read it as it is ({@code abcd}, their first-layer kernel), as they do three channels on AVX2.
     */
    boolean padsWeightGradientInput() {
        return xForWeights != null && xForWeights.bytes > xForWeights.user.get_desc().get_size();
    }

    @Override
    public void close() {
        for (Arg a : args) {
            if (a != null) {
                a.close();
            }
        }
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }
}
