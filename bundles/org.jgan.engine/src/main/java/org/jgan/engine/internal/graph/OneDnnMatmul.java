package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A batched matrix product {@code z[s] = op(a[s]) op(b[s])} (rank 3; {@code op} a transpose or not) as one call of
 * oneDNN's matmul primitive over the whole batch, made once per plan (bytedeco's binding, as {@link OneDnnConv}):
 * the operands' layouts are the primitive's memory descriptors (a transpose is a swap of two strides), z in dense C
 * order.
 *
 * <p>Why: {@link BatchedMatmul} runs one {@code dnnl_sgemm} per matrix, each on both cores; SAGAN's attention's
 * products are skinny ({@code [256, 4] x [4, 256]}, {@code [4, 256] x [256, 256]} and their transposes, 32 or 64 of
 * them a call) and bound by reading or writing the {@code [256, 256]} matrices, and the primitive splits the batch's
 * work over the cores instead. Alone on the 2-core AMD EPYC (Zen 4), with the caches flushed between calls, per
 * product: with AVX-512 (oneDNN's {@code brg:avx512_core}) 0.47-0.84 against 0.60-2.07 ms for
 * {@code [32, 256, 4] x [32, 4, 256]}, 0.59-0.70 against 0.93-1.96 ms for {@code [64, 4, 256] x [64, 256, 256]},
 * 0.80-1.01 against 0.64-1.12 ms for {@code [32, 4, 256] x [32, 256, 256]^T} (the one case slower); held to AVX2
 * ({@code gemm:jit}) 0.44-1.54 against 0.64-3.64 ms on the six products of the attention's two passes
 * (docs/architectures.md). The sums of the products over 256 terms may run in another order than
 * {@link BatchedMatmul}'s (a few units in the last place), so plans use it only with
 * {@link GraphPlan#ownArithmetic(boolean)}, as they do {@link BatchedMatmul}.
 *
 * <p>A call whose operands come in other layouts than the arrays the primitive was made for (a plan binds its first
 * call's arrays; a later call may hand a view of the same shape) is not run: {@link #run} returns false and the
 * caller runs its products matrix by matrix. {@code -Djgan.graph.oneDnnMatmul=false}: never made.
 */
final class OneDnnMatmul {

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnMatmul.class);

    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.oneDnnMatmul"));

    private final List<Pointer> owned = new ArrayList<>();
    private final matmul primitive;
    private final IntMemoryMap args;
    private final memory a;
    private final memory b;
    private final memory z;
    private final OneDnnConv.Address aAt = new OneDnnConv.Address();
    private final OneDnnConv.Address bAt = new OneDnnConv.Address();
    private final OneDnnConv.Address zAt = new OneDnnConv.Address();
    /** The operands' shapes and strides (as stored) and z, which the primitive was made for. */
    private final long[] aShape;
    private final long[] aStride;
    private final long[] bShape;
    private final long[] bStride;
    private final INDArray out;

    private OneDnnMatmul(INDArray a, boolean tA, INDArray b, boolean tB, INDArray z) {
        this.out = z;
        aShape = a.shape();
        aStride = a.stride();
        bShape = b.shape();
        bStride = b.stride();
        memory.desc ad = keep(desc(aShape, aStride, tA));
        memory.desc bd = keep(desc(bShape, bStride, tB));
        memory.desc zd = keep(desc(z.shape(), z.stride(), false));
        matmul.primitive_desc pd = keep(new matmul.primitive_desc(keep(new matmul.desc(ad, bd, zd)),
                OneDnnConv.Cpu.ENGINE));
        primitive = keep(new matmul(pd));
        this.a = keep(new memory(ad, OneDnnConv.Cpu.ENGINE, new Pointer()));
        this.b = keep(new memory(bd, OneDnnConv.Cpu.ENGINE, new Pointer()));
        this.z = keep(new memory(zd, OneDnnConv.Cpu.ENGINE, new Pointer()));
        args = keep(new IntMemoryMap());
        args.put(dnnl.DNNL_ARG_SRC, this.a);
        args.put(dnnl.DNNL_ARG_WEIGHTS, this.b);
        args.put(dnnl.DNNL_ARG_DST, this.z);
    }

    /** Sets whether plans compiled from now on make this kernel; returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * The primitive for {@code z = op(a) op(b)} on floats of rank 3 (shapes as {@link BatchedMatmul#of} checked them),
     * z dense in C order, or null where it is off, oneDNN's engine does not load or makes no primitive for the case.
     */
    static OneDnnMatmul of(INDArray a, boolean tA, INDArray b, boolean tB, INDArray z) {
        if (!enabled || a.dataType() != DataType.FLOAT || b.dataType() != DataType.FLOAT
                || z.dataType() != DataType.FLOAT || a.rank() != 3 || b.rank() != 3 || z.rank() != 3
                || !PatchConv.dense(z) || !OneDnnConv.available()) {
            return null;
        }
        try {
            return new OneDnnMatmul(a, tA, b, tB, z);
        } catch (RuntimeException e) {
            LOG.debug("oneDNN has no matmul primitive for this case; the products run matrix by matrix", e);
            return null;
        }
    }

    /** A stored {@code [B, r, c]} array as the matrices {@code [B, r, c]}, or {@code [B, c, r]} transposed. */
    private static memory.desc desc(long[] shape, long[] stride, boolean t) {
        long[] dims = t ? new long[] {shape[0], shape[2], shape[1]} : shape.clone();
        long[] strides = t ? new long[] {stride[0], stride[2], stride[1]} : stride.clone();
        return new memory.desc(dims, memory.data_type.f32, strides);
    }

    private <T extends Pointer> T keep(T p) {
        owned.add(p);
        return p;
    }

    /**
     * Writes {@code op(a) op(b)} to z where a and b are laid out as the primitive's arrays were; false (nothing run)
     * where they are not.
     */
    boolean run(INDArray a, INDArray b) {
        if (!Arrays.equals(a.shape(), aShape) || !Arrays.equals(a.stride(), aStride)
                || !Arrays.equals(b.shape(), bShape) || !Arrays.equals(b.stride(), bStride)) {
            return false;
        }
        this.a.set_data_handle(aAt.at(a.data().addressPointer().address()));
        this.b.set_data_handle(bAt.at(b.data().addressPointer().address()));
        z.set_data_handle(zAt.at(out.data().addressPointer().address()));
        stream s = OneDnnConv.Cpu.STREAMS.get();
        primitive.execute(s, args);
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        return true;
    }

    void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }
}
