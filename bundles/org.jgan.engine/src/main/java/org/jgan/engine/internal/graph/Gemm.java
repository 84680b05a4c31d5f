package org.jgan.engine.internal.graph;

import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 2-D float matrix product {@code z = alpha op(a) op(b)} ({@code op} a transpose or not; z itself transposed or
 * not) by oneDNN's {@code dnnl_sgemm}, called directly on the arrays' memory through bytedeco's binding of oneDNN
 * 2.5.2 (the binding {@link OneDnnConv} calls).
 *
 * <p>libnd4j 1.0.0-M2.1 runs a 2-D {@code matmul} through oneDNN's matmul primitive with a fixed cost of about 7
 * microseconds a call beyond the arithmetic: {@code [64, 128] x [128, 128]} (the ring MLP's hidden layer) took 35-45
 * microseconds a call through the plans' op contexts and 13-24 by {@code dnnl_sgemm}; {@code [64, 2] x [2, 128]}
 * 7.5-8.4 against 0.8-0.9; {@code [64, 512] x [512, 1024]}, where the arithmetic dominates, 335-358 against 321-346 (a
 * loop of 3,000 calls each, 2-core AMD EPYC with AVX-512; see docs/architectures.md). {@code dnnl_sgemm} runs on the
 * OpenMP threads libnd4j runs on (one runtime: oneDNN's libgomp resolves to the one ND4J loaded). OpenBLAS's
 * {@code cblas_sgemm}, tried instead on 2026-12-03 and 12-04, fought libgomp's threads for the cores on two threads
 * and gained nothing on one; it was not kept. Products whose matrices hold at most {@link #ALONE_FLOATS} floats run on
 * the calling thread alone, where a second thread costs more than it brings ({@link OpenMpTeam}).
 *
 * <p>An operand is read where it lies: row-major with a leading dimension (C order, a row range, a column range of a
 * C-order matrix) or column-major (F order, a transposed view), which is the row-major transpose; a layout that is
 * neither, a failure of {@code dnnl_sgemm} or a binding that does not load leave the call to libnd4j's
 * {@code matmul}, made once with the same arguments. The sums run in oneDNN's order, not OpenBLAS's or libnd4j's, so
 * plans use it only with {@link GraphPlan#ownArithmetic(boolean)}. {@code -Djgan.graph.gemm=false} turns it off.
 */
final class Gemm implements Replacements.Product {

    private static final Logger LOG = LoggerFactory.getLogger(Gemm.class);

    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.graph.gemm"));

    /**
     * Products whose three matrices hold at most this many floats together (256 KB) run on the calling thread alone
     * ({@link OpenMpTeam}), unless {@code -Djgan.graph.gemmAlone=false}.
     */
    static final long ALONE_FLOATS = 1L << 16;

    private static volatile boolean alone = !"false".equals(System.getProperty("jgan.graph.gemmAlone"));

    /** Products that ran on one thread ({@link #ALONE_FLOATS}), process-wide. */
    private static final AtomicLong ALONE = Replacements.counter("gemm/alone");

    /** Products by {@code dnnl_sgemm} and by libnd4j's {@code matmul}, process-wide ({@link GraphPlan#kernelCalls}). */
    private static final AtomicLong DIRECT = Replacements.counter("gemm/sgemm");
    private static final AtomicLong FALLBACK = Replacements.counter("gemm/libnd4j");

    /** Whether oneDNN's binding loads and ND4J runs on the CPU (once; false after a failure). */
    private static final class Binding {
        static final boolean LOADED = load();

        private static boolean load() {
            try {
                if (!Nd4j.getEnvironment().isCPU()) {
                    return false;
                }
                Loader.load(dnnl.class);
                return true;
            } catch (Throwable t) {
                LOG.warn("oneDNN's own binding did not load ({}); matrix products run through libnd4j", t.toString());
                return false;
            }
        }
    }

    /** Whether products made from now on call {@code dnnl_sgemm}. */
    static boolean available() {
        try {
            return enabled && Binding.LOADED;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Sets whether products made from now on call {@code dnnl_sgemm}; returns the setting before. */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * Sets whether products of at most {@link #ALONE_FLOATS} floats run on the calling thread alone; the setting before
     * (tests and benchmarks).
     */
    static boolean alone(boolean on) {
        boolean was = alone;
        alone = on;
        return was;
    }

    /** A float pointer whose address is set per call: one object per operand, no allocation per call. */
    private static final class Address extends FloatPointer {
        Address at(long a) {
            address = a;
            return this;
        }
    }

    private final boolean tA;
    private final boolean tB;
    private final boolean tZ;
    /** Kept as given: libnd4j's fallback takes it as a double, {@code dnnl_sgemm} as a float. */
    private final double alpha;
    private final INDArray z;
    private final boolean direct;
    /** z's {@link #layout}, fixed with z (0 where not {@link #direct}). */
    private final long lz;
    private final Address pa = new Address();
    private final Address pb = new Address();
    private final Address pz = new Address();
    /** libnd4j's {@code matmul} with the same arguments, made at the first call that needs it. */
    private Replacements.Call fallback;
    private long fallbacks;

    private Gemm(boolean tA, boolean tB, boolean tZ, double alpha, INDArray z, boolean direct) {
        this.tA = tA;
        this.tB = tB;
        this.tZ = tZ;
        this.alpha = alpha;
        this.z = z;
        this.direct = direct;
        this.lz = direct ? layout(z) : 0;
    }

    /**
     * The product {@code z = alpha op(a) op(b)}, or with {@code tZ} its transpose, into the float matrix z (the
     * operands given at each {@link #run}); by libnd4j's {@code matmul} where the binding is off or does not load, or
     * z is not a float matrix.
     */
    static Gemm of(boolean tA, boolean tB, boolean tZ, double alpha, INDArray z) {
        return new Gemm(tA, tB, tZ, alpha, z, available() && z.rank() == 2 && z.dataType() == DataType.FLOAT);
    }

    /** {@link #of(boolean, boolean, boolean, double, INDArray)} with z not transposed and alpha 1. */
    static Gemm of(boolean tA, boolean tB, INDArray z) {
        return of(tA, tB, false, 1.0, z);
    }

    /**
     * Whether {@code z = op(x) op(y)} (then transposed with {@code tZ}) of these shapes is a product this class runs
     * with {@code dnnl_sgemm}: float matrices whose sizes match, none empty.
     */
    static boolean applies(INDArray x, INDArray y, INDArray z, boolean tX, boolean tY, boolean tZ) {
        if (!available() || x.rank() != 2 || y.rank() != 2 || z.rank() != 2 || x.dataType() != DataType.FLOAT
                || y.dataType() != DataType.FLOAT || z.dataType() != DataType.FLOAT) {
            return false;
        }
        long m = tX ? x.size(1) : x.size(0);
        long k = tX ? x.size(0) : x.size(1);
        long n = tY ? y.size(0) : y.size(1);
        long zRows = tZ ? z.size(1) : z.size(0);
        long zCols = tZ ? z.size(0) : z.size(1);
        return m > 0 && n > 0 && k > 0 && k == (tY ? y.size(1) : y.size(0)) && zRows == m && zCols == n;
    }

    /**
     * The leading dimension of a matrix read as row-major ({@code > 0}: its rows lie {@code ld} elements apart, its
     * elements contiguous), as column-major ({@code < 0}: {@code -ld}, the row-major layout of its transpose), or 0
     * where it is neither.
     */
    static long layout(INDArray a) {
        long rows = a.size(0);
        long cols = a.size(1);
        long s0 = a.stride(0);
        long s1 = a.stride(1);
        if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= Math.max(cols, 1))) {
            return rows == 1 ? Math.max(cols, 1) : s0;
        }
        if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= Math.max(rows, 1))) {
            return -(cols == 1 ? Math.max(rows, 1) : s1);
        }
        return 0;
    }

    /** The number of calls so far that took libnd4j's {@code matmul} (a layout sgemm cannot read, say). */
    long fallbacks() {
        return fallbacks;
    }

    /** Writes the product of {@code a} and {@code b} (shapes as when made) to z. */
    @Override
    public void run(INDArray a, INDArray b) {
        if (direct && sgemm(a, b)) {
            DIRECT.incrementAndGet();
            return;
        }
        fallbacks++;
        FALLBACK.incrementAndGet();
        if (fallback == null) {
            fallback = new Replacements.Call(DynamicCustomOp.builder("matmul")
                    .addIntegerArguments(tA ? 1 : 0, tB ? 1 : 0, tZ ? 1 : 0)
                    .addFloatingPointArguments(alpha, 0.0).build(), z);
        }
        fallback.run(a, b);
    }

    /** The product by {@code dnnl_sgemm} if the three layouts allow it; false if they do not or it failed. */
    private boolean sgemm(INDArray a, INDArray b) {
        if (a.rank() != 2 || b.rank() != 2 || a.dataType() != DataType.FLOAT || b.dataType() != DataType.FLOAT) {
            return false;
        }
        long la = layout(a);
        long lb = layout(b);
        if (la == 0 || lb == 0 || lz == 0) {
            return false;
        }
        // each operand as the row-major memory of itself (flag as asked) or of its transpose (flag flipped)
        boolean ta = tA != la < 0;
        boolean tb = tB != lb < 0;
        long m = tA ? a.size(1) : a.size(0);
        long k = tA ? a.size(0) : a.size(1);
        long n = tB ? b.size(0) : b.size(1);
        if (k != (tB ? b.size(1) : b.size(0)) || (tZ ? z.size(1) : z.size(0)) != m
                || (tZ ? z.size(0) : z.size(1)) != n || m == 0 || n == 0 || k == 0) {
            return false;
        }
        // z = op(a) op(b) in row-major memory; or z's memory holds the transpose of what is wanted (z transposed as
        // asked, or z column-major, but not both): z^T = op(b)^T op(a)^T, the operands swapped, their flags flipped
        int status;
        int team = alone && m * k + k * n + m * n <= ALONE_FLOATS ? OpenMpTeam.alone() : 0;
        if (team > 0) {
            ALONE.incrementAndGet();
        }
        try {
            if (tZ == lz < 0) {
                status = dnnl.dnnl_sgemm(flag(ta), flag(tb), m, n, k, (float) alpha, pa.at(address(a)), Math.abs(la),
                        pb.at(address(b)), Math.abs(lb), 0f, pz.at(address(z)), Math.abs(lz));
            } else {
                status = dnnl.dnnl_sgemm(flag(!tb), flag(!ta), n, m, k, (float) alpha, pb.at(address(b)),
                        Math.abs(lb), pa.at(address(a)), Math.abs(la), 0f, pz.at(address(z)), Math.abs(lz));
            }
        } finally {
            OpenMpTeam.restore(team);
        }
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        return status == dnnl.dnnl_success;
    }

    private static byte flag(boolean transposed) {
        return (byte) (transposed ? 'T' : 'N');
    }

    /** The address of the array's first element (ND4J's buffer of a view starts at the view's offset). */
    private static long address(INDArray a) {
        return a.data().addressPointer().address();
    }

    @Override
    public void close() {
        if (fallback != null) {
            fallback.close();
        }
    }
}
