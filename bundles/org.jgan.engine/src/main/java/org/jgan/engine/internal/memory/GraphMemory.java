package org.jgan.engine.internal.memory;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jgan.engine.internal.graph.GraphPlan;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.SessionMemMgr;
import org.nd4j.autodiff.samediff.internal.memory.ArrayCacheMemoryMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The native memory of a run's SameDiff graphs and arrays, and its release when the run ends.
 * <p>
 * ND4J 1.0.0-M2.1 frees an array's native buffer only when the Java garbage collector finds the array unreachable,
 * and nothing about native memory makes the collector run: a finished run's graphs, their array caches (each
 * session of each graph keeps up to a quarter of {@code Pointer.maxBytes()} of released intermediates for reuse)
 * and its parameters stayed allocated until a collection happened to run. Here every array the engine owns is
 * closed explicitly, so its buffer is freed at once. Graphs are counted from creation to release, so a test can see
 * that none is left open.
 */
public final class GraphMemory {

    private static final AtomicInteger OPEN = new AtomicInteger();
    /**
     * Graphs created and not yet released, by identity (a graph's hash code changes as it grows); weak, so that
     * counting never keeps a graph alive.
     */
    private static final List<WeakReference<SameDiff>> UNRELEASED = new ArrayList<>();

    private GraphMemory() {
    }

    /** A new graph, counted as open until {@link #release}. */
    public static SameDiff create() {
        SameDiff sd = SameDiff.create();
        synchronized (UNRELEASED) {
            UNRELEASED.removeIf(r -> r.get() == null);
            UNRELEASED.add(new WeakReference<>(sd));
        }
        OPEN.incrementAndGet();
        return sd;
    }

    /**
     * Graphs created by {@link #create} and not yet released, in this process (one that was dropped without release
     * stays counted, even after the garbage collector took it).
     */
    public static int open() {
        return OPEN.get();
    }

    /**
     * Closes the array caches of every session of the graph and of its functions (the gradient function), and
     * forgets the sessions. The graph's variables keep their arrays (they belong to the run's parameter store).
     * Releasing a graph twice, or null, does nothing.
     */
    public static void release(SameDiff sd) {
        if (sd == null) {
            return;
        }
        for (SameDiff g : withFunctions(sd)) {
            for (InferenceSession s : g.getSessions().values()) {
                SessionMemMgr m = s.getMmgr();
                if (m != null) {
                    m.close();
                }
            }
            g.getSessions().clear();
            GraphPlan.release(g);
        }
        boolean wasOpen;
        synchronized (UNRELEASED) {
            wasOpen = UNRELEASED.removeIf(r -> r.get() == sd);
        }
        if (wasOpen) {
            OPEN.decrementAndGet();
        }
    }

    /**
     * Bytes held in the array caches of the graph's sessions and of its functions' sessions, and in the arrays of
     * their {@link GraphPlan}s.
     */
    public static long cachedBytes(SameDiff sd) {
        long bytes = 0;
        if (sd == null) {
            return 0;
        }
        for (SameDiff g : withFunctions(sd)) {
            for (InferenceSession s : g.getSessions().values()) {
                if (s.getMmgr() instanceof ArrayCacheMemoryMgr cache) {
                    bytes += cache.getCurrentCacheSize();
                }
            }
            bytes += GraphPlan.bytes(g);
        }
        return bytes;
    }

    /** Native bytes of the arrays' buffers (views and closed arrays count nothing). */
    public static long bytes(Collection<INDArray> arrays) {
        long bytes = 0;
        for (INDArray a : arrays) {
            if (a != null && !a.wasClosed() && !a.isView() && !a.isEmpty()) {
                bytes += a.data().length() * a.data().getElementSize();
            }
        }
        return bytes;
    }

    /**
     * Closes the arrays' buffers (those that can be closed: not views, not in a workspace, not closed already, not
     * held by a {@link GraphPlan}, which reuses them and closes them with its graph).
     */
    public static void close(Collection<INDArray> arrays) {
        for (INDArray a : arrays) {
            if (a != null && a.closeable() && !GraphPlan.owns(a)) {
                a.close();
            }
        }
    }

    private static List<SameDiff> withFunctions(SameDiff sd) {
        List<SameDiff> all = new ArrayList<>();
        all.add(sd);
        for (String f : sd.definedFunctionNames()) {
            SameDiff fn = sd.getFunction(f);
            if (fn != null && fn != sd) {
                all.add(fn);
            }
        }
        return all;
    }
}
