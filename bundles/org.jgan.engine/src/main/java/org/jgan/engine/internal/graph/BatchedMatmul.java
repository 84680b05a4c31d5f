package org.jgan.engine.internal.graph;

import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batched matrix product {@code z[s] = op(x[s]) op(y[s])} (rank 3, {@code op} a transpose or not) as one 2-D
 * {@code matmul} per matrix of the batch, for {@code matmul} and both products of {@code matmul_bp}.
 *
 * <p>libnd4j 1.0.0-M2.1 hands a {@code matmul} to oneDNN only for rank 2 (its oneDNN check asks {@code rank < 3}); a
 * batch runs {@code cblas_sgemm} matrix by matrix, on OpenBLAS, which on the skinny products of SAGAN's attention
 * ({@code [256, 4] x [4, 256]}, {@code [4, 256] x [256, 256]} and their transposes, 32 of them) reaches about 10
 * GFLOP/s. oneDNN's matmul on the same matrices one by one takes 0.35 to 0.8 of the time (measured per product on the
 * 2-core AMD EPYC, AVX-512: 0.48 against 0.86 ms for {@code [32, 256, 4] x [32, 4, 256]}, 0.45-0.52 against 1.28-1.31
 * ms for the products over 256 positions; see docs/architectures.md). Its sums run in an order of its own (its
 * products over 256 terms differ from OpenBLAS's in the last bits), so plans use this kernel only with
 * {@link GraphPlan#ownArithmetic(boolean)}.
 *
 * <p>A product whose z is to be transposed ({@code tZ}) is computed as {@code z = op'(y) op'(x)} with the operands'
 * transposes flipped. Each matrix of the batch is a {@link Gemm} bound to its slice of z ({@code dnnl_sgemm} on the
 * slices' memory since 2026-12-06; until then libnd4j's 2-D {@code matmul}, about 7 microseconds a call beyond
 * the arithmetic, through an op context per matrix); the slices of the inputs are views made again only when the
 * plan hands other input arrays. Since 2026-12-07 the whole batch runs as one call of oneDNN's matmul primitive
 * ({@link OneDnnMatmul}) where oneDNN makes one for the operands' layouts, and matrix by matrix otherwise.
 */
final class BatchedMatmul implements Replacements.Product {

    /** Fewest multiply-adds per matrix for which the calls one by one pay (about 15 microseconds a call). */
    static final long MIN_WORK = 1L << 16;
    /** Most matrices in a batch (one call each). */
    static final long MAX_BATCH = 256;

    /** {@code -Djgan.graph.batchedMatmul=false}: libnd4j's batched {@code matmul} (for comparisons). */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.batchedMatmul"));

    /** The kind {@link Replacements#calls} counts the whole-batch primitive's calls under. */
    static final String ONEDNN = "batched/onednn";

    private final int batch;
    /** Whether the operands are passed as (y, x): z was to be transposed. */
    private final boolean swap;
    /** oneDNN's matmul over the whole batch, or null: then (and for operands in other layouts) matrix by matrix. */
    private final OneDnnMatmul whole;
    private final AtomicLong wholeCalls = Replacements.counter(ONEDNN);
    private final Gemm[] calls;
    private final INDArray[][] slices;
    private INDArray lastX;
    private INDArray lastY;

    private BatchedMatmul(int batch, boolean swap, boolean tA, boolean tB, INDArray a, INDArray b, INDArray z) {
        this.batch = batch;
        this.swap = swap;
        this.calls = products(tA, tB, z, batch);
        this.slices = new INDArray[batch][];
        this.whole = OneDnnMatmul.of(a, tA, b, tB, z);
    }

    /**
     * A 2-d {@code matmul} per matrix of z ({@link #product} on {@link #slice}), the first {@code batch} of them; those
     * made are closed again if one fails.
     */
    static Gemm[] products(boolean tA, boolean tB, INDArray z, int batch) {
        Gemm[] calls = new Gemm[batch];
        try {
            for (int s = 0; s < batch; s++) {
                calls[s] = product(tA, tB, slice(z, s));
            }
        } catch (RuntimeException e) {
            for (Gemm c : calls) {
                if (c != null) {
                    c.close();
                }
            }
            throw e;
        }
        return calls;
    }

    /** Sets whether plans compiled from now on use this kernel; returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * The product {@code z = op(x) op(y)} of float arrays of rank 3 with one batch axis, or null where it does not
     * apply (other ranks or types, shapes that do not match, too little work per matrix or too many matrices).
     */
    static BatchedMatmul of(INDArray x, INDArray y, INDArray z, boolean tX, boolean tY, boolean tZ) {
        long[] xs = x.shape();
        long[] ys = y.shape();
        long[] zs = z.shape();
        if (!enabled || x.dataType() != DataType.FLOAT || y.dataType() != DataType.FLOAT
                || z.dataType() != DataType.FLOAT
                || xs.length != 3 || ys.length != 3 || zs.length != 3 || xs[0] != ys[0] || xs[0] != zs[0]
                || xs[0] < 2 || xs[0] > MAX_BATCH || !PatchConv.dense(z)) {
            return null;
        }
        long[] a = tZ ? ys : xs;
        long[] b = tZ ? xs : ys;
        boolean tA = tZ ? !tY : tX;
        boolean tB = tZ ? !tX : tY;
        long m = tA ? a[2] : a[1];
        long k = tA ? a[1] : a[2];
        long n = tB ? b[1] : b[2];
        if (k != (tB ? b[2] : b[1]) || m != zs[1] || n != zs[2] || m * n * k < MIN_WORK) {
            return null;
        }
        return new BatchedMatmul((int) xs[0], tZ, tA, tB, tZ ? y : x, tZ ? x : y, z);
    }

    /** A 2-D {@code matmul} of the operands it is run on (each transposed or not) into {@code z}. */
    static Gemm product(boolean tA, boolean tB, INDArray z) {
        return Gemm.of(tA, tB, z);
    }

    /**
     * Matrix {@code s} of a rank-3 array, a view. Not {@code a.get(point(s), all(), all())}: on a view at an offset
     * (samples 1 to 4 of a batch of 5, say) ND4J 1.0.0-M2.1 returns an empty array for the last matrix, whose absolute
     * offset it compares with the view's length ({@code FewChannelConvBpTest}).
     */
    static INDArray slice(INDArray a, int s) {
        return a.tensorAlongDimension(s, 1, 2);
    }

    /** Writes {@code op(x) op(y)} (the arrays of this call; shapes as at {@link #of}) to z. */
    @Override
    public void run(INDArray x, INDArray y) {
        if (whole != null && whole.run(swap ? y : x, swap ? x : y)) {
            wholeCalls.incrementAndGet();
            return;
        }
        if (x != lastX || y != lastY) {
            INDArray a = swap ? y : x;
            INDArray b = swap ? x : y;
            for (int s = 0; s < batch; s++) {
                slices[s] = new INDArray[] {slice(a, s), slice(b, s)};
            }
            lastX = x;
            lastY = y;
        }
        for (int s = 0; s < batch; s++) {
            calls[s].run(slices[s][0], slices[s][1]);
        }
    }

    @Override
    public void close() {
        if (whole != null) {
            whole.close();
        }
        for (Gemm c : calls) {
            if (c != null) {
                c.close();
            }
        }
    }
}
