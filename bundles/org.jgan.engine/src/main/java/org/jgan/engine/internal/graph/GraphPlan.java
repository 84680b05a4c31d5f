package org.jgan.engine.internal.graph;

import java.nio.FloatBuffer;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseOp;
import org.nd4j.linalg.api.ops.BaseReduceOp;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.impl.shape.Reshape;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.GradientBackwardsMarker;
import org.nd4j.linalg.api.ops.impl.transforms.same.Identity;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a SameDiff graph for a fixed list of requested variables as a precomputed program: the ops they need in one
 * topological order, each with an {@link OpContext} of its own, and every intermediate array planned once per set of
 * input shapes (placeholders and variables) and reused by every later call with those shapes.
 * <p>
 * Why: SameDiff 1.0.0-M2.1's {@code InferenceSession} works out at every call, op by op, which ops are ready, where
 * each input lives (hash maps and Patricia tries keyed by variable, frame and iteration), and when each array may be
 * released; it copies the graph's variable map and matches variable names against regular expressions on the way.
 * On SAGAN's training graphs (about 1,400 ops per iteration) that bookkeeping took about 120 ms of a 570 ms iteration
 * (JFR, 2-core AMD EPYC). Here it is done once: a call binds the placeholders, parameters and constants that changed
 * since the last call and executes the ops' native kernels in order.
 * <p>
 * The same kernels run on the same inputs as in SameDiff's own execution, so the results are the same bits
 * ({@code GraphPlanArchitecturesTest} checks every architecture's training graphs against {@code SameDiff#output}),
 * except where {@link Replacements} runs a kernel that computes only the outputs something reads, or the case
 * faster, with the same bits for those outputs (the plan knows which outputs of each op nothing reads), and where
 * {@link Broadcasts} sums over broadcast axes by matrix products, in another order than libnd4j's,
 * {@link PatchConv} computes convolutions with short patches, {@link SmallKernels} the small arrays' sums and
 * products, {@link BatchNormFusion} batch and instance norm's layers as two kernels each and LeakyReLU's slope masks
 * run as one op ({@link #ownArithmetic(boolean)}). Arrays are
 * planned by liveness: an intermediate's array goes back to a free list (by data type and shape) after the last op
 * that reads it and is taken by the next op that needs one of that type and shape, as SameDiff's array cache does;
 * an {@code Identity} passes its input through, and a C-order {@code reshape} of an array the plan allocated is a
 * view of its buffer (the op would copy the same bits: 0.5 ms per call on {@code [32, 32, 32, 32]}, about 3% of a
 * StyleGAN or SAGAN iteration), the input's array living as long as the view is read; an {@code add_bp} of operands
 * of one shape gives its incoming gradient's array as both gradients (the op would copy it twice), the array freed
 * after the last reader of the three, and one of a sum that broadcasts an operand (a bias) gives it as the other
 * operand's gradient where the plan's kernel computes only the broadcast operand's. The requested variables get
 * arrays of their own (or views of them), which the next call with the same input shapes overwrites (callers use or
 * copy them before that, as with {@link Backprop}).
 * <p>
 * Only plain graphs are planned: a graph whose needed ops include control flow (loops, switches), tensor arrays,
 * in-place assignment, views, invoked functions or control dependencies runs through {@code SameDiff#output}, as it
 * does with {@code -Djgan.graph.executor=samediff} for all graphs. Not thread safe per graph: a graph is run by one
 * thread at a time (a run's training thread), as SameDiff's sessions assume too.
 */
public final class GraphPlan {

    /** {@code -Djgan.graph.executor=samediff}: every graph through SameDiff's own execution (for comparisons). */
    private static volatile boolean enabled = !"samediff".equals(System.getProperty("jgan.graph.executor"));

    /**
     * {@code -Djgan.graph.sums=exact}: plans sum over broadcast axes with libnd4j's own reductions rather than by
     * matrix products ({@link Broadcasts}) and run libnd4j's convolutions where {@link PatchConv} would compute them,
     * so that they give SameDiff's bits.
     */
    private static volatile boolean ownArithmetic = !"exact".equals(System.getProperty("jgan.graph.sums"));

    /**
     * {@code -Djgan.graph.small=false}: ops on small arrays run libnd4j's kernels instead of {@link SmallKernels}
     * (for comparisons).
     */
    private static volatile boolean smallKernels = !"false".equals(System.getProperty("jgan.graph.small"));

    /** Plans by graph, by identity (SameDiff's hash code changes as a graph grows); weak, so a dropped graph goes. */
    private static final List<Entry> PLANS = new ArrayList<>();

    /** Ids of the arrays plans hold: callers must not close them ({@link #owns}). */
    private static final Set<Long> OWNED = ConcurrentHashMap.newKeySet();

    /** Calls run through plans, and through SameDiff because a graph needed it (not counting {@link #enable}(false)). */
    private static final AtomicLong PLANNED = new AtomicLong();
    private static final AtomicLong FELL_BACK = new AtomicLong();
    /** {@code -Djgan.graph.views=false}: reshapes copy, as the op does (for comparisons). */
    private static final boolean RESHAPE_VIEWS = !"false".equals(System.getProperty("jgan.graph.views"));

    /** Reshapes run as views of their input's buffer (counted at the first call of each set of input shapes). */
    private static final AtomicLong VIEWS = new AtomicLong();

    /** {@code -Djgan.graph.passThrough=false}: {@code add_bp} copies the gradient, as the op does (comparisons). */
    private static volatile boolean passThrough = !"false".equals(System.getProperty("jgan.graph.passThrough"));

    /** {@code add_bp} ops whose two gradients are the incoming one's array (counted as {@link #VIEWS} are). */
    private static final AtomicLong PASSED = new AtomicLong();

    /** {@code add_bp} ops of a broadcast sum whose operand of the sum's shape gets the incoming gradient's array. */
    private static final AtomicLong PASSED_ONE = new AtomicLong();

    private record Entry(WeakReference<SameDiff> graph, Map<Key, GraphPlan> plans) {
    }

    /** A plan's requested variables and the intermediates its callers give. */
    private record Key(List<String> requested, Set<String> given) {
    }

    // no reference to the graph itself: the registry holds graphs weakly
    private final List<String> requested;
    /** Intermediates whose values the caller feeds ({@link #output(SameDiff, Map, List, Set)}). */
    private final Set<String> given;
    /** Null when the graph needs what this executor does not do: then SameDiff runs it. */
    private Program program;
    /** Arrays bound for each set of external shapes seen. */
    private final Map<Shapes, Bound> bound = new HashMap<>();

    /**
     * The shapes of a call's external arrays, placeholders and variables alike (a variable's array may be replaced
     * by one of another shape, as the penalties' head graphs do when the size of a point group changes): one plan per
     * set.
     */
    private record Shapes(long[] dims) {
        static Shapes of(Program p, INDArray[] external) {
            int n = 0;
            for (int i = 0; i < external.length; i++) {
                if (p.isExternal[i]) {
                    n += 1 + external[i].rank();
                }
            }
            long[] dims = new long[n];
            int k = 0;
            for (int i = 0; i < external.length; i++) {
                if (p.isExternal[i]) {
                    INDArray a = external[i];
                    dims[k++] = a.rank();
                    for (int d = 0; d < a.rank(); d++) {
                        dims[k++] = a.size(d);
                    }
                }
            }
            return new Shapes(dims);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shapes s && Arrays.equals(dims, s.dims);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(dims);
        }

        @Override
        public String toString() {
            return Arrays.toString(dims);
        }
    }

    private GraphPlan(SameDiff sd, List<String> requested, Set<String> given) {
        this.requested = List.copyOf(requested);
        this.given = Set.copyOf(given);
        this.program = Program.compile(sd, this.requested, this.given);
    }

    /**
     * The values of the requested variables for the placeholders' values, as {@code sd.output(feed, requested)}
     * gives them.
     */
    public static Map<String, INDArray> output(SameDiff sd, Map<String, INDArray> feed, List<String> requested) {
        return output(sd, feed, requested, Set.of());
    }

    /**
     * As {@link #output(SameDiff, Map, List)}, with the values of some of the graph's intermediates ({@code given},
     * op outputs) fed too, as if they were placeholders: the ops that only they need do not run. The caller answers
     * for the values being what those ops would compute (a penalty's tangent pass takes the discriminator's forward
     * values from its critic pass, the same ops on the same inputs). Where the graph runs through SameDiff (plans
     * switched off, or a graph plans cannot run) the given values are not used and the ops run.
     */
    public static Map<String, INDArray> output(SameDiff sd, Map<String, INDArray> feed, List<String> requested,
            Set<String> given) {
        if (!enabled) {
            return sd.output(without(feed, given), requested.toArray(new String[0]));
        }
        GraphPlan plan = plan(sd, requested, given);
        synchronized (plan) {
            return plan.run(sd, feed);
        }
    }

    /**
     * Which of {@code candidates} (op outputs) a plan for {@code requested} reads when they are all given: what a
     * caller must give for {@link #output(SameDiff, Map, List, Set)} to run none of the ops that produce them, after
     * the plan's own kernels took the place of the ops they replace (a fused layer reads fewer of its forward values
     * than its elementary backward pass does). Null where no plan runs the graph (plans switched off, or a graph that
     * needs SameDiff's session), or where the plan given just those would read others too.
     */
    public static Set<String> reads(SameDiff sd, List<String> requested, Set<String> candidates) {
        if (!enabled) {
            return null;
        }
        // a candidate that an op the plan runs anyway writes too (one output of several: a tangent convolution's
        // input gradient beside its weight gradient) is not given: the op would write into the caller's array
        Set<String> offered = new HashSet<>(candidates);
        Program p = Program.compile(sd, requested, offered);
        while (p != null) {
            Set<String> written = new HashSet<>();
            for (SameDiffOp op : p.ops) {
                written.addAll(op.getOutputsOfOp());
            }
            if (!offered.removeAll(written)) {
                break;
            }
            p = Program.compile(sd, requested, offered);
        }
        Set<String> reads = readsOf(p, offered);
        if (reads == null) {
            return null;
        }
        // the plan the caller makes with these given is compiled anew: where the kernels standing in for ops depend
        // on what is given (a fused layer's forward op runs only where none of its outputs is), it must read no more
        Set<String> again = readsOf(Program.compile(sd, requested, reads), offered);
        return again != null && reads.containsAll(again) ? reads : null;
    }

    /** The candidates that a program's ops read or that it is asked for; null for no program. */
    private static Set<String> readsOf(Program p, Set<String> candidates) {
        if (p == null) {
            return null;
        }
        Set<String> reads = new TreeSet<>();
        for (int[] in : p.inputs) {
            for (int slot : in) {
                if (candidates.contains(p.names[slot])) {
                    reads.add(p.names[slot]);
                }
            }
        }
        for (int slot : p.requestedSlots) {
            if (candidates.contains(p.names[slot])) {
                reads.add(p.names[slot]);
            }
        }
        return reads;
    }

    private static Map<String, INDArray> without(Map<String, INDArray> feed, Set<String> given) {
        if (given.isEmpty()) {
            return feed;
        }
        Map<String, INDArray> placeholders = new HashMap<>(feed);
        placeholders.keySet().removeAll(given);
        return placeholders;
    }

    /** Calls so far that ran through a plan, and through SameDiff because the graph needed it: {planned, fell back}. */
    public static long[] calls() {
        return new long[] {PLANNED.get(), FELL_BACK.get()};
    }

    /**
     * Loads oneDNN's own binding ({@link OneDnnConv}, {@link Gemm}) on the calling thread, once per JVM (the classes'
     * initialization; a failure logs the one warning it logged before). A model calls it before it allocates anything,
     * so that the library does not load while the model uses JavaCPP: with the binding loaded on a thread of its own
     * beside the model, two starts in about 250 died in {@code Pointer.asDirectBuffer()} (why, in the ND4J bundle's
     * {@code Nd4jActivator.loadOneDnnBinding} and docs/architectures.md, "one native library load at a time"). Inside
     * the runtime that bundle has loaded the binding before it offered ND4J, so this returns at once.
     */
    public static void loadOneDnn() {
        OneDnnConv.available();
        Gemm.available();
    }

    /**
     * Calls of each kind of replacement kernel so far, process-wide ({@code multiply_bp/broadcast},
     * {@code reduce_mean/matrix}, ...): tests check that a kernel ran.
     */
    public static Map<String, Long> kernelCalls() {
        return Replacements.calls();
    }

    /** Reshapes planned as views of their input's buffer so far, process-wide (tests check that views are made). */
    static long views() {
        return VIEWS.get();
    }

    /** {@code add_bp} ops planned as the incoming gradient's array so far, process-wide (tests). */
    static long passedThrough() {
        return PASSED.get();
    }

    /**
     * {@code add_bp} ops of a sum that broadcasts one operand whose other operand's gradient was planned as the
     * incoming gradient's array so far, process-wide (tests).
     */
    public static long passedThroughToOne() {
        return PASSED_ONE.get();
    }

    /**
     * Turns {@code add_bp} of operands of one shape as its incoming gradient's array ({@code
     * -Djgan.graph.passThrough=false}: off) on or off for plans compiled from now on; returns the previous setting
     * (tests, benchmarks). Both gradients of {@code x + y} are then {@code dL/dz} itself, the same bits as the op's
     * two copies; where {@code y} broadcasts (a bias), {@code x}'s gradient is {@code dL/dz} itself and only
     * {@code y}'s is computed, by a kernel that skips the other ({@code -Djgan.graph.passThroughToOne=false}, read as
     * each plan is compiled: that case copies, for comparisons).
     */
    public static boolean passThrough(boolean on) {
        boolean was = passThrough;
        passThrough = on;
        return was;
    }

    /**
     * Whether graphs run through plans (the default) or through SameDiff's own execution, process-wide: for tests
     * and benchmarks that compare the two.
     */
    public static void enable(boolean on) {
        enabled = on;
    }

    /**
     * Whether plans built from now on use kernels of their own arithmetic, fast and deterministic but not libnd4j's
     * bits (the default): sums over broadcast axes (batch norm's statistics, the gradients of per-channel operands)
     * by matrix products ({@link Broadcasts}), and the weight gradients of convolutions whose patch is short (a
     * discriminator's first layer on 1- or 3-channel images) as one product over the batch ({@link PatchConv}),
     * batch norm's layers as two kernels ({@link BatchNormFusion}), batched matrix products one matrix at a time by
     * oneDNN ({@link BatchedMatmul}) and stride-1 convolutions as the backward-data primitive of the flipped kernel
     * ({@link FlippedConv}), a tangent convolution with its weight gradient as one op ({@link TangentConvWeights}),
     * and a penalty's tangent pass given the adjoints of its tangents by its critic pass (computed there by other
     * kernels: {@code Critic#reads}, wired up when a penalty's graph is first given the critic pass's values); or
     * libnd4j's own reductions, products and convolutions, for tests that compare plans with SameDiff's execution bit
     * for bit.
     * A plan keeps the kernels chosen when it was built: the setting applies to graphs first run after it.
     *
     * @return the setting before
     */
    public static boolean ownArithmetic(boolean on) {
        boolean before = ownArithmetic;
        ownArithmetic = on;
        return before;
    }

    /** Whether plans built from now on use kernels of their own arithmetic ({@link #ownArithmetic(boolean)}). */
    public static boolean ownArithmetic() {
        return ownArithmetic;
    }

    /**
     * Whether plans built from now on run ops whose arrays are all small in Java ({@link SmallKernels}: the default);
     * those that sum in an order of their own only with {@link #ownArithmetic(boolean)}. Off: libnd4j's kernels, for
     * tests of the other replacements on small graphs and for comparisons.
     *
     * @return the setting before
     */
    public static boolean smallKernels(boolean on) {
        boolean before = smallKernels;
        smallKernels = on;
        return before;
    }

    /**
     * Turns the batch-norm layers' fused kernels ({@link BatchNormFusion}; {@code -Djgan.graph.fuse=false}: off) on or
     * off for plans compiled from now on; returns the previous setting (tests, benchmarks).
     */
    public static boolean fuseBatchNorm(boolean on) {
        return BatchNormFusion.enable(on);
    }

    /** {@code -Djgan.graph.slopeMasks=false}: LeakyReLU's slope masks as three ops (for comparisons). */
    private static volatile boolean slopeMasks = !"false".equals(System.getProperty("jgan.graph.slopeMasks"));

    /**
     * Turns LeakyReLU's slope masks as one op ({@link Replacements.Mask}; {@code -Djgan.graph.slopeMasks=false}: off)
     * on or off for plans compiled from now on; returns the previous setting (tests, benchmarks). Used only with
     * {@link #ownArithmetic(boolean)}.
     */
    public static boolean slopeMasks(boolean on) {
        boolean was = slopeMasks;
        slopeMasks = on;
        return was;
    }

    /**
     * Turns the batched matrix products as one oneDNN product per matrix ({@link BatchedMatmul};
     * {@code -Djgan.graph.batchedMatmul=false}: off) on or off for plans compiled from now on; returns the previous
     * setting (tests, benchmarks). Used only with {@link #ownArithmetic(boolean)}.
     */
    public static boolean batchedMatmul(boolean on) {
        return BatchedMatmul.enable(on);
    }

    /**
     * Turns stride-1 convolutions as the backward-data primitive of the flipped kernel ({@link FlippedConv};
     * {@code -Djgan.graph.flippedConv=false}: off) on or off for plans compiled from now on; returns the previous
     * setting (tests, benchmarks). Used only with {@link #ownArithmetic(boolean)}.
     */
    public static boolean flippedConv(boolean on) {
        return FlippedConv.enable(on);
    }

    /**
     * Turns the gradients of stride-1 convolutions to at most 4 output channels as products per sample
     * ({@link FewChannelConvBp}; {@code -Djgan.graph.fewChannelConv=false}: off) on or off for plans compiled from now
     * on; returns the previous setting (tests, benchmarks). Used only with {@link #ownArithmetic(boolean)}.
     */
    public static boolean fewChannelConv(boolean on) {
        return FewChannelConvBp.enable(on);
    }

    static boolean smallKernels() {
        return smallKernels;
    }

    /**
     * Whether Java code can read and write the array through {@code a.data().asNioFloat()} from the buffer's
     * position, element by element in C order: 32-bit floats laid out densely (the kernels' own test, which the
     * optimizer's Java step shares).
     */
    public static boolean denseFloats(INDArray a) {
        return PatchConv.dense(a);
    }

    /** The first {@code count} floats of {@code a} in C order into {@code to} (through a dense copy where needed). */
    public static void readFloats(INDArray a, float[] to, int count) {
        INDArray r = PatchConv.readable(a);
        FloatBuffer b = r.data().asNioFloat();
        b.get(b.position(), to, 0, count);
        Reference.reachabilityFence(r);
    }

    /** {@code count} floats of {@code from} into {@code a}, which must be {@link #denseFloats}. */
    public static void writeFloats(float[] from, INDArray a, int count) {
        FloatBuffer b = a.data().asNioFloat();
        b.put(b.position(), from, 0, count);
        Reference.reachabilityFence(a);
    }

    /**
     * Whether a plan holds the array (an intermediate or a requested output it returned): it is reused by the next
     * call and closed when its graph is released, never by whoever received it.
     */
    public static boolean owns(INDArray a) {
        return a != null && OWNED.contains(a.getId());
    }

    /** Native bytes of the arrays the graph's plans hold. */
    public static long bytes(SameDiff sd) {
        long bytes = 0;
        for (GraphPlan p : plansOf(sd)) {
            synchronized (p) {
                for (Bound b : p.bound.values()) {
                    bytes += b.bytes();
                }
            }
        }
        return bytes;
    }

    /** Closes the arrays and op contexts of the graph's plans and forgets them. */
    public static void release(SameDiff sd) {
        List<GraphPlan> plans = plansOf(sd);
        synchronized (PLANS) {
            PLANS.removeIf(e -> e.graph.get() == sd || e.graph.get() == null);
        }
        for (GraphPlan p : plans) {
            synchronized (p) {
                p.bound.values().forEach(Bound::close);
                p.bound.clear();
            }
        }
    }

    private static GraphPlan plan(SameDiff sd, List<String> requested, Set<String> given) {
        synchronized (PLANS) {
            Map<Key, GraphPlan> plans = null;
            for (Iterator<Entry> it = PLANS.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                SameDiff g = e.graph.get();
                if (g == null) {
                    it.remove();
                } else if (g == sd) {
                    plans = e.plans;
                }
            }
            if (plans == null) {
                plans = new HashMap<>();
                PLANS.add(new Entry(new WeakReference<>(sd), plans));
            }
            return plans.computeIfAbsent(new Key(List.copyOf(requested), Set.copyOf(given)),
                    k -> new GraphPlan(sd, k.requested(), k.given()));
        }
    }

    private static List<GraphPlan> plansOf(SameDiff sd) {
        synchronized (PLANS) {
            for (Entry e : PLANS) {
                if (e.graph.get() == sd) {
                    return new ArrayList<>(e.plans.values());
                }
            }
        }
        return List.of();
    }

    private Map<String, INDArray> run(SameDiff sd, Map<String, INDArray> feed) {
        if (program == null) {
            FELL_BACK.incrementAndGet();
            return sd.output(without(feed, given), requested.toArray(new String[0]));
        }
        INDArray[] external = program.external(sd, feed);
        Shapes shapes = Shapes.of(program, external);
        Bound b = bound.get(shapes);
        if (b == null) {
            b = new Bound(program);
            try {
                b.build(sd, external);
            } catch (UnsupportedOperationException e) {
                // something only SameDiff's session does (found while running): SameDiff runs this graph from now on
                b.close();
                bound.values().forEach(Bound::close);
                bound.clear();
                program = null;
                FELL_BACK.incrementAndGet();
                return sd.output(without(feed, given), requested.toArray(new String[0]));
            }
            bound.put(shapes, b);
        } else {
            b.execute(sd, external);
        }
        PLANNED.incrementAndGet();
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < requested.size(); i++) {
            int slot = program.requestedSlots[i];
            out.put(requested.get(i), program.isExternal[slot] ? external[slot] : b.values[slot]);
        }
        return out;
    }

    /** The ops needed for the requested variables, in order, with their inputs and outputs as variable slots. */
    private static final class Program {
        final String[] names;
        final boolean[] isExternal;
        final List<SameDiffOp> ops = new ArrayList<>();
        final List<int[]> inputs = new ArrayList<>();
        final List<int[]> outputs = new ArrayList<>();
        final int[] requestedSlots;
        /**
         * For each slot, the slot whose array it shares: an Identity's output shares its input's array, a
         * {@linkplain #viewOf view reshape}'s output its buffer.
         */
        final int[] storage;
        /** Ops (by index) that are reshapes run as views of their input's buffer. */
        final Set<Integer> views = new HashSet<>();
        /** Ops (by index) that are {@code add_bp} of operands of one shape: both outputs share dL/dz's array. */
        final Set<Integer> passThrough = new HashSet<>();
        /**
         * {@code add_bp} ops (by index) and which of their outputs may take dL/dz's array where the other operand
         * broadcasts (neither requested nor kept): shapes are known when the plan is built.
         */
        final Map<Integer, boolean[]> passOne = new HashMap<>();
        /** Per op, the storage slots whose last reader it is (released after it ran). */
        final List<int[]> lastUse = new ArrayList<>();
        /** Storage slots that are requested: never released within a call. */
        final boolean[] kept;
        /** Per op, which of its outputs nothing reads (no later op, not requested): replacements may skip them. */
        final List<boolean[]> unread = new ArrayList<>();
        /**
         * Ops (by index) that run as a step on a dropped comparison's input: casts of the comparison, and the
         * {@code add_scalar} ending a LeakyReLU's slope mask.
         */
        final Map<Integer, Replacements.Mask> steps = new HashMap<>();

        private Program(String[] names, boolean[] isExternal, int[] requestedSlots, int[] storage, boolean[] kept) {
            this.names = names;
            this.isExternal = isExternal;
            this.requestedSlots = requestedSlots;
            this.storage = storage;
            this.kept = kept;
        }

        /** The program, or null when the graph needs something only SameDiff's session does. */
        static Program compile(SameDiff sd, List<String> requested, Set<String> given) {
            return compile(sd, requested, given, ownArithmetic);
        }

        /** As {@link #compile(SameDiff, List, Set)}, with batch norm's fused kernels if {@code fuse}. */
        private static Program compile(SameDiff sd, List<String> requested, Set<String> given, boolean fuse) {
            for (String g : given) {
                if (!sd.hasVariable(g) || sd.getVariable(g).getVariableType() != VariableType.ARRAY) {
                    throw new IllegalArgumentException("'" + g + "' is not an op's output in the graph");
                }
            }
            Map<String, SameDiffOp> allOps = sd.getOps();
            // the op producing each variable (not SameDiff.getVariables(), whose type is commons-collections4's
            // PatriciaTrie: the ND4J bundle embeds that library without exporting it)
            Map<String, SameDiffOp> producers = new HashMap<>();
            for (SameDiffOp op : allOps.values()) {
                for (String o : op.getOutputsOfOp()) {
                    producers.put(o, op);
                }
            }
            if (fuse) {
                // batch norm's layers as two Java kernels (sums in an order of their own)
                producers.putAll(BatchNormFusion.producers(sd, producers, given));
            }
            Map<String, Integer> slot = new LinkedHashMap<>();
            List<SameDiffOp> order = new ArrayList<>();
            Set<String> visited = new HashSet<>();
            // depth-first from the requested variables, iteratively: post-order is a topological order
            for (String r : requested) {
                if (!sd.hasVariable(r)) {
                    throw new IllegalArgumentException("no variable '" + r + "' in the graph");
                }
                ArrayDeque<Object[]> stack = new ArrayDeque<>();
                stack.push(new Object[] {r, 0});
                while (!stack.isEmpty()) {
                    Object[] top = stack.peek();
                    String v = (String) top[0];
                    SameDiffOp op = producers.get(v);
                    if (sd.getVariable(v).getVariableType() != VariableType.ARRAY || op == null || given.contains(v)) {
                        slot.putIfAbsent(v, slot.size());
                        stack.pop();
                        continue;
                    }
                    String producer = op.getName();
                    if (!supported(op)) {
                        return null;
                    }
                    List<String> args = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
                    int next = (int) top[1];
                    if (visited.contains(producer)) {
                        stack.pop();
                        continue;
                    }
                    if (next < args.size()) {
                        top[1] = next + 1;
                        String in = args.get(next);
                        if (!slot.containsKey(in)) {
                            stack.push(new Object[] {in, 0});
                        }
                        continue;
                    }
                    visited.add(producer);
                    order.add(op);
                    for (String o : op.getOutputsOfOp()) {
                        slot.putIfAbsent(o, slot.size());
                    }
                    stack.pop();
                }
            }
            if (fuse) {
                Set<String> produced = new HashSet<>();
                for (SameDiffOp op : order) {
                    for (String o : op.getOutputsOfOp()) {
                        if (!produced.add(o)) {
                            // a variable of a fused layer's that an op the plan still needs also writes (another
                            // output of an op the fusion replaced, requested or given): the layer's ops run instead
                            return compile(sd, requested, given, false);
                        }
                    }
                }
                // a tangent convolution and its weight gradient, given its output's adjoint, as one op
                order = TangentConvWeights.fuse(sd, order, requested, given);
                // a softmax's gradient from its y, where the plan computes y
                order = OneDnnSoftmax.fromOutputs(sd, order);
            }
            String[] names = slot.keySet().toArray(new String[0]);
            boolean[] external = new boolean[names.length];
            for (int i = 0; i < names.length; i++) {
                external[i] = sd.getVariable(names[i]).getVariableType() != VariableType.ARRAY
                        || given.contains(names[i]);
            }
            int[] storage = new int[names.length];
            for (int i = 0; i < names.length; i++) {
                storage[i] = i;
            }
            int[] requestedSlots = requested.stream().mapToInt(slot::get).toArray();
            boolean[] kept = new boolean[names.length];
            Program p = new Program(names, external, requestedSlots, storage, kept);
            Map<SameDiffOp, Replacements.Mask> steps = comparisonsCast(order, requested);
            int[] lastReader = new int[names.length];
            Arrays.fill(lastReader, -1);
            for (SameDiffOp op : order) {
                String[] args = argNames(op);
                Replacements.Mask mask = steps.get(op);
                if (mask == null && steps.containsKey(op)) {
                    // a comparison read only by a cast that runs as a step (and the cast and scaling of a slope
                    // mask that runs as one op): dropped
                    continue;
                }
                int k = p.ops.size();
                if (mask != null) {
                    // the step reads the dropped comparison's input
                    p.steps.put(k, mask);
                    args = new String[] {mask.input()};
                }
                int[] in = Arrays.stream(args).mapToInt(slot::get).toArray();
                int[] out = op.getOutputsOfOp().stream().mapToInt(slot::get).toArray();
                if (op.getOp() instanceof Identity) {
                    storage[out[0]] = storage[in[0]];
                } else if (viewOf(op, in, storage, external, producers, names)) {
                    storage[out[0]] = storage[in[0]];
                    p.views.add(k);
                } else {
                    boolean[] may = passable(op, in, out, storage, external, requested, names);
                    if (may != null && may[0] && may[1]) {
                        p.passThrough.add(k);
                    }
                    if (may != null && (may[0] || may[1])
                            && !"false".equals(System.getProperty("jgan.graph.passThroughToOne"))) {
                        p.passOne.put(k, may);
                    }
                }
                for (int s : in) {
                    lastReader[storage[s]] = k;
                }
                p.ops.add(op);
                p.inputs.add(in);
                p.outputs.add(out);
            }
            for (int s : requestedSlots) {
                kept[storage[s]] = true;
            }
            // a gradient requested through an Identity or a view of it gets its own array, as a requested one does
            p.passThrough.removeIf(k -> Arrays.stream(p.outputs.get(k)).anyMatch(o -> kept[storage[o]]));
            p.passOne.forEach((k, may) -> {
                int[] out = p.outputs.get(k);
                for (int i = 0; i < may.length; i++) {
                    may[i] &= !kept[storage[out[i]]];
                }
            });
            List<List<Integer>> releases = new ArrayList<>();
            for (int k = 0; k < p.ops.size(); k++) {
                releases.add(new ArrayList<>());
            }
            for (int s = 0; s < names.length; s++) {
                if (storage[s] == s && !external[s] && !kept[s]) {
                    if (lastReader[s] >= 0) {
                        releases.get(lastReader[s]).add(s);
                    } else if (producerIndex(p, s) < 0) {
                        // the output of a dropped op (a comparison whose cast became a step)
                        continue;
                    } else {
                        // an output nobody reads (e.g. one of a multi-output op's outputs): free after its op
                        releases.get(producerIndex(p, s)).add(s);
                    }
                }
            }
            releases.forEach(r -> p.lastUse.add(r.stream().mapToInt(Integer::intValue).toArray()));
            for (int[] out : p.outputs) {
                boolean[] u = new boolean[out.length];
                for (int i = 0; i < out.length; i++) {
                    int s = storage[out[i]];
                    u[i] = !kept[s] && lastReader[s] < 0;
                }
                p.unread.add(u);
            }
            return p;
        }

        /** The op's inputs (a plan's own fused ops are in no graph, so not {@code DifferentialFunction#argNames}). */
        private static String[] argNames(SameDiffOp op) {
            return op.getInputsToOp() == null ? new String[0] : op.getInputsToOp().toArray(new String[0]);
        }

        private static int producerIndex(Program p, int s) {
            for (int k = 0; k < p.outputs.size(); k++) {
                for (int o : p.outputs.get(k)) {
                    if (o == s) {
                        return k;
                    }
                }
            }
            return -1;
        }

        /**
         * The casts to 32-bit float of a comparison with a scalar ({@code greaterthan_scalar}, as the activations'
         * slope masks are built) that is read by nothing else: each runs as one {@code Step} on the comparison's
         * input ({@code x > cutoff ? 1 : 0}, the same values) and the comparison is dropped, one pass over the
         * tensor instead of two (a boolean array written and read back). With {@link #ownArithmetic()}, a LeakyReLU's
         * slope mask {@code [x > 0] (1 - slope) + slope} ({@code GraphScope#leakyRelu}: the cast read only by a
         * {@code mul_scalar}, read only by an {@code add_scalar}, the two scalars adding to 1) runs as one op, the
         * {@code add_scalar}, and the cast and {@code mul_scalar} are dropped too (see {@link Replacements.Mask}).
         * By op, its mask; the dropped ops are recorded with a null value.
         */
        private static Map<SameDiffOp, Replacements.Mask> comparisonsCast(List<SameDiffOp> order,
                List<String> requested) {
            Map<String, List<SameDiffOp>> readers = new HashMap<>();
            Map<String, SameDiffOp> produced = new HashMap<>();
            for (SameDiffOp op : order) {
                for (String a : argNames(op)) {
                    readers.computeIfAbsent(a, r -> new ArrayList<>()).add(op);
                }
                for (String o : op.getOutputsOfOp()) {
                    produced.put(o, op);
                }
            }
            Map<SameDiffOp, Replacements.Mask> steps = new HashMap<>();
            for (SameDiffOp op : order) {
                DifferentialFunction f = op.getOp();
                String[] args = argNames(op);
                if (!"cast".equals(f.opName()) || args.length != 1
                        || readers.getOrDefault(args[0], List.of()).size() != 1 || requested.contains(args[0])) {
                    continue;
                }
                SameDiffOp cmp = produced.get(args[0]);
                if (cmp == null || !"greaterthan_scalar".equals(cmp.getOp().opName())
                        || !(cmp.getOp() instanceof ScalarOp so) || so.scalar() == null
                        || cmp.getOp().argNames() == null || cmp.getOp().argNames().length != 1
                        || f.getSameDiff().getVariable(op.getOutputsOfOp().get(0)).dataType() != DataType.FLOAT
                        || f.getSameDiff().getVariable(cmp.getOp().argNames()[0]).dataType() != DataType.FLOAT) {
                    continue;
                }
                double cutoff = so.scalar().getDouble(0);
                String input = cmp.getOp().argNames()[0];
                steps.put(cmp, null);
                SameDiffOp[] scaled = ownArithmetic() && slopeMasks && cutoff == 0
                        ? slopeMask(op, readers, requested) : null;
                if (scaled == null) {
                    steps.put(op, new Replacements.Mask(input, cutoff, null, null));
                } else {
                    steps.put(op, null);
                    steps.put(scaled[0], null);
                    steps.put(scaled[1], new Replacements.Mask(input, cutoff,
                            ((ScalarOp) scaled[0].getOp()).scalar().getFloat(0),
                            ((ScalarOp) scaled[1].getOp()).scalar().getFloat(0)));
                }
            }
            return steps;
        }

        /**
         * The {@code mul_scalar} and {@code add_scalar} after a cast that make LeakyReLU's slope mask ({@code
         * m (1 - slope) + slope}, each read only by the next, the two scalars adding to 1 in float), or null.
         */
        private static SameDiffOp[] slopeMask(SameDiffOp cast, Map<String, List<SameDiffOp>> readers,
                List<String> requested) {
            SameDiffOp mul = only(cast, readers, requested, "mul_scalar");
            SameDiffOp add = mul == null ? null : only(mul, readers, requested, "add_scalar");
            if (add == null || !(mul.getOp() instanceof ScalarOp a) || !(add.getOp() instanceof ScalarOp b)
                    || a.scalar() == null || b.scalar() == null || add.getOutputsOfOp().size() != 1
                    || add.getOp().getSameDiff().getVariable(add.getOutputsOfOp().get(0)).dataType()
                            != DataType.FLOAT) {
                return null;
            }
            float scale = a.scalar().getFloat(0);
            float slope = b.scalar().getFloat(0);
            return scale + slope == 1f && slope >= 0 && slope < 1 ? new SameDiffOp[] {mul, add} : null;
        }

        /** The one reader of {@code op}'s one output, an op {@code name} of that input alone, or null. */
        private static SameDiffOp only(SameDiffOp op, Map<String, List<SameDiffOp>> readers, List<String> requested,
                String name) {
            if (op.getOutputsOfOp().size() != 1 || requested.contains(op.getOutputsOfOp().get(0))) {
                return null;
            }
            List<SameDiffOp> r = readers.getOrDefault(op.getOutputsOfOp().get(0), List.of());
            return r.size() == 1 && name.equals(r.get(0).getOp().opName()) && argNames(r.get(0)).length == 1
                    ? r.get(0) : null;
        }

        /**
         * Whether a reshape can be a view of its input: a C-order reshape of an array the plan allocates (the output
         * of an op that is not an Identity, so not a placeholder's or parameter's array, whose layout the caller
         * decides). A planned array is C-contiguous, so its reshape is a view of the same buffer, with the bits the
         * op would copy; the input's array then lives as long as the view is read (the two share a storage slot).
         */
        private static boolean viewOf(SameDiffOp op, int[] in, int[] storage, boolean[] external,
                Map<String, SameDiffOp> producers, String[] names) {
            if (!RESHAPE_VIEWS || !(op.getOp() instanceof Reshape r) || in.length == 0 || external[storage[in[0]]]) {
                return false;
            }
            // the order argument: 'c' as -99 before the shape; none, or a dimension (-1 or more) first, is C order too
            long[] ia = r.iArgs();
            if (ia != null && ia.length > 0 && ia[0] != -99 && ia[0] < -1) {
                return false;
            }
            SameDiffOp producer = producers.get(names[storage[in[0]]]);
            return producer != null && !(producer.getOp() instanceof Identity);
        }

        /**
         * Whether an {@code add_bp} may give dL/dz's own array as both gradients: dL/dz an array the plan allocates
         * in a storage slot of its own (not a view or an Identity of another variable's array, which its own slot's
         * release would not cover), neither gradient requested (a caller gets arrays of its own), all of one type.
         * Whether the operands and dL/dz are of one shape (no broadcast) is seen when the plan is built for a set of
         * shapes ({@link Bound#build}); the three then share one array, which goes back to the free list once all
         * three are past their last readers. Nothing in a plan writes into an op's input, so sharing it is safe.
         */
        /**
         * For an {@code add_bp} whose incoming gradient dL/dz has a storage slot of its own (not a view or an
         * Identity of another's array, so that its array is the one its slot releases), which of its outputs may be
         * dL/dz's array: those not requested, of dz's type, whose operand has dz's type. Null for other ops.
         * Both may: an {@code add_bp} of operands of one shape passes dL/dz through to both ({@link
         * Program#passThrough}); one of them: the other operand's gradient where that one broadcasts ({@link
         * Program#passOne}).
         */
        private static boolean[] passable(SameDiffOp op, int[] in, int[] out, int[] storage, boolean[] external,
                List<String> requested, String[] names) {
            if (!GraphPlan.passThrough || !"add_bp".equals(op.getOp().opName()) || in.length != 3 || out.length != 2
                    || storage[in[2]] != in[2] || external[in[2]]) {
                return null;
            }
            SameDiff sd = op.getOp().getSameDiff();
            DataType type = sd.getVariable(names[in[2]]).dataType();
            boolean[] may = new boolean[2];
            for (int i = 0; i < 2; i++) {
                may[i] = !requested.contains(names[out[i]]) && sd.getVariable(names[in[i]]).dataType() == type
                        && sd.getVariable(names[out[i]]).dataType() == type;
            }
            return may;
        }

        private static boolean supported(SameDiffOp op) {
            DifferentialFunction f = op.getOp();
            if (op.getControlDeps() != null && !op.getControlDeps().isEmpty()
                    || op.getVarControlDeps() != null && !op.getVarControlDeps().isEmpty()) {
                return false;
            }
            if (f instanceof Identity || f instanceof GradientBackwardsMarker) {
                return true;
            }
            String cls = f.getClass().getSimpleName();
            if (Set.of("Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "Assign", "CreateView",
                    "Invoke", "ExternalErrorsFunction", "Assert").contains(cls)
                    || f.getClass().getName().contains(".tensorops.")) {
                return false;
            }
            return f instanceof CustomOp || f instanceof Op;
        }

        /** The arrays of the placeholders (cast to their declared type), parameters and constants, by slot. */
        INDArray[] external(SameDiff sd, Map<String, INDArray> feed) {
            INDArray[] a = new INDArray[names.length];
            for (int i = 0; i < names.length; i++) {
                if (!isExternal[i]) {
                    continue;
                }
                SDVariable v = sd.getVariable(names[i]);
                if (v.isPlaceHolder() || v.getVariableType() == VariableType.ARRAY) {
                    // a placeholder, or an intermediate the caller gives
                    INDArray x = feed.get(names[i]);
                    if (x == null) {
                        throw new IllegalArgumentException("no array for " + (v.isPlaceHolder() ? "placeholder '"
                                : "given intermediate '") + names[i] + "'");
                    }
                    a[i] = x.dataType() == v.dataType() ? x : x.castTo(v.dataType());
                } else {
                    a[i] = v.getArr();
                    if (a[i] == null) {
                        throw new IllegalStateException("variable '" + names[i] + "' has no array");
                    }
                }
            }
            return a;
        }
    }

    /** The arrays and op contexts of a program for one set of input shapes. */
    private static final class Bound {
        final Program p;
        final INDArray[] values;
        final OpContext[] contexts;
        /** Per op, the external arrays its context holds, to rebind only what changed. */
        final INDArray[][] bound;
        /** Arrays this plan allocated (closed on release). */
        final List<INDArray> owned = new ArrayList<>();
        /** Ids of the views this plan returns as reshapes' outputs (in {@link #OWNED}; their buffers are owned). */
        final List<Long> viewIds = new ArrayList<>();
        /** Per op, the kernel that replaces the op's own ({@link Replacements}; null: the op's own kernel). */
        final Replacements.Kernel[] replaced;
        /**
         * While building: arrays that several variables share (an {@code add_bp}'s input gradient and the two it
         * passes through), with how many of their variables' last uses are still to come before it is free.
         */
        private final Map<INDArray, Integer> shared = new IdentityHashMap<>();

        Bound(Program p) {
            this.p = p;
            values = new INDArray[p.names.length];
            contexts = new OpContext[p.ops.size()];
            bound = new INDArray[p.ops.size()][];
            replaced = new Replacements.Kernel[p.ops.size()];
        }

        /** First call for these shapes: executes while allocating every intermediate (reused by liveness). */
        void build(SameDiff sd, INDArray[] external) {
            Map<String, ArrayDeque<INDArray>> free = new HashMap<>();
            List<Listener> listeners = sd.getListeners();
            for (int k = 0; k < p.ops.size(); k++) {
                SameDiffOp sdo = p.ops.get(k);
                DifferentialFunction f = sdo.getOp();
                int[] in = p.inputs.get(k);
                int[] out = p.outputs.get(k);
                INDArray[] args = new INDArray[in.length];
                for (int i = 0; i < in.length; i++) {
                    args[i] = value(in[i], external);
                }
                bound[k] = args.clone();
                if (f instanceof Identity) {
                    values[out[0]] = args[0];
                    continue;
                }
                if (p.passThrough.contains(k) && Arrays.equals(args[0].shape(), args[2].shape())
                        && Arrays.equals(args[1].shape(), args[2].shape())) {
                    // both gradients are dL/dz's array: it goes back to the free list after the last reader of
                    // each of the three
                    values[out[0]] = args[2];
                    values[out[1]] = args[2];
                    shared.merge(args[2], 2, Integer::sum);
                    PASSED.incrementAndGet();
                    release(free, k);
                    continue;
                }
                if (f instanceof GradientBackwardsMarker) {
                    INDArray one = Nd4j.scalar(DataType.FLOAT, 1.0f);
                    own(one);
                    values[out[0]] = one;
                    continue;
                }
                OpContext oc = Nd4j.getExecutioner().buildContext();
                contexts[k] = oc;
                List<LongShapeDescriptor> shapes;
                if (f instanceof CustomOp) {
                    DynamicCustomOp c = (DynamicCustomOp) f;
                    oc.setArgs(args, c.iArgs(), c.dArgs(), c.tArgs(), c.bArgs());
                    shapes = c.calculateOutputShape(oc);
                } else {
                    prepareLegacy(f, oc, args);
                    shapes = ((BaseOp) f).calculateOutputShape(oc);
                }
                if (shapes == null || shapes.size() != out.length) {
                    throw new IllegalStateException("op " + f.getOwnName() + " (" + f.opName() + "): " + out.length
                            + " outputs, shape function gave " + shapes);
                }
                if (p.views.contains(k)) {
                    INDArray view = view(args[0], shapes.get(0), sd.getVariable(p.names[out[0]]).dataType());
                    if (view != null) {
                        values[out[0]] = view;
                        // owned by the plan like its other outputs (never closed by a caller), though not closed by
                        // it either: the array it views is
                        OWNED.add(view.getId());
                        viewIds.add(view.getId());
                        contexts[k] = null;
                        close(oc);
                        VIEWS.incrementAndGet();
                        release(free, k);
                        continue;
                    }
                }
                int one = passingToOne(k, args);
                LongShapeDescriptor passed = null;
                for (int i = 0; i < out.length; i++) {
                    LongShapeDescriptor d = shapes.get(i);
                    DataType dt = sd.getVariable(p.names[out[i]]).dataType();
                    if (d.dataType() != dt) {
                        d = d.asDataType(dt);
                    }
                    if (i == one) {
                        passed = d;
                        values[out[i]] = args[2];
                        oc.setOutputArray(i, args[2]);
                        continue;
                    }
                    // not a view after all (a planned reshape that ND4J copies): an array of the plan's own, never
                    // released (the output's storage slot is its input's)
                    INDArray arr = p.views.contains(k) ? fresh(d) : take(free, d);
                    values[out[i]] = arr;
                    oc.setOutputArray(i, arr);
                }
                INDArray[] outs = new INDArray[out.length];
                for (int i = 0; i < out.length; i++) {
                    outs[i] = values[out[i]];
                }
                boolean[] unread = p.unread.get(k);
                if (one >= 0) {
                    unread = unread.clone();
                    unread[one] = true;
                }
                replaced[k] = Replacements.choose(f, args, outs, unread, p.steps.get(k), this::own);
                if (one >= 0 && replaced[k] == null) {
                    // libnd4j's add_bp writes both gradients: this one gets an array of its own after all
                    INDArray arr = take(free, passed);
                    values[out[one]] = arr;
                    oc.setOutputArray(one, arr);
                } else if (one >= 0) {
                    shared.merge(args[2], 1, Integer::sum);
                    PASSED_ONE.incrementAndGet();
                }
                exec(sd, listeners, sdo, oc, k, out);
                release(free, k);
            }
        }

        /**
         * For an {@code add_bp} of a sum that broadcasts one operand ({@code x + b}, a bias), the output that takes
         * dL/dz's array: the other operand's, where it has dL/dz's shape, may pass through ({@link Program#passOne})
         * and something reads it; else -1. A replacement kernel then computes only the broadcast operand's gradient.
         */
        private int passingToOne(int k, INDArray[] args) {
            boolean[] may = p.passOne.get(k);
            if (may == null) {
                return -1;
            }
            for (int i = 0; i < 2; i++) {
                if (may[i] && !p.unread.get(k)[i] && Arrays.equals(args[i].shape(), args[2].shape())
                        && !Arrays.equals(args[1 - i].shape(), args[2].shape())) {
                    return i;
                }
            }
            return -1;
        }

        /**
         * The reshape of a planned array as a view of its buffer, or null where ND4J's reshape would not give one
         * (an empty or non-contiguous array, another type, a result that is not a view).
         */
        private static INDArray view(INDArray in, LongShapeDescriptor d, DataType type) {
            if (in.isEmpty() || d.isEmpty() || in.ordering() != 'c' || !Shape.hasDefaultStridesForShape(in)
                    || in.dataType() != type || d.getShape().length == 0) {
                return null;
            }
            INDArray v = in.reshape('c', d.getShape());
            return v.isView() && v.data().address() == in.data().address() && v.offset() == in.offset() ? v : null;
        }

        /**
         * Puts the arrays whose last reader op k is back on the free lists; an array that several variables share
         * (an {@code add_bp}'s gradients passed through) after the last of them.
         */
        private void release(Map<String, ArrayDeque<INDArray>> free, int k) {
            for (int s : p.lastUse.get(k)) {
                INDArray a = values[s];
                Integer others = a == null ? null : shared.get(a);
                if (others != null && others > 0) {
                    shared.put(a, others - 1);
                    continue;
                }
                if (a != null && !a.isEmpty()) {
                    free.computeIfAbsent(key(a.dataType(), a.shape()), x -> new ArrayDeque<>()).push(a);
                }
            }
        }

        /** A later call with the same shapes: rebinds the external arrays that changed, then runs the kernels. */
        void execute(SameDiff sd, INDArray[] external) {
            List<Listener> listeners = sd.getListeners();
            for (int k = 0; k < p.ops.size(); k++) {
                SameDiffOp sdo = p.ops.get(k);
                DifferentialFunction f = sdo.getOp();
                int[] in = p.inputs.get(k);
                int[] out = p.outputs.get(k);
                if (f instanceof Identity) {
                    values[out[0]] = value(in[0], external);
                    continue;
                }
                OpContext oc = contexts[k];
                if (oc == null) {
                    // a view, or an add_bp passing dL/dz through (an array of the plan's: the same at every call)
                    continue;
                }
                INDArray[] last = bound[k];
                boolean changed = false;
                for (int i = 0; i < in.length; i++) {
                    INDArray a = value(in[i], external);
                    if (a != last[i]) {
                        last[i] = a;
                        changed = true;
                    }
                }
                if (replaced[k] != null) {
                    // the kernel takes its inputs from bound[k]; the op's own context is not run
                } else if (f instanceof CustomOp) {
                    if (changed) {
                        oc.setInputArrays(last);
                    }
                } else {
                    prepareLegacy(f, oc, last);
                }
                exec(sd, listeners, sdo, oc, k, out);
            }
        }

        private INDArray value(int slot, INDArray[] external) {
            return p.isExternal[slot] ? external[slot] : values[slot];
        }

        /** What SameDiff's session does for a legacy op: the axis or scalar argument, then the inputs. */
        private static void prepareLegacy(DifferentialFunction f, OpContext oc, INDArray[] args) {
            boolean axisArg = false;
            if (f instanceof ReduceOp r && r.getOpType() != Op.Type.REDUCE3 && args.length == 2) {
                INDArray axes = args[1];
                if (!axes.isEmpty()) {
                    f.setDimensions(Shape.normalizeAxis(args[0].rank(), axes.toIntVector()));
                    ((BaseReduceOp) f).setEmptyReduce(false);
                } else {
                    throw new UnsupportedOperationException("reduction over an empty axis list");
                }
                axisArg = true;
            } else if (f instanceof ScalarOp s && args.length == 2) {
                s.setScalar(args[1]);
            }
            if (args.length > 0) {
                oc.setInputArray(0, args[0]);
                if (args.length == 2 && !axisArg) {
                    oc.setInputArray(1, args[1]);
                }
            }
        }

        private void exec(SameDiff sd, List<Listener> listeners, SameDiffOp sdo, OpContext oc, int k, int[] out) {
            DifferentialFunction f = sdo.getOp();
            At at = listeners.isEmpty() ? null : At.defaultAt(Operation.INFERENCE);
            for (Listener l : listeners) {
                if (l.isActive(Operation.INFERENCE)) {
                    l.preOpExecution(sd, at, sdo, oc);
                }
            }
            if (replaced[k] != null) {
                replaced[k].run(bound[k]);
            } else if (f instanceof CustomOp c) {
                Nd4j.getExecutioner().exec(c, oc);
            } else {
                Nd4j.getExecutioner().exec((Op) f, oc);
            }
            if (!listeners.isEmpty()) {
                INDArray[] outs = new INDArray[out.length];
                for (int i = 0; i < out.length; i++) {
                    outs[i] = values[out[i]];
                }
                for (Listener l : listeners) {
                    if (l.isActive(Operation.INFERENCE)) {
                        l.opExecution(sd, at, null, sdo, oc, outs);
                    }
                }
            }
        }

        private INDArray take(Map<String, ArrayDeque<INDArray>> free, LongShapeDescriptor d) {
            if (d.isEmpty()) {
                return Nd4j.create(d);
            }
            ArrayDeque<INDArray> q = free.get(key(d.dataType(), d.getShape()));
            if (q != null && !q.isEmpty()) {
                return q.pop();
            }
            INDArray a = Nd4j.createUninitializedDetached(d.dataType(), d.getShape());
            own(a);
            return a;
        }

        private INDArray fresh(LongShapeDescriptor d) {
            INDArray a = d.isEmpty() ? Nd4j.create(d) : Nd4j.createUninitializedDetached(d.dataType(), d.getShape());
            own(a);
            return a;
        }

        private void own(INDArray a) {
            owned.add(a);
            OWNED.add(a.getId());
        }

        private static void close(OpContext oc) {
            try {
                oc.close();
            } catch (Exception e) {
                // a context that cannot be closed is left to the garbage collector
            }
        }

        private static String key(DataType dt, long[] shape) {
            return dt + Arrays.toString(shape);
        }

        long bytes() {
            long n = 0;
            for (INDArray a : owned) {
                if (!a.wasClosed() && !a.isEmpty()) {
                    n += a.data().length() * a.data().getElementSize();
                }
            }
            return n;
        }

        void close() {
            for (OpContext oc : contexts) {
                if (oc != null) {
                    close(oc);
                }
            }
            for (Replacements.Kernel r : replaced) {
                if (r != null) {
                    r.close();
                }
            }
            Set<INDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (INDArray a : owned) {
                OWNED.remove(a.getId());
                if (seen.add(a) && a.closeable()) {
                    a.close();
                }
            }
            owned.clear();
            viewIds.forEach(OWNED::remove);
            viewIds.clear();
        }
    }
}
