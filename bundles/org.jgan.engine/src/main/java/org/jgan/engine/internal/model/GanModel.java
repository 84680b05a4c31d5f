package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jgan.api.Architecture;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.Networks;
import org.jgan.api.ParameterConstraint;
import org.jgan.api.SampleSource;
import org.jgan.api.Side;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.memory.GraphMemory;
import org.jgan.engine.internal.memory.MemoryBudget;
import org.jgan.engine.internal.penalty.InputGradientPenalty;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The numerics of one run: parameters, the two players' training graphs, their penalties and optimizers, and the
 * {@link Players} that sample and score. An iteration is the phases of its {@link Schedule} ({@link #run}); one
 * discriminator step and one generator step of the alternating minibatch algorithm (Goodfellow et al. 2014,
 * Algorithm 1) are {@link #discriminatorStep} and {@link #generatorStep}; a run of a {@link org.jgan.api.Model}
 * ({@code model=NAME}, e.g. a VAE) is one joint phase instead, updating both networks on the model's objective. The
 * parts: {@link Swaps} (what may be swapped), {@link TrainingState} (parameters, optimizers, EMA; the checkpoint's
 * arrays), {@link TrainingGraphs} (each player's graphs by due terms, penalties, constraints) and {@link StepGradients}
 * (a step's batches and gradients).
 */
public final class GanModel implements SampleSource, AutoCloseable {

    private RunSpec spec;
    private final DataShape shape;
    private final TrainingState state;
    private final ParameterStore store;
    private final TrainingGraphs graphs;
    private final StepGradients steps;
    private Schedule schedule;
    /** G and D as inference graphs on the training parameters (samples, metrics). */
    private final Players players;
    private final TermWeights weights;
    private final Networks networks;
    /** This model's ND4J work stays on the thread that built it (checked in tests, see {@link Confinement}). */
    private final Confinement thread = new Confinement();

    public GanModel(RunSpec spec, DataSource data) {
        this(spec, data, MemoryBudget.UNLIMITED);
    }

    /**
     * @param budget the runtime's memory budget: building is refused, before the parameter that would not fit is
     *               allocated, when the parameters and their training state would exceed what is left of it
     */
    public GanModel(RunSpec spec, DataSource data, MemoryBudget budget) {
        // oneDNN's binding, which the first plan uses, before this model's first allocation (GraphPlan#loadOneDnn)
        GraphPlan.loadOneDnn();
        this.spec = spec;
        this.shape = data.shape();
        int latent = spec.settings().latent();
        this.weights = new TermWeights(spec);
        LatentLayout codes = LatentLayout.of(spec, latent);
        this.steps = new StepGradients(spec, data, codes, weights);
        this.store = new ParameterStore(spec.settings().seed(), allowance(spec, budget));
        this.state = new TrainingState(store, spec);
        this.schedule = Schedule.of(spec);
        TrainingGraphs g = null;
        Players p = null;
        try {
            Architecture architecture = (Architecture) spec.architecture().entry().component();
            networks = Packing.networks(architecture, shape, latent, data.classes(), spec.architecture().options(),
                    spec.settings().packing());
            g = new TrainingGraphs(networks, shape, codes, latent, data.classes(), store);
            g.build(spec);
            state.startAverage();
            p = new Players(spec, shape, data.classes(), networks, store, g.reparams(), state.ema(), codes);
            state.createOptimizers(spec.settings());
        } catch (RuntimeException | Error e) {
            // a model refused half-built (e.g. over the memory budget) frees what it allocated
            close(g, p);
            throw e;
        }
        graphs = g;
        players = p;
    }

    /**
     * What the parameters may take. Each parameter is counted as many times as a training step holds it: the
     * weight, its gradient, the optimizer's state (Adam's two moments, RMSProp's one), two temporaries of the update
     * (the gradient's flat copy, the updater's intermediate) and the checkpoint's copy; G's weights once more when
     * an EMA is kept. Activations are not counted.
     */
    private static ParameterStore.Allowance allowance(RunSpec spec, MemoryBudget budget) {
        if (budget.bytes() == Long.MAX_VALUE) {
            return ParameterStore.Allowance.UNLIMITED;
        }
        int optimizerState = spec.settings().optimizer().equals("adam") ? 2 : 1;
        return new ParameterStore.Allowance(budget.left(), 5 + optimizerState, spec.keepsAverage(),
                budget.describe());
    }

    /**
     * The graph of {@code side} computing the terms due at this iteration and step of the player (weight not 0):
     * built the first time a set of due terms occurs (e.g. the steps a lazy term skips), then kept.
     */
    private PlayerGraph graph(Side side, long iteration, long playerStep) {
        if (!spec.isGame()) {
            return graphs.joint();
        }
        PlayerGraph full = graphs.full(side);
        Set<String> due = new TreeSet<>();
        for (RunSpec.RegularizerChoice t : full.allTerms) {
            if (weights.weight(t, iteration, playerStep) != 0) {
                due.add(t.name());
            }
        }
        int carrier = side == Side.DISCRIMINATOR ? graphs.lossOnPenalty() : -1;
        if (carrier >= 0 && weights.weight(full.penalties.get(carrier).choice(), iteration, playerStep) != 0) {
            return graphs.graphOnPenalty(due);
        }
        return graphs.graph(side, due);
    }

    /**
     * Whether a discriminator step's loss on a gradient penalty's points rides on the penalty's passes where it can
     * (R1 on the data batch, R2 on G(z), Roth et al.'s on both, without input transforms, packing or other
     * discriminator terms, where the penalty's tangent pass runs through D's forward pass anyway: a term that reads
     * the logit, as Roth et al.'s, or a discriminator with batch norm): on by
     * default; off, the step's graph runs D on those points itself (tests and benchmarks compare the two).
     */
    public void carryLossOnPenalty(boolean on) {
        graphs.carryLoss(on);
    }

    /**
     * Whether discriminator steps run D once on the data batch and G(z) stacked along the batch axis where D's rows are
     * independent ({@link org.jgan.api.Networks#independentSamples}): on by default ({@code -Djgan.graph.stack=false}:
     * off); off, D runs on each batch (tests and benchmarks compare the two). The same switch runs a gradient
     * penalty's point groups (Roth et al.'s data batch and samples) as one batch in its passes. A change rebuilds the
     * discriminator's graphs on the same parameters.
     */
    public void stackCritiques(boolean on) {
        graphs.stackCritiques(on);
    }

    /**
     * Gradient-penalty evaluations so far, over this configuration's penalties, whose point groups ran as one batch
     * ({@link #stackCritiques}).
     */
    public long penaltyGroupsStacked() {
        return graphs.penalties().stream().mapToLong(InputGradientPenalty::stackedEvaluations).sum();
    }

    /**
     * Views made so far by this configuration's penalties' stacked passes and by D steps whose loss rides on a
     * penalty's passes ({@link org.jgan.engine.internal.memory.ViewCache}): made once, then kept. For tests.
     */
    public long viewsMade() {
        return steps.viewsMade() + graphs.penalties().stream().mapToLong(InputGradientPenalty::viewsMade).sum();
    }

    /**
     * Arrays made so far for the inputs the steps draw themselves (latents, noise, labels, weights; {@link FeedArrays}):
     * one per input of each graph, then kept. For tests.
     */
    public long feedsMade() {
        return graphs.built().stream().mapToLong(g -> g.feeds.made()).sum();
    }

    /** The sides whose steps' graphs built so far read the data batch ({@link PlayerGraph#readsData}): for tests. */
    Set<Side> sidesReadingData() {
        Set<Side> sides = EnumSet.noneOf(Side.class);
        graphs.built().stream().filter(PlayerGraph::readsData).forEach(g -> sides.add(g.side));
        return sides;
    }

    /**
     * Whether the gradient penalties' tangent passes take the adjoints of their tangents from their critic passes
     * ({@link InputGradientPenalty#takeAdjoints}; on unless {@code -Djgan.graph.adjoints=false}): off, each computes
     * them by its own backward pass (tests and benchmarks compare the two).
     */
    public void takePenaltyAdjoints(boolean on) {
        graphs.takePenaltyAdjoints(on);
    }

    /** The adjoints of tangents that this configuration's penalties' tangent passes take from their critic passes. */
    public int penaltyAdjointsTaken() {
        return graphs.penalties().stream().mapToInt(InputGradientPenalty::adjointsTaken).sum();
    }

    /**
     * Whether the discriminator's step graph with all its terms runs D once on the data batch and G(z) stacked (a step
     * whose loss rides on a penalty's passes runs another graph, which runs D on neither batch itself).
     */
    public boolean critiquesStacked() {
        PlayerGraph d = graphs.full(Side.DISCRIMINATOR);
        return d != null && d.stacked;
    }

    /** Whether a discriminator step whose penalty is due takes its loss on its points from the penalty's passes. */
    public boolean lossRidesOnPenalty() {
        return graphs.lossOnPenalty() >= 0;
    }

    /** The name of the penalty whose passes carry a discriminator step's loss on its points, or null (tests). */
    String lossCarrier() {
        int i = graphs.lossOnPenalty();
        return i < 0 ? null : graphs.full(Side.DISCRIMINATOR).penalties.get(i).choice().name();
    }

    /**
     * Rebuilds the gradient penalties' graphs with {@code method} (benchmarks and tests compare the methods; runs
     * use {@link InputGradientPenalty.Method#TANGENT}).
     */
    public void penaltyMethod(InputGradientPenalty.Method method) {
        graphs.penaltyMethod(method);
    }

    /**
     * Swaps in another loss, adversarial weight or set of regularizers from the next step on: the training graphs
     * are rebuilt on the same parameters, which keep their values, and the optimizers keep their state (parameters
     * a new regularizer adds, such as a Q head, start with fresh optimizer state). Also takes every live change of
     * {@link #reconfigure}.
     *
     * @throws IllegalArgumentException when {@link Swaps#refusal} refuses; nothing is changed
     */
    public void swap(RunSpec changed) {
        thread.check("GanModel.swap");
        String refusal = Swaps.refusal(spec, changed);
        if (refusal != null) {
            throw new IllegalArgumentException("run '" + spec.name() + "': cannot swap while training: " + refusal
                    + "; expected changes of the loss and of regularizers that add terms, penalties, constraints "
                    + "or input transforms");
        }
        graphs.build(changed);
        state.trackParameters();
        weights.replace(changed);
        reconfigure(changed);
    }

    /** What an iteration does, phase by phase (from the run's settings; see {@link Schedule}). */
    public Schedule schedule() {
        return schedule;
    }

    /**
     * One discriminator update on a fresh data batch and a fresh latent batch: repetition k of the schedule's
     * discriminator phase.
     *
     * @return loss values of the step
     */
    public Map<String, Double> discriminatorStep(long iteration, int k) {
        return run(schedule.phase(Side.DISCRIMINATOR), iteration, k);
    }

    /** One generator update on a fresh latent batch: the schedule's generator phase. */
    public Map<String, Double> generatorStep(long iteration) {
        return run(schedule.phase(Side.GENERATOR), iteration, 0);
    }

    /**
     * Repetition {@code r} of a phase at this iteration: the player's gradients on the batches of the phase's stream
     * {@code r}, then the phase's actions in order.
     *
     * @return loss values of the step
     * @throws NonFiniteLossException when the player's loss is not finite; no action is taken
     */
    public Map<String, Double> run(Schedule.Phase phase, long iteration, int r) {
        thread.check("GanModel.run");
        Side side = phase.side();
        Accumulated acc = gradientsAt(side, iteration, phase.stream() + r);
        Map<String, Double> losses = acc.losses();
        double total = losses.get(phase.joint() ? "loss" : side == Side.DISCRIMINATOR ? "d_loss" : "g_loss");
        if (!Double.isFinite(total)) {
            GraphMemory.close(acc.gradients().values());
            throw new NonFiniteLossException(side, iteration, losses);
        }
        for (Schedule.Action action : phase.actions()) {
            switch (action) {
                case UPDATE -> {
                    state.configure(spec, iteration);
                    state.update(side, acc.gradients(), acc.buffers());
                    if (phase.joint()) {
                        // the same gradients hold the other network's: its optimizer steps on them too
                        state.update(side == Side.GENERATOR ? Side.DISCRIMINATOR : Side.GENERATOR, acc.gradients(),
                                Map.of());
                    }
                }
                case CONSTRAIN -> constrain(side);
                case AVERAGE -> state.updateAverage(spec.emaDecay(iteration));
            }
        }
        // the step's gradients made here (sums, means) are freed at once; those a graph plan returned stay its own
        GraphMemory.close(acc.gradients().values());
        return losses;
    }

    private void constrain(Side side) {
        for (RunSpec.RegularizerChoice c : graphs.constraints()) {
            ParameterConstraint pc = (ParameterConstraint) c.entry().component();
            if (pc.side(c.options()) == side) {
                pc.apply(store.params(side), c.options());
            }
        }
    }

    /** A step's gradients (mean over the batch), loss values and new buffer values. */
    public record Accumulated(Map<String, INDArray> gradients, Map<String, Double> losses, Map<String, INDArray> buffers) {
    }

    /**
     * The gradients of repetition {@code r} of the player's phase at this iteration, without applying them (for
     * tests).
     */
    public Accumulated gradients(Side side, long iteration, int r) {
        thread.check("GanModel.gradients");
        return gradientsAt(side, iteration, schedule.phase(side).stream() + r);
    }

    private Accumulated gradientsAt(Side side, long iteration, long stream) {
        long playerStep = state.steps(side);
        return steps.gradients(graph(side, iteration, playerStep), iteration, stream, playerStep, graphs.penalties(),
                spec);
    }

    /**
     * Adds a listener to the training graphs' gradient functions that exist (after a step of each player): per-op
     * timing for benchmarks.
     */
    public void listen(Listener listener) {
        graphs.listen(listener);
    }

    /** The weight of a term at this iteration and step of its player (see {@link TermWeights}). */
    public double termWeight(RunSpec.RegularizerChoice configured, long iteration, long playerStep) {
        return weights.weight(configured, iteration, playerStep);
    }

    /** Samples of the generator (see {@link Players#sample}). */
    @Override
    public INDArray sample(int count, long sampleSeed) {
        thread.check("GanModel.sample");
        return players.sample(count, sampleSeed);
    }

    /** The generator and critic as inference graphs on this model's parameters (and EMA weights). */
    public Players players() {
        thread.check("GanModel.players");
        return players;
    }

    /**
     * Takes a changed configuration of the same run from the next step on: learning rates and optimizer
     * hyperparameters, regularizer weights and schedules, the run length (annealing follows it). The caller has
     * checked that nothing else changed ({@link LiveSettings}).
     */
    public void reconfigure(RunSpec changed) {
        thread.check("GanModel.reconfigure");
        weights.reconfigure(changed);
        schedule = Schedule.of(changed);
        spec = changed;
    }

    /** The player's learning rate at an iteration (scheduled or not), as its updates there use it. */
    public double learningRate(Side side, long iteration) {
        return spec.value(side == Side.GENERATOR ? "lrG" : "lrD", iteration);
    }

    /**
     * The values of this iteration, scheduled or not, for the run's event log: the learning rates
     * ({@code lr/discriminator}, {@code lr/generator}), Adam's betas ({@code adam/beta1}, {@code adam/beta2}), the
     * EMA's decay ({@code ema/decay}, when G is averaged), a model's options that are graph inputs
     * ({@code model/<name>}, e.g. a VAE's beta) and each weighted term's weight ({@code weight/<name>}: its
     * configured or scheduled weight, annealed when it is; the factor N of a lazy term, and its zeros between the
     * steps it is computed on, left out).
     */
    public Map<String, Double> schedules(long iteration) {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("lr/discriminator", learningRate(Side.DISCRIMINATOR, iteration));
        out.put("lr/generator", learningRate(Side.GENERATOR, iteration));
        if (spec.settings().optimizer().equals("adam")) {
            out.put("adam/beta1", spec.value("beta1", iteration));
            out.put("adam/beta2", spec.value("beta2", iteration));
        }
        if (spec.keepsAverage()) {
            out.put("ema/decay", spec.emaDecay(iteration));
        }
        for (RunSpec.RegularizerChoice c : spec.regularizers()) {
            if (c.kind() == Kind.REGULARIZER || c.kind() == Kind.PENALTY) {
                out.put("weight/" + c.name(), weights.weight(c, iteration, 0) / c.every());
            }
        }
        if (!spec.isGame()) {
            graphs.joint().modelOptions.keySet()
                    .forEach(o -> out.put("model/" + o, spec.value("model." + o, iteration)));
        }
        return out;
    }

    /** The run's parameters and buffers (for tests that build their own graphs of the networks). */
    public ParameterStore store() {
        return store;
    }

    /** The architecture's networks. */
    public Networks networks() {
        return networks;
    }

    /** D's reparametrizations, as its graphs apply them. */
    public List<GraphScope.Reparam> discriminatorReparams() {
        return graphs.reparams().get(Side.DISCRIMINATOR);
    }

    public long parameterCount(Side side) {
        return store.count(side);
    }

    /**
     * Column names of {@link #discriminatorStep} and {@link #generatorStep} results, in order; for a model's run
     * ({@code model=NAME}) {@code loss} and the values its objective reports.
     */
    public List<String> lossNames() {
        List<String> names = new ArrayList<>();
        if (!spec.isGame()) {
            names.add("loss");
            names.addAll(graphs.joint().reported.keySet());
            return names;
        }
        for (Side side : List.of(Side.DISCRIMINATOR, Side.GENERATOR)) {
            PlayerGraph g = graphs.full(side);
            String p = side == Side.DISCRIMINATOR ? "d_" : "g_";
            names.add(p + "loss");
            names.add(p + "adv");
            g.allTerms.forEach(t -> names.add(p + t.name()));
            g.penalties.forEach(pp -> names.add(p + pp.choice().name()));
        }
        return names;
    }

    /** The checkpoint of this iteration: copies of every array, the step counts and the configuration. */
    public Checkpoint checkpoint(long iteration) {
        thread.check("GanModel.checkpoint");
        return state.checkpoint(iteration, spec.resolved());
    }

    /** Restores the saved state into this model's arrays (the checkpoint's own arrays are left as they are). */
    public void restore(Checkpoint c) {
        thread.check("GanModel.restore");
        state.restore(c);
    }

    /**
     * Native bytes of the ND4J arrays this model holds: parameters, state buffers, EMA copies, optimizer state and
     * its graphs' array caches. Call it on the thread that trains the model (the caches change with each step).
     */
    public long heldBytes() {
        thread.check("GanModel.heldBytes");
        return state.bytes() + graphs.cachedBytes() + players.cachedBytes();
    }

    /**
     * Frees every ND4J array the model holds, at once: the graphs' array caches, the parameters, state buffers, EMA
     * copies and optimizer state. The model cannot be used afterwards (checkpoints and samples are copies, and stay
     * valid). Closing twice does nothing.
     */
    @Override
    public void close() {
        thread.check("GanModel.close");
        close(graphs, players);
    }

    private void close(TrainingGraphs g, Players p) {
        // g and p are null when the constructor failed before building them
        if (g != null) {
            g.release();
        }
        if (p != null) {
            p.close();
        }
        state.close();
    }

    /** Thrown when a step's loss is NaN or infinite; the step's update is not applied. */
    public static final class NonFiniteLossException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NonFiniteLossException(Side side, long iteration, Map<String, Double> losses) {
            super("non-finite " + side.name().toLowerCase(Locale.ROOT) + " loss at iteration " + iteration
                    + " " + losses + "; the update was not applied; expected finite losses: lower the learning "
                    + "rates or add a regularizer");
        }
    }
}
