package org.jgan.engine.internal.penalty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jgan.api.DataShape;
import org.jgan.api.GradientPenalty;
import org.jgan.api.Networks;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.Backprop;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates a {@link GradientPenalty} {@code P = sum_groups mean_i f(psi(x_i), |grad_x psi(x_i)|^2)} and its
 * gradient with respect to the discriminator's parameters using first-order gradients only (SameDiff cannot
 * differentiate through a gradient). With {@code g = grad_X sum_j psi(x_j)} (row i is {@code grad_x psi(x_i)} where
 * rows do not interact; with batch statistics it is what autograd implementations compute too), {@code s_i = |g_i|^2}
 * and {@code v_i = f_s,i g_i} held fixed:
 * <pre>
 *   d/dtheta sum_i f(psi_i, s_i) = sum_i f_psi,i grad_theta psi(x_i) + 2 (dg/dtheta)^T v
 *   (dg/dtheta)^T v = grad_theta (g . v) = grad_theta sum_j psi'_j,   psi' = d/de psi(X + e v) at e = 0
 * </pre>
 * The per-sample term and the weight make one small graph per point group, the penalty's head, whose inputs are the
 * logits and the input gradients: {@code P = (weight / n) sum_i f(psi_i, |g_i|^2)}. One backward pass of it gives
 * both terms' coefficients at once, {@code a = dP/dpsi = (weight / n) f_psi} and
 * {@code u = dP/dg = (2 weight / n) v}, so the parameter gradient of {@code P} is
 * {@code sum_i a_i grad_theta psi(x_i) + (dg/dtheta)^T u}.
 * <p>
 * {@link Method#TANGENT}: the directional derivative {@code psi'} is computed by forward-mode differentiation of the
 * discriminator's graph ({@link Tangents}), whose ops SameDiff differentiates with respect to the parameters in one
 * backward pass of {@code sum_j a_j psi_j + psi'_j} with {@code psi'} along {@code u}: exact, for every op that has
 * a tangent rule (every op of the shipped discriminators; {@code PenaltyExactnessTest} checks them against double
 * backprop in float64).
 * <p>
 * The tangent pass is given the discriminator's forward values at X from the critic pass, which computed them on the
 * same points by the same ops ({@link Critic#primalReads}), so the forward pass runs once per point group instead
 * of twice: its backward pass and the tangent's ops read them, and the ops that computed them do not run again.
 * <p>
 * {@link Method#DIFFERENCE}, the fallback for a discriminator with an op that has no tangent rule: a central
 * difference, one backward pass of {@code sum_j psi~(x_j)} at {@code X + e u} and one at {@code X - e u}, with the
 * first-order term riding on the same two passes. {@code psi~} is the discriminator linearized in its kinks at X:
 * its ReLU, LeakyReLU and abs ops (built through {@link org.jgan.api.NetworkScope#relu} and its siblings) multiply
 * their input by the mask (the slope at each element) that a first pass recorded at X. It equals psi wherever no
 * pre-activation changes sign, and its value and gradients at X are psi's; a central difference of psi itself is
 * wrong by the jump of the slope whenever a pre-activation crosses zero within the step (on the default ring MLP,
 * 15 to 31 crossings per evaluation and relative errors above 1), while the difference of psi~ is exact where the
 * masked network is affine in its input and O(e^2) where smooth non-linear ops remain (batch normalization, tanh,
 * softmax, the minibatch standard deviation).
 * <p>
 * Each point group is its own batch in every pass, so discriminators with batch statistics see the batch they are
 * penalized on.
 */
public final class InputGradientPenalty {

    private static final Logger LOG = LoggerFactory.getLogger(InputGradientPenalty.class);

    /**
     * Central-difference step in input space (the longest per-sample step) for a discriminator that is not affine in
     * its input once its masks are held: O(e^2) error from its smooth ops against float32 rounding of order
     * 1e-7/e. The best step differs by network: a small tanh conv net gave 3e-5 at 3e-3 and 1e-3 at 2e-2, the DCGAN
     * discriminator (batch norm) 3e-4, 9e-5 and 5e-4 at 1e-2, 3e-2 and 1e-1 (PenaltyExactnessTest,
     * ConvGradientPenaltyAccuracyTest).
     */
    static final double STEP = 1e-2;

    /**
     * The step for a discriminator that is affine in its input once its masks are held (linear layers,
     * convolutions, pooling, ReLU/LeakyReLU/abs through the scope, sums, projections): the difference is exact for
     * any step, and a long one keeps float32 rounding small against the difference of the two gradients.
     */
    static final double AFFINE_STEP = 10.0;

    private final RunSpec.RegularizerChoice choice;
    private final GradientPenalty penalty;
    /** The discriminator whose input gradient g the penalty takes (recording its masks for the difference). */
    private final Critic critic;
    /** The discriminator with its logit's tangent (null: the difference). */
    private final Critic tangent;
    /**
     * The tangent graph without the first-order term: built with the penalty when no head reads the logit, else at
     * the first evaluation whose first-order weights are all 0 (null until then, and without tangents).
     */
    private Critic tangentOnly;
    private final Supplier<Critic> tangentOnlyBuild;
    /** The discriminator held at its kinks for the difference (null: tangents). */
    private final Critic frozen;
    /** The critic pass's outputs: the masks at X (for the difference) and the logits. */
    private final List<String> criticOutputs;
    /**
     * The forward values that the tangent graph and the graph without the first-order term read and the critic pass
     * computes too ({@link Critic#primalReads}; null until the graph is needed).
     */
    private Set<String> tangentReads;
    private Set<String> tangentOnlyReads;
    /** The critic pass's outputs, with the forward values that the tangent graphs needed so far read. */
    private List<String> criticRequests;
    /** The penalty's graph of each point group. */
    private final List<PenaltyHead> heads = new ArrayList<>();
    /**
     * Weights of 1 for a group of {@code ones.size(0)} points (null until the first call): the critic pass's, and
     * the tangent pass's for {@code psi'} (the head's {@code u} carries the penalty's weight).
     */
    private INDArray ones;
    /** Listeners of this penalty's passes ({@link #listen}), for graphs built later too. */
    private final List<Listener> listeners = new ArrayList<>();
    /** Ops that make the frozen discriminator non-affine in its input (empty: the difference is exact). */
    private final List<String> nonAffine;
    private final double step;

    /** How the second-order term is computed. */
    public enum Method {
        /** Forward-mode tangents ({@link Tangents}): exact. */
        TANGENT,
        /** Central difference of the discriminator held at its kinks: the fallback for ops with no tangent rule. */
        DIFFERENCE
    }

    public InputGradientPenalty(RunSpec.RegularizerChoice choice, int groupCount, Networks networks, DataShape shape,
            int classes, ParameterStore store, List<GraphScope.Reparam> reparams) {
        this(choice, groupCount, networks, shape, classes, store, reparams, Method.TANGENT);
    }

    /** A penalty of a run whose loss is not known (the tests of the penalties alone): {@code lossName()} is empty. */
    public InputGradientPenalty(RunSpec.RegularizerChoice choice, int groupCount, Networks networks, DataShape shape,
            int classes, ParameterStore store, List<GraphScope.Reparam> reparams, Method preferred) {
        this(choice, null, groupCount, networks, shape, classes, store, reparams, preferred);
    }

    /**
     * @param loss      the run's adversarial loss, which {@link GradientPenalty#perSample} may read
     * @param preferred {@link Method#TANGENT} unless the discriminator has an op with no tangent rule (then the
     *                  difference, with a warning naming the ops); {@link Method#DIFFERENCE} always the difference
     */
    public InputGradientPenalty(RunSpec.RegularizerChoice choice, RunSpec.Choice loss, int groupCount, Networks networks,
            DataShape shape, int classes, ParameterStore store, List<GraphScope.Reparam> reparams, Method preferred) {
        this.choice = choice;
        this.penalty = (GradientPenalty) choice.entry().component();
        Critic t = null;
        if (preferred == Method.TANGENT) {
            t = Critic.tangent(networks, shape, classes, store, reparams);
            if (!t.unsupported().isEmpty()) {
                LOG.warn("{}: the discriminator has ops with no tangent rule ({}); the penalty's parameter gradient is "
                        + "a central difference, exact only where the discriminator is piecewise linear in its input",
                        choice.name(), String.join(", ", t.unsupported()));
                GraphMemory.release(t.sd());
                t = null;
            }
        }
        tangent = t;
        tangentOnlyBuild = () -> Critic.tangentOnly(networks, shape, classes, store, reparams);
        if (tangent != null) {
            try {
                critic = Critic.build(GraphScope.Kinks.PLAIN, networks, shape, classes, store, reparams);
            } catch (RuntimeException | Error e) {
                GraphMemory.release(tangent.sd());
                throw e;
            }
            frozen = null;
            nonAffine = List.of();
            step = 0;
        } else {
            critic = Critic.build(GraphScope.Kinks.RECORD, networks, shape, classes, store, reparams);
            try {
                frozen = Critic.build(GraphScope.Kinks.FROZEN, networks, shape, classes, store, reparams);
            } catch (RuntimeException | Error e) {
                GraphMemory.release(critic.sd());
                throw e;
            }
            if (frozen.masks().size() != critic.masks().size()) {
                release();
                throw new IllegalStateException(choice.name() + ": the discriminator built " + critic.masks().size()
                        + " piecewise-linear ops once and " + frozen.masks().size() + " the next time; an "
                        + "architecture must build the same network every time");
            }
            List<String> direct = frozen.kinkedOps();
            if (!direct.isEmpty()) {
                LOG.warn("{}: the discriminator builds {} directly in the graph rather than through NetworkScope's "
                        + "relu, leakyRelu and abs; the penalty's parameter gradient is approximate where a "
                        + "pre-activation changes sign within the finite-difference step", choice.name(),
                        String.join(", ", direct));
            }
            nonAffine = AffineOps.of(frozen.sd(), Critic.X);
            step = nonAffine.isEmpty() ? AFFINE_STEP : STEP;
        }
        List<String> outputs = new ArrayList<>(critic.masks());
        outputs.add(critic.logits());
        criticOutputs = List.copyOf(outputs);
        criticRequests = criticOutputs;
        for (int g = 0; g < groupCount; g++) {
            heads.add(new PenaltyHead(penalty, choice, loss, g, shape.dims().length + 1));
        }
        if (tangent != null) {
            try {
                if (heads.stream().anyMatch(PenaltyHead::readsLogits)) {
                    tangentReads = tangent.primalReads(critic);
                    requestReads(tangentReads);
                } else {
                    // the only tangent graph a penalty that ignores the logit runs: built now, so that the first
                    // critic pass already outputs what it reads
                    tangentOnly();
                }
            } catch (RuntimeException | Error e) {
                release();
                throw e;
            }
        }
    }

    /** Adds forward values to the critic pass's outputs (its plan for the longer list is made at its next call). */
    private void requestReads(Set<String> reads) {
        List<String> all = new ArrayList<>(criticRequests);
        reads.stream().filter(r -> !all.contains(r)).forEach(all::add);
        criticRequests = List.copyOf(all);
    }

    /**
     * Whether the tangent pass takes the discriminator's forward values from the critic pass (for the tangent graph
     * this penalty runs: with the first-order term where its term reads the logit, without it otherwise).
     */
    public boolean reusesForwardPass() {
        Set<String> reads = tangentReads != null ? tangentReads : tangentOnlyReads;
        return reads != null && !reads.isEmpty();
    }

    private static boolean hasGradient(SameDiff sd, String variable) {
        SDVariable v = sd.getVariable(variable);
        return v.dataType().isFPType() && v.getGradient() != null;
    }

    /** The method this penalty uses. */
    public Method method() {
        return tangent != null ? Method.TANGENT : Method.DIFFERENCE;
    }

    /**
     * The difference's step: {@link #AFFINE_STEP} when the frozen discriminator is affine in its input (0 with
     * tangents).
     */
    public double step() {
        return step;
    }

    /** Ops that make the frozen discriminator non-affine in its input (none with tangents). */
    public List<String> nonAffineOps() {
        return nonAffine;
    }

    /**
     * Ops with kinks that the discriminator built directly, which the difference cannot hold fixed (none expected;
     * none matter with tangents).
     */
    public List<String> kinkedOps() {
        return frozen == null ? List.of() : frozen.kinkedOps();
    }

    String name() {
        return choice.name();
    }

    private Critic tangentOnly() {
        if (tangentOnly == null) {
            tangentOnly = tangentOnlyBuild.get();
            listeners.forEach(l -> listen(tangentOnly.sd(), l));
            tangentOnlyReads = tangentOnly.primalReads(critic);
            requestReads(tangentOnlyReads);
        }
        return tangentOnly;
    }

    /**
     * Adds a listener to the passes of this penalty's graphs (its gradient functions, where they run through a
     * {@link GraphPlan}): a profile of a step then shows the penalty's ops too.
     */
    public void listen(Listener listener) {
        listeners.add(listener);
        for (Critic c : Arrays.asList(critic, tangent, tangentOnly, frozen)) {
            if (c != null) {
                listen(c.sd(), listener);
            }
        }
        heads.forEach(h -> listen(h.sd(), listener));
    }

    private static void listen(SameDiff sd, Listener listener) {
        if (!sd.hasGradientFunction()) {
            sd.createGradFunction();
        }
        sd.getFunction("grad").addListeners(listener);
    }

    /** Frees the array caches of this penalty's graphs (its parameters belong to the run's store). */
    public void release() {
        GraphMemory.release(critic.sd());
        if (tangent != null) {
            GraphMemory.release(tangent.sd());
        }
        if (tangentOnly != null) {
            GraphMemory.release(tangentOnly.sd());
        }
        if (frozen != null) {
            GraphMemory.release(frozen.sd());
        }
        heads.forEach(PenaltyHead::release);
    }

    /** Bytes in the array caches of this penalty's graphs. */
    public long cachedBytes() {
        long bytes = GraphMemory.cachedBytes(critic.sd());
        bytes += tangent == null ? 0 : GraphMemory.cachedBytes(tangent.sd());
        bytes += tangentOnly == null ? 0 : GraphMemory.cachedBytes(tangentOnly.sd());
        bytes += frozen == null ? 0 : GraphMemory.cachedBytes(frozen.sd());
        for (PenaltyHead h : heads) {
            bytes += h.bytes();
        }
        return bytes;
    }

    /**
     * Penalty value and parameter gradients (already multiplied by {@code weight}), which the caller may change in
     * place. With one point group and tangents they are the arrays of the tangent graph's plan (valid until the
     * next evaluation or {@link #release}; {@link GraphMemory#close} leaves them to the plan), otherwise new arrays.
     * A parameter whose penalty gradient is 0 by construction (D's output bias when the penalty's term ignores the
     * logit, and the biases of a ReLU network under it) may have no entry. {@code buffers}: the new values of D's
     * state buffers at the points where they were asked for ({@link #evaluate(List, INDArray, double, UnaryOperator,
     * boolean)}), else empty.
     */
    public record Result(double value, Map<String, INDArray> gradients, Map<String, INDArray> buffers) {

        public Result(double value, Map<String, INDArray> gradients) {
            this(value, gradients, Map.of());
        }
    }

    public Result evaluate(List<INDArray> points, INDArray labels, double weight) {
        return evaluate(points, labels, weight, null);
    }

    /**
     * Whether {@link #evaluate(List, INDArray, double, UnaryOperator)} takes a loss's first-order term on its points
     * at no extra pass: with tangents (the difference's passes hold the kinks at X and are exact only where D is
     * affine), and where the penalty's tangent pass runs a backward pass through D's forward pass at X anyway (the
     * tangent reads forward values that depend on the parameters, as batch norm's statistics do), so that the loss's
     * gradient through D at X rides on that pass. On a discriminator whose tangent reads only its slopes (ReLU
     * networks without batch statistics: the graph without the first-order term skips that backward pass) the loss
     * would bring the pass back into the tangent pass, saving only D's forward pass at X: on the ring MLP a wash
     * (2.25 against 2.12 ms, 1.71 against 1.89 in two in-process comparisons), so there the step's own graph keeps
     * the loss.
     */
    public boolean takesLossTerm() {
        if (tangent == null || Critic.random(critic.sd()) || Critic.random(tangent.sd())) {
            // (a discriminator drawing random numbers would draw anew in the tangent pass, which then computes its
            // own forward pass: the loss's weights from one draw, its gradient through another)
            return false;
        }
        Critic t = tangentOnly();
        if (!t.sd().hasGradientFunction()) {
            t.sd().createGradFunction();
        }
        // a forward op at X whose output and one of its forward inputs have gradients in the graph without the
        // first-order term: that graph's backward pass goes through D's forward pass (a slope mask, the cast of a
        // comparison, has a gradient but stops there)
        List<SameDiffOp> forward = GraphPath.ops(t.sd(), Critic.X, t.logits());
        Set<String> values = new HashSet<>();
        forward.forEach(op -> values.addAll(op.getOutputsOfOp() == null ? List.of() : op.getOutputsOfOp()));
        for (SameDiffOp op : forward) {
            List<String> in = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
            List<String> out = op.getOutputsOfOp() == null ? List.of() : op.getOutputsOfOp();
            if (out.stream().anyMatch(v -> hasGradient(t.sd(), v))
                    && in.stream().anyMatch(v -> values.contains(v) && hasGradient(t.sd(), v))) {
                return true;
            }
        }
        return false;
    }

    /**
     * As {@link #evaluate(List, INDArray, double)}, on one point group, with another objective's gradient on the same
     * points folded into the tangent pass: after the critic pass, {@code lossTerm} is given the logits psi(X) (the
     * critic pass's array, valid until the next evaluation) and returns {@code b = dL/dpsi} of an objective L that
     * reads D on X only through them (the D step's adversarial loss, which then need not run D on X itself). The
     * tangent pass's first-order weights become {@code a + b}, so the returned gradients are those of the penalty
     * plus {@code sum_j b_j grad_theta psi(x_j)}: the loss's gradient through D on X, in the same backward pass as
     * the penalty's (as one autograd backward pass computes both in PyTorch), and D's forward pass on X runs once.
     * The value is the penalty's alone.
     *
     * @param lossTerm null for the penalty alone
     */
    public Result evaluate(List<INDArray> points, INDArray labels, double weight, UnaryOperator<INDArray> lossTerm) {
        return evaluate(points, labels, weight, lossTerm, false);
    }

    /**
     * As {@link #evaluate(List, INDArray, double, UnaryOperator)}; with {@code buffers}, the result also holds the new
     * values of D's state buffers at the points, as D's pass on them in the step's graph gives them (batch norm's
     * running statistics: a D step that takes its logits on G(z) from R2's critic pass records the statistics of
     * D's pass on G(z), as the step's own graph does), copied.
     */
    public Result evaluate(List<INDArray> points, INDArray labels, double weight, UnaryOperator<INDArray> lossTerm,
            boolean buffers) {
        if ((lossTerm != null || buffers) && (points.size() != 1 || tangent == null)) {
            throw new IllegalStateException(choice.name() + ": a loss term and D's buffers ride on the passes of one "
                    + "point group with tangents; this penalty has " + points.size() + " groups and uses the "
                    + method());
        }
        if (lossTerm != null && tangentReads == null) {
            // the graph with the first-order term, given the critic pass's forward values from this pass on
            tangentReads = tangent.primalReads(critic);
            requestReads(tangentReads);
        }
        Map<String, INDArray> total = new LinkedHashMap<>();
        double value = 0;
        for (int g = 0; g < points.size(); g++) {
            INDArray x = points.get(g).castTo(DataType.FLOAT);
            long n = x.size(0);
            if (labels != null && labels.size(0) != n) {
                throw new IllegalArgumentException(choice.name() + ": a point group of " + n + " rows for "
                        + labels.size(0) + " labels; a conditional run needs one point per data row");
            }
            // feeds are read, never written: kept from call to call
            if (ones == null || ones.size(0) != n) {
                ones = Nd4j.ones(DataType.FLOAT, n, 1);
            }
            List<String> requests = criticRequests;
            if (buffers) {
                requests = new ArrayList<>(requests);
                for (GraphScope.BufferUpdate b : critic.buffers()) {
                    requests.add(b.newValue());
                }
            }
            Backprop.Result first = Backprop.run(critic.sd(), critic.feed(x, ones, labels), requests,
                    List.of(Critic.X));
            Map<String, INDArray> newBuffers = new LinkedHashMap<>();
            if (buffers) {
                // (the plan's arrays until the next pass: copies)
                critic.buffers().forEach(b -> newBuffers.put(b.buffer(), first.outputs().get(b.newValue()).dup()));
            }
            // a = c f_psi, u = 2 c f_s g with c = weight / n; a is null when f ignores psi
            PenaltyHead.Result head = heads.get(g).run(first.outputs().get(critic.logits()),
                    first.gradients().get(Critic.X), weight / n);
            value += head.total() / n;
            INDArray a = head.a();
            INDArray u = head.u();
            double uSum = u == null ? 0 : heads.get(g).absoluteSum(u);
            boolean secondOrder = uSum > 0 && Double.isFinite(uSum);
            boolean firstOrder = a != null && PenaltyHead.usable(a);
            if (lossTerm != null) {
                INDArray b = lossTerm.apply(first.outputs().get(critic.logits()));
                a = firstOrder ? a.add(b) : b;
                firstOrder = true;
            }
            if (tangent != null) {
                if (!secondOrder && !firstOrder) {
                    continue;
                }
                // one pass: d/dtheta [sum_j a_j psi(x_j) + psi'(x_j)] with psi' the derivative along u, whose
                // gradient is (dg/dtheta)^T u exactly (Tangents); without a first-order term, the graph without
                // it: the same gradient, less work
                Critic t = firstOrder ? tangent : tangentOnly();
                Map<String, INDArray> feed = new HashMap<>(t.feed(x, firstOrder ? a : ones, labels));
                // the discriminator's forward values at X, from the critic pass where it output them
                Set<String> reads = t == tangent ? tangentReads : tangentOnlyReads;
                reads = reads == null ? Set.of() : reads;
                Set<String> given = requests.containsAll(reads) ? reads : Set.of();
                for (String r : given) {
                    feed.put(r, first.outputs().get(r));
                }
                feed.put(Critic.XDOT, secondOrder ? u : Nd4j.zeros(DataType.FLOAT, x.shape()));
                feed.put(Critic.WT, ones);
                // a parameter that psi' does not depend on (D's output bias; under R1 on a ReLU network all its
                // biases, which move only the masks) has no gradient variable in the graph without the first-order
                // term, and no entry: its penalty gradient is 0 exactly
                Map<String, INDArray> grads = Backprop.run(t.sd(), feed, List.of(), t.params(), given).gradients();
                if (points.size() == 1) {
                    // the plan's arrays, not copies: nothing else runs the tangent graph before the caller is done;
                    // an array no plan holds (SameDiff's own execution, with plans switched off) is copied
                    grads.replaceAll((name, arr) -> GraphPlan.owns(arr) ? arr : arr.dup());
                    return new Result(value, grads, newBuffers);
                }
                accumulate(total, grads);
                continue;
            }
            // the masks at X, for the frozen graph's placeholders (the record graph's outputs are not reused before
            // the next call on it)
            Map<String, INDArray> masks = new HashMap<>();
            for (int k = 0; k < critic.masks().size(); k++) {
                masks.put(frozen.masks().get(k), first.outputs().get(critic.masks().get(k)));
            }
            // the difference of psi~ at X + e u and X - e u over 2 e is (dg/dtheta)^T u: a step of length `step`
            // along the longest row of u (none when the rows' float32 norms underflow to 0)
            double longest = secondOrder ? longestRow(u, n) : 0;
            if (longest > 0 && Double.isFinite(longest)) {
                double eps = step / longest;
                INDArray delta = u.mul(eps);
                INDArray c = Nd4j.valueArrayOf(new long[] {n, 1}, 0.5 / eps, DataType.FLOAT);
                // the first-order term rides on the same two passes: the mean of the gradients of psi~ at X + e u and
                // X - e u is the gradient at X, exactly where psi~ is affine in its input and up to O(e^2) elsewhere;
                // float32 keeps it to about 1e-7 c / |a| (the long affine step keeps c small)
                INDArray half = firstOrder ? a.mul(0.5) : Nd4j.zeros(DataType.FLOAT, n, 1);
                accumulate(total, pass(x.add(delta), half.add(c), labels, masks));
                accumulate(total, pass(x.sub(delta), half.sub(c), labels, masks));
            } else if (firstOrder) {
                accumulate(total, pass(x, a, labels, masks));
            }
        }
        return new Result(value, total);
    }

    /**
     * Gradient of {@code sum_j w_j psi~(x_j)} over one whole batch, the discriminator linearized in its kinks at the
     * unperturbed points. Every evaluation point set is its own batch, so discriminators with batch statistics see
     * the batch they are penalized on.
     */
    private Map<String, INDArray> pass(INDArray x, INDArray w, INDArray labels, Map<String, INDArray> masks) {
        Map<String, INDArray> feed = new HashMap<>(frozen.feed(x, w, labels));
        feed.putAll(masks);
        return Backprop.run(frozen.sd(), feed, List.of(), frozen.params()).gradients();
    }

    /** The largest Euclidean norm of u's rows (0 when their float32 squares underflow). */
    private static double longestRow(INDArray u, long n) {
        INDArray rows = u.reshape(n, -1);
        return Transforms.sqrt(rows.mul(rows).sum(true, 1), false).maxNumber().doubleValue();
    }

    private static void accumulate(Map<String, INDArray> total, Map<String, INDArray> grads) {
        grads.forEach((k, a) -> total.merge(k, a.dup(), INDArray::addi));
    }
}
