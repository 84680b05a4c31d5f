package org.jgan.engine.internal.penalty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jgan.api.DataShape;
import org.jgan.api.GradientPenalty;
import org.jgan.api.Networks;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.Backprop;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.InPlace;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.memory.GraphMemory;
import org.jgan.engine.internal.memory.ViewCache;
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
 * The penalty's head ({@link PenaltyHead}, one per point group) takes the logits and the input gradients to
 * {@code P = (weight / n) sum_i f(psi_i, |g_i|^2)} and both terms' coefficients, {@code a = dP/dpsi = (weight / n)
 * f_psi} and {@code u = dP/dg = (2 weight / n) v}: the per-sample term and the weight as a small graph of
 * {@code psi} and the squared norms, whose one backward pass gives {@code a} and {@code dP/ds}, the squared norms and
 * {@code u = 2 (dP/ds)_i g_i} in one pass each over g. The parameter gradient of {@code P} is
 * {@code sum_i a_i grad_theta psi(x_i) + (dg/dtheta)^T u}.
 * <p>
 * {@link Method#TANGENT}: the directional derivative {@code psi'} is computed by forward-mode differentiation of the
 * discriminator's graph ({@link Tangents}), whose ops SameDiff differentiates with respect to the parameters in one
 * backward pass of {@code sum_j a_j psi_j + psi'_j} with {@code psi'} along {@code u}: exact, for every op that has
 * a tangent rule (every op of the shipped discriminators; {@code PenaltyExactnessTest} checks them against double
 * backprop in float64).
 * <p>
 * The tangent pass is given the discriminator's forward values at X from the critic pass, which computed them on the
 * same points by the same ops ({@link Critic#reads}), so the forward pass runs once per point group instead
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
 * penalized on. Where the discriminator's rows are independent ({@link Networks#independentSamples}: no batch
 * statistics, no random input with a batch axis), point groups of one size (Roth et al.'s data batch and samples) run
 * as one batch instead, stacked along the batch axis ({@link #stackGroups}): one critic pass and one tangent pass
 * over all groups, each group's head on its own rows. The sums over rows are the same sums in another order: the
 * gradients agree with the per-group passes to float rounding.
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
     * The forward values and the adjoints of the tangents that the tangent graph and the graph without the
     * first-order term take from the critic pass ({@link Critic#reads}; null until the graph is needed).
     */
    private Critic.Reads tangentReads;
    private Critic.Reads tangentOnlyReads;
    /**
     * Whether the tangent pass takes the adjoints of its tangents from the critic pass ({@link #takeAdjoints}; on
     * unless {@code -Djgan.graph.adjoints=false}).
     */
    private boolean adjoints = !"false".equals(System.getProperty("jgan.graph.adjoints"));
    /** The critic pass's outputs, with the values that the tangent graphs needed so far read. */
    private List<String> criticRequests;
    /** The penalty's graph of each point group. */
    private final List<PenaltyHead> heads = new ArrayList<>();
    /**
     * Weights of 1 for the last critic pass's {@code ones.size(0)} points, one group or the groups stacked (null
     * until the first call): the critic pass's, and the tangent pass's for {@code psi'} (the head's {@code u} carries
     * the penalty's weight).
     */
    private INDArray ones;
    /**
     * Per point group, the arrays that hold the critic pass's outputs while later groups' critic passes run (a loss
     * term carried on several groups; {@link Critiqued#copied}).
     */
    private final List<Map<String, INDArray>> keptOutputs = new ArrayList<>();
    /** The arrays of each point group's first-order weights {@code a + b} with a carried loss term, by group. */
    private final Map<String, INDArray> weightsOf = new HashMap<>();
    /** Listeners of this penalty's passes ({@link #listen}), for graphs built later too. */
    private final List<Listener> listeners = new ArrayList<>();
    /** Ops that make the frozen discriminator non-affine in its input (empty: the difference is exact). */
    private final List<String> nonAffine;
    private final double step;
    /** Whether row i of D's outputs depends on row i of its inputs alone ({@link Networks#independentSamples}). */
    private final boolean independent;
    /** Whether point groups of one size run as one batch ({@link #stackGroups}). */
    private boolean stackGroups;
    /** The stacked passes' inputs and coefficients (points, labels, a, u), kept from call to call. */
    private final Map<String, INDArray> stacked = new HashMap<>();
    /**
     * The stacked passes' views of each group's rows, of the kept arrays and of the plan's outputs (the same arrays
     * from call to call): made once, not at each call ({@link ViewCache}).
     */
    private final ViewCache views = new ViewCache();
    /** Evaluations whose point groups ran as one batch. */
    private long stackedEvaluations;

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
        this.independent = networks.independentSamples();
        this.stackGroups = independent && !"false".equals(System.getProperty("jgan.graph.stack"));
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
            heads.add(new PenaltyHead(penalty, choice, loss, g));
        }
        if (tangent != null) {
            try {
                if (heads.stream().anyMatch(PenaltyHead::readsLogits)) {
                    tangentReads = tangent.reads(critic, adjoints);
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

    /**
     * Adds the values a tangent graph reads to the critic pass's outputs (its plan for the longer list is made at its
     * next call).
     */
    private void requestReads(Critic.Reads reads) {
        List<String> all = new ArrayList<>(criticRequests);
        reads.criticOutputs().stream().filter(r -> !all.contains(r)).forEach(all::add);
        criticRequests = List.copyOf(all);
    }

    /**
     * Whether the tangent pass takes the discriminator's forward values from the critic pass (for the tangent graph
     * this penalty runs: with the first-order term where its term reads the logit, without it otherwise).
     */
    public boolean reusesForwardPass() {
        Critic.Reads reads = tangentReads != null ? tangentReads : tangentOnlyReads;
        return reads != null && !reads.forward().isEmpty();
    }

    /**
     * Whether the tangent pass takes the adjoints of its tangents from the critic pass ({@link Critic#reads}): on by
     * default; off, it computes them by its own backward pass through the tangent ops (tests and benchmarks compare
     * the two). The tangent graphs built so far are wired up anew; the critic pass outputs what they read from its
     * next call on.
     */
    public void takeAdjoints(boolean on) {
        if (on == adjoints) {
            return;
        }
        adjoints = on;
        criticRequests = criticOutputs;
        if (tangentReads != null) {
            tangentReads = tangent.reads(critic, on);
            requestReads(tangentReads);
        }
        if (tangentOnlyReads != null) {
            tangentOnlyReads = tangentOnly.reads(critic, on);
            requestReads(tangentOnlyReads);
        }
    }

    /**
     * How many adjoints of its tangents the tangent pass takes from the critic pass (for the tangent graph this
     * penalty runs, as {@link #reusesForwardPass}): 0 where it computes them by its own backward pass.
     */
    public int adjointsTaken() {
        Critic.Reads reads = tangentReads != null ? tangentReads : tangentOnlyReads;
        return reads == null ? 0 : reads.adjoints().size();
    }

    private static boolean hasGradient(SameDiff sd, String variable) {
        SDVariable v = sd.getVariable(variable);
        return v.dataType().isFPType() && v.getGradient() != null;
    }

    /**
     * Whether point groups of one size run as one batch, stacked along the batch axis, where the discriminator's rows
     * are independent and the method is tangents (on by default unless {@code -Djgan.graph.stack=false}; off, each
     * group runs its own passes: tests and benchmarks compare the two). Ignored where the rows are not independent.
     */
    public void stackGroups(boolean on) {
        stackGroups = on && independent;
    }

    /** Evaluations so far whose point groups ran as one batch. */
    public long stackedEvaluations() {
        return stackedEvaluations;
    }

    /** Views of its stacked passes' arrays made so far ({@link ViewCache#made}): for tests. */
    public long viewsMade() {
        return views.made();
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
            tangentOnlyReads = tangentOnly.reads(critic, adjoints);
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
        keptOutputs.forEach(m -> GraphMemory.close(m.values()));
        keptOutputs.clear();
        GraphMemory.close(weightsOf.values());
        weightsOf.clear();
        GraphMemory.close(stacked.values());
        stacked.clear();
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
        List<INDArray> kept = new ArrayList<>();
        keptOutputs.forEach(m -> kept.addAll(m.values()));
        kept.addAll(weightsOf.values());
        kept.addAll(stacked.values());
        return bytes + GraphMemory.bytes(kept);
    }

    /**
     * Penalty value and parameter gradients (already multiplied by {@code weight}), which the caller may change in
     * place. With tangents and one point group, or the groups stacked, they are the arrays of the tangent graph's
     * plan (valid until the next evaluation or {@link #release}; {@link GraphMemory#close} leaves them to the plan),
     * otherwise new arrays.
     * A parameter whose penalty gradient is 0 by construction (D's output bias when the penalty's term ignores the
     * logit, and the biases of a ReLU network under it) may have no entry. {@code buffers}: the new values of D's
     * state buffers at the points of the group they were asked for
     * ({@link #evaluate(List, INDArray, double, Function, int)}), else empty.
     */
    public record Result(double value, Map<String, INDArray> gradients, Map<String, INDArray> buffers) {

        public Result(double value, Map<String, INDArray> gradients) {
            this(value, gradients, Map.of());
        }
    }

    public Result evaluate(List<INDArray> points, INDArray labels, double weight) {
        return evaluate(points, labels, weight, null, -1);
    }

    /**
     * Whether {@link #evaluate(List, INDArray, double, Function, int)} takes a loss's first-order term on its points
     * at no extra pass: with tangents (the difference's passes hold the kinks at X and are exact only where D is
     * affine), and where the penalty's tangent pass runs a backward pass through D's forward pass at X anyway, so that
     * the loss's gradient through D at X rides on that pass: where the penalty's term reads the logit in every group
     * (Roth et al.'s weights (1 - D)^2 and D^2: its tangent pass always has the first-order term), or where the
     * tangent reads forward values that depend on the parameters (batch norm's statistics). On a discriminator whose
     * tangent reads only its slopes (ReLU networks without batch statistics: the graph without the first-order term
     * skips that backward pass) a penalty without a first-order term would bring the pass back into the tangent pass
     * for the loss, saving only D's forward pass at X: on the ring MLP with R1 a wash (2.25 against 2.12 ms, 1.71
     * against 1.89 in two in-process comparisons), so there the step's own graph keeps the loss.
     */
    public boolean takesLossTerm() {
        if (tangent == null || Critic.random(critic.sd()) || Critic.random(tangent.sd())) {
            // (a discriminator drawing random numbers would draw anew in the tangent pass, which then computes its
            // own forward pass: the loss's weights from one draw, its gradient through another)
            return false;
        }
        if (heads.stream().allMatch(PenaltyHead::readsLogits)) {
            return true;
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
     * As {@link #evaluate(List, INDArray, double)}, with another objective's gradient on the same points folded into
     * the tangent passes: after the critic passes of all point groups, {@code lossTerm} is given their logits psi
     * (one {@code [n, 1]} array per group, valid until the next evaluation) and returns {@code b = dL/dpsi} of each
     * group, of an objective L that reads D on the points only through them (the D step's adversarial loss, which
     * then need not run D on them itself). Each group's tangent pass takes the first-order weights {@code a + b}, so
     * the returned gradients are those of the penalty plus {@code sum_j b_j grad_theta psi(x_j)} over the groups: the
     * loss's gradient through D on the points, in the same backward passes as the penalty's (as one autograd backward
     * pass computes both in PyTorch), and D's forward pass on each group runs once. The value is the penalty's alone.
     * With more than one group, the critic passes' values that a later pass reads are copied before the next group's
     * critic pass.
     * <p>
     * With {@code buffersOf} a group's index, the result also holds the new values of D's state buffers at that
     * group's points, as D's pass on them in the step's graph gives them (batch norm's running statistics: a D step
     * that takes its logits on G(z) from a critic pass records the statistics of D's pass on G(z), as the step's own
     * graph does), copied.
     *
     * @param lossTerm  null for the penalty alone
     * @param buffersOf the group whose buffers the result holds, or -1
     */
    public Result evaluate(List<INDArray> points, INDArray labels, double weight,
            Function<List<INDArray>, List<INDArray>> lossTerm, int buffersOf) {
        if ((lossTerm != null || buffersOf >= 0) && tangent == null) {
            throw new IllegalStateException(choice.name() + ": a loss term and D's buffers ride on the passes of "
                    + "tangents; this penalty uses the " + method());
        }
        if (buffersOf >= points.size()) {
            throw new IllegalArgumentException(choice.name() + ": the buffers of group " + buffersOf + " of "
                    + points.size());
        }
        if (lossTerm != null && points.stream().anyMatch(p -> p.size(0) != points.get(0).size(0))) {
            // (the weights of 1 the passes share are sized for one group at a time)
            throw new IllegalArgumentException(choice.name() + ": a loss term rides on point groups of one size; "
                    + "these have " + points.stream().map(p -> Long.toString(p.size(0))).toList() + " rows");
        }
        if (lossTerm != null && tangentReads == null) {
            // the graph with the first-order term, given the critic pass's forward values from this pass on
            tangentReads = tangent.reads(critic, adjoints);
            requestReads(tangentReads);
        }
        List<String> requests = criticRequests;
        if (buffersOf >= 0) {
            requests = new ArrayList<>(requests);
            for (GraphScope.BufferUpdate b : critic.buffers()) {
                requests.add(b.newValue());
            }
        }
        if (stacks(points)) {
            return stacked(points, labels, weight, lossTerm, requests, buffersOf >= 0);
        }
        Map<String, INDArray> total = new LinkedHashMap<>();
        Map<String, INDArray> newBuffers = new LinkedHashMap<>();
        List<Critiqued> pending = new ArrayList<>();
        while (keptOutputs.size() < points.size()) {
            keptOutputs.add(new HashMap<>());
        }
        double value = 0;
        for (int g = 0; g < points.size(); g++) {
            Critiqued c = critique(g, points.get(g), labels, weight, requests);
            value += c.value();
            if (g == buffersOf) {
                // (the plan's arrays until the next pass: copies)
                critic.buffers().forEach(b -> newBuffers.put(b.buffer(), c.outputs().get(b.newValue()).dup()));
            }
            if (lossTerm != null) {
                // the next group's critic pass reuses the plan's arrays
                pending.add(g + 1 < points.size() ? c.copied(keptOutputs.get(g)) : c);
                continue;
            }
            if (tangent != null) {
                if (!c.secondOrder() && !c.firstOrder()) {
                    continue;
                }
                Map<String, INDArray> grads = tangentPass(c, c.firstOrder() ? c.a() : null, labels);
                if (points.size() == 1) {
                    return new Result(value, ownedOrCopied(grads), newBuffers);
                }
                accumulate(total, grads);
                continue;
            }
            difference(c, labels, total);
        }
        if (lossTerm != null) {
            List<INDArray> logits = new ArrayList<>();
            pending.forEach(c -> logits.add(c.outputs().get(critic.logits())));
            List<INDArray> b = lossTerm.apply(logits);
            if (b.size() != pending.size()) {
                throw new IllegalStateException(choice.name() + ": the loss term gave " + b.size() + " gradients for "
                        + pending.size() + " point groups");
            }
            for (int g = 0; g < pending.size(); g++) {
                Critiqued c = pending.get(g);
                INDArray w = b.get(g);
                if (c.firstOrder()) {
                    // a + b, into an array kept for it
                    w = InPlace.add(InPlace.copy(kept(weightsOf, "group " + g, w), c.a()), w);
                }
                Map<String, INDArray> grads = tangentPass(c, w, labels);
                if (pending.size() == 1) {
                    return new Result(value, ownedOrCopied(grads), newBuffers);
                }
                accumulate(total, grads);
            }
        }
        return new Result(value, total, newBuffers);
    }

    /**
     * Whether this evaluation runs its point groups as one batch: more than one group, all of one size, stacking on
     * (rows independent) and tangents.
     */
    private boolean stacks(List<INDArray> points) {
        if (!stackGroups || tangent == null || points.size() < 2) {
            return false;
        }
        long n = points.get(0).size(0);
        return n > 0 && points.stream().allMatch(p -> p.size(0) == n);
    }

    /**
     * {@link #evaluate(List, INDArray, double, Function, int)} with the point groups stacked along the batch axis: one
     * critic pass over all groups, each group's head on its rows (its own mean, {@code weight / n}), one tangent pass
     * with the groups' coefficients stacked alike ({@code a} or {@code a + b}, and {@code u}; zeros for a group
     * without the term). D's rows being independent, each pass's sums over rows are the per-group passes' sums, added
     * in another order. D's state buffers, where asked for ({@code buffers}), are those of the pass over all groups,
     * as a step graph that stacks D's batches records them (spectral normalization's vectors, which do not depend on
     * the rows).
     */
    private Result stacked(List<INDArray> points, INDArray labels, double weight,
            Function<List<INDArray>, List<INDArray>> lossTerm, List<String> requests, boolean buffers) {
        int groups = points.size();
        long n = points.get(0).size(0);
        checkLabels(n, labels);
        long[] shape = points.get(0).shape().clone();
        shape[0] = groups * n;
        INDArray x = keptOf("x", DataType.FLOAT, shape);
        INDArray y = labels == null ? null : keptOf("labels", labels.dataType(), stackedShape(labels, groups));
        for (int g = 0; g < groups; g++) {
            InPlace.copy(views.rows("x", x, g, n), points.get(g));
            if (y != null) {
                InPlace.copy(views.rows("labels", y, g, n), labels);
            }
        }
        Backprop.Result first = Backprop.run(critic.sd(), critic.feed(x, ones(groups * n), y), requests,
                List.of(Critic.X));
        Map<String, INDArray> newBuffers = new LinkedHashMap<>();
        if (buffers) {
            // (the plan's arrays until the next pass: copies)
            critic.buffers().forEach(b -> newBuffers.put(b.buffer(), first.outputs().get(b.newValue()).dup()));
        }
        INDArray psi = first.outputs().get(critic.logits());
        INDArray inputGradient = first.gradients().get(Critic.X);
        INDArray a = keptOf("a", DataType.FLOAT, groups * n, 1);
        INDArray u = keptOf("u", DataType.FLOAT, shape);
        double value = 0;
        boolean firstOrder = false;
        boolean secondOrder = false;
        List<INDArray> logits = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            INDArray psiG = views.rows("psi", psi, g, n);
            logits.add(psiG);
            // the group's head over its own rows (c = weight / n); a term it leaves out is 0 in the stacked arrays
            Critiqued c = headed(g, x, first.outputs(), psiG, views.rows("input gradient", inputGradient, g, n),
                    weight);
            value += c.value();
            if (c.firstOrder()) {
                InPlace.copy(views.rows("a", a, g, n), c.a());
            } else {
                views.rows("a", a, g, n).assign(0);
            }
            if (c.secondOrder()) {
                InPlace.copy(views.rows("u", u, g, n), c.u());
            } else {
                views.rows("u", u, g, n).assign(0);
            }
            firstOrder |= c.firstOrder();
            secondOrder |= c.secondOrder();
        }
        INDArray w = firstOrder ? a : null;
        if (lossTerm != null) {
            List<INDArray> b = lossTerm.apply(logits);
            if (b.size() != groups) {
                throw new IllegalStateException(choice.name() + ": the loss term gave " + b.size() + " gradients for "
                        + groups + " point groups");
            }
            // a + b, in a's array
            for (int g = 0; g < groups; g++) {
                InPlace.add(views.rows("a", a, g, n), views.reshape("b", g, b.get(g), n, 1));
            }
            w = a;
        } else if (!firstOrder && !secondOrder) {
            stackedEvaluations++;
            return new Result(value, new HashMap<>(), newBuffers);
        }
        Critiqued all = new Critiqued(x, first.outputs(), value, a, u, firstOrder, secondOrder);
        Map<String, INDArray> grads = tangentPass(all, w, y);
        stackedEvaluations++;
        return new Result(value, ownedOrCopied(grads), newBuffers);
    }

    private static long[] stackedShape(INDArray a, int groups) {
        long[] s = a.shape().clone();
        s[0] *= groups;
        return s;
    }

    /** The kept array {@code name} of the stacked passes, made anew where it has not this type and shape. */
    private INDArray keptOf(String name, DataType type, long... shape) {
        INDArray kept = stacked.get(name);
        if (kept == null || kept.dataType() != type || !Arrays.equals(kept.shape(), shape)) {
            GraphMemory.close(kept == null ? List.of() : List.of(kept));
            kept = Nd4j.create(type, shape);
            stacked.put(name, kept);
        }
        return kept;
    }

    /**
     * A point group (or the groups stacked) after its critic pass and head: the points, the critic pass's outputs (the
     * logits, the masks, the forward values the tangent pass reads, the buffers' new values), the head's coefficients
     * {@code a} (null when f ignores psi) and {@code u}, and whether each term is there to compute.
     */
    private record Critiqued(INDArray x, Map<String, INDArray> outputs, double value, INDArray a, INDArray u,
            boolean firstOrder, boolean secondOrder) {

        /**
         * With copies of the critic pass's outputs, which the plan's next pass overwrites, in {@code into}'s arrays
         * where they have the shape (the same arrays from call to call: a plan given new arrays each call rebinds its
         * ops' contexts each call, which made Roth et al.'s carried step on DCGAN's discriminator twice as slow).
         */
        Critiqued copied(Map<String, INDArray> into) {
            Map<String, INDArray> copies = new HashMap<>();
            outputs.forEach((name, arr) -> copies.put(name, InPlace.copy(kept(into, name, arr), arr)));
            return new Critiqued(x, copies, value, a, u, firstOrder, secondOrder);
        }
    }

    /** {@code into}'s array {@code name}, made anew where it has not {@code like}'s shape and type. */
    private static INDArray kept(Map<String, INDArray> into, String name, INDArray like) {
        INDArray kept = into.get(name);
        if (kept == null || kept.dataType() != like.dataType() || !Arrays.equals(kept.shape(), like.shape())) {
            kept = Nd4j.create(like.dataType(), like.shape());
            into.put(name, kept);
        }
        return kept;
    }

    /** Group g's critic pass (psi and g at the points) and head (the penalty's value, a and u). */
    private Critiqued critique(int g, INDArray points, INDArray labels, double weight, List<String> requests) {
        INDArray x = points.castTo(DataType.FLOAT);
        long n = x.size(0);
        checkLabels(n, labels);
        Backprop.Result first = Backprop.run(critic.sd(), critic.feed(x, ones(n), labels), requests,
                List.of(Critic.X));
        return headed(g, x, first.outputs(), first.outputs().get(critic.logits()), first.gradients().get(Critic.X),
                weight);
    }

    private void checkLabels(long n, INDArray labels) {
        if (labels != null && labels.size(0) != n) {
            throw new IllegalArgumentException(choice.name() + ": a point group of " + n + " rows for "
                    + labels.size(0) + " labels; a conditional run needs one point per data row");
        }
    }

    /** Weights of 1 for {@code rows} points: feeds are read, never written, so kept from call to call. */
    private INDArray ones(long rows) {
        if (ones == null || ones.size(0) != rows) {
            ones = Nd4j.ones(DataType.FLOAT, rows, 1);
        }
        return ones;
    }

    /**
     * Group g's head on its logits {@code psi} and input gradients: {@code a = c f_psi}, {@code u = 2 c f_s g} with
     * {@code c = weight / n} ({@code a} null when f ignores psi), and whether each term is there to compute (a
     * first-order term not finite or all 0 is left out, and a second-order term whose magnitudes sum to 0 or past
     * float's range, as when the check summed in float).
     */
    private Critiqued headed(int g, INDArray x, Map<String, INDArray> outputs, INDArray psi, INDArray inputGradient,
            double weight) {
        long n = psi.size(0);
        PenaltyHead.Result head = heads.get(g).run(psi, inputGradient, weight / n);
        INDArray a = head.a();
        double uSum = head.uAbsoluteSum();
        return new Critiqued(x, outputs, head.total() / n, a, head.u(), a != null && PenaltyHead.usable(a),
                uSum > 0 && uSum <= Float.MAX_VALUE);
    }

    /**
     * One pass: d/dtheta [sum_j w_j psi(x_j) + psi'(x_j)] with psi' the derivative along u, whose gradient is
     * (dg/dtheta)^T u exactly ({@link Tangents}); without a first-order term ({@code w} null), the graph without it:
     * the same gradient, less work.
     */
    private Map<String, INDArray> tangentPass(Critiqued c, INDArray w, INDArray labels) {
        Critic t = w != null ? tangent : tangentOnly();
        Map<String, INDArray> feed = new HashMap<>(t.feed(c.x(), w != null ? w : ones, labels));
        // the discriminator's forward values at X and the adjoints of the tangents, from the critic pass where it
        // output them
        Critic.Reads reads = t == tangent ? tangentReads : tangentOnlyReads;
        reads = reads == null ? Critic.Reads.NONE : reads;
        Set<String> given = Set.of();
        if (c.outputs().keySet().containsAll(reads.criticOutputs())) {
            given = reads.given();
            for (String r : reads.forward()) {
                feed.put(r, c.outputs().get(r));
            }
            reads.adjoints().forEach((adjoint, gradient) -> feed.put(adjoint, c.outputs().get(gradient)));
        }
        feed.put(Critic.XDOT, c.secondOrder() ? c.u() : Nd4j.zeros(DataType.FLOAT, c.x().shape()));
        feed.put(Critic.WT, ones);
        // a parameter that psi' does not depend on (D's output bias; under R1 on a ReLU network all its biases, which
        // move only the masks) has no gradient variable in the graph without the first-order term, and no entry: its
        // penalty gradient is 0 exactly
        return Backprop.run(t.sd(), feed, List.of(), t.params(), given).gradients();
    }

    /**
     * The plan's arrays, not copies (nothing else runs the tangent graph before the caller is done); an array no plan
     * holds (SameDiff's own execution, with plans switched off) is copied.
     */
    private static Map<String, INDArray> ownedOrCopied(Map<String, INDArray> grads) {
        grads.replaceAll((name, arr) -> GraphPlan.owns(arr) ? arr : arr.dup());
        return grads;
    }

    /** The difference's passes of one group, added into {@code total}. */
    private void difference(Critiqued c, INDArray labels, Map<String, INDArray> total) {
        long n = c.x().size(0);
        // the masks at X, for the frozen graph's placeholders (the record graph's outputs are not reused before the
        // next call on it)
        Map<String, INDArray> masks = new HashMap<>();
        for (int k = 0; k < critic.masks().size(); k++) {
            masks.put(frozen.masks().get(k), c.outputs().get(critic.masks().get(k)));
        }
        // the difference of psi~ at X + e u and X - e u over 2 e is (dg/dtheta)^T u: a step of length `step` along the
        // longest row of u (none when the rows' float32 norms underflow to 0)
        double longest = c.secondOrder() ? longestRow(c.u(), n) : 0;
        if (longest > 0 && Double.isFinite(longest)) {
            double eps = step / longest;
            INDArray delta = c.u().mul(eps);
            INDArray h = Nd4j.valueArrayOf(new long[] {n, 1}, 0.5 / eps, DataType.FLOAT);
            // the first-order term rides on the same two passes: the mean of the gradients of psi~ at X + e u and
            // X - e u is the gradient at X, exactly where psi~ is affine in its input and up to O(e^2) elsewhere;
            // float32 keeps it to about 1e-7 c / |a| (the long affine step keeps c small)
            INDArray half = c.firstOrder() ? c.a().mul(0.5) : Nd4j.zeros(DataType.FLOAT, n, 1);
            accumulate(total, pass(c.x().add(delta), half.add(h), labels, masks));
            accumulate(total, pass(c.x().sub(delta), half.sub(h), labels, masks));
        } else if (c.firstOrder()) {
            accumulate(total, pass(c.x(), c.a(), labels, masks));
        }
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

    /**
     * Adds a pass's gradients into {@code total}, in new arrays (a step closes the gradients it was given that no
     * plan owns once it has applied them).
     */
    private static void accumulate(Map<String, INDArray> total, Map<String, INDArray> grads) {
        grads.forEach((k, a) -> total.merge(k, a.dup(), InPlace::add));
    }
}
