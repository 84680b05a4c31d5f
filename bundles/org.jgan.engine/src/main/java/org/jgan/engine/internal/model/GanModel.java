package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.Architecture;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.Networks;
import org.jgan.api.ParameterConstraint;
import org.jgan.api.SampleSource;
import org.jgan.api.Side;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.LiveSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.graph.Backprop;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.graph.Seeds;
import org.jgan.engine.internal.memory.GraphMemory;
import org.jgan.engine.internal.memory.MemoryBudget;
import org.jgan.engine.internal.penalty.InputGradientPenalty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The numerics of one run: parameters, the two players' training graphs, their penalties and optimizers, and the
 * {@link Players} that sample and score. An iteration is the phases of its {@link Schedule} ({@link #run}); one
 * discriminator step and one generator step of the alternating minibatch algorithm (Goodfellow et al. 2014,
 * Algorithm 1) are {@link #discriminatorStep} and {@link #generatorStep}.
 */
public final class GanModel implements SampleSource, AutoCloseable {

    private RunSpec spec;
    private final DataSource data;
    private final DataShape shape;
    private final int latent;
    private final int batchSize;
    /** Micro-batches per step (gradient accumulation). */
    private final int accumulate;
    private final long seed;
    private final ParameterStore store;
    /**
     * Each player's training graphs by the set of regularization terms they compute: all of the player's terms
     * (built with the model) and, built when first needed, the sets due at other steps (without lazy terms).
     */
    private final Map<Side, Map<Set<String>, PlayerGraph>> graphs = new EnumMap<>(Side.class);
    /** Each player's graph with all its terms. */
    private final Map<Side, PlayerGraph> complete = new EnumMap<>(Side.class);
    /** The reparametrizations per network, which every training graph applies. */
    private Map<Side, List<GraphScope.Reparam>> reparams;
    private Schedule schedule;
    private final Map<Side, Optimizer> optimizers = new EnumMap<>(Side.class);
    /** G and D as inference graphs on the training parameters (samples, metrics). */
    private final Players players;
    private final List<RunSpec.RegularizerChoice> constraints = new ArrayList<>();
    private final List<InputGradientPenalty> penalties = new ArrayList<>();
    private InputGradientPenalty.Method penaltyMethod = InputGradientPenalty.Method.TANGENT;
    private final TermWeights weights;
    /** Exponential moving average of the generator's parameters (empty when off), bound in the sampling graph. */
    private final Map<String, INDArray> ema = new LinkedHashMap<>();
    private final double emaDecay;
    private final long emaStart;
    private final LatentLayout codes;
    private final Networks networks;
    /** D's reparametrizations, for the penalties' graphs (swaps cannot change them). */
    private final List<GraphScope.Reparam> discriminatorReparams;

    public GanModel(RunSpec spec, DataSource data) {
        this(spec, data, MemoryBudget.UNLIMITED);
    }

    /**
     * @param budget the runtime's memory budget: building is refused, before the parameter that would not fit is
     *               allocated, when the parameters and their training state would exceed what is left of it
     */
    public GanModel(RunSpec spec, DataSource data, MemoryBudget budget) {
        this.spec = spec;
        this.data = data;
        this.shape = data.shape();
        this.latent = spec.settings().latent();
        this.batchSize = spec.settings().batchSize();
        this.accumulate = spec.settings().accumulate();
        if (batchSize % accumulate != 0) {
            throw new IllegalArgumentException("setting 'accumulate' is " + accumulate + ", which does not divide "
                    + "batchSize " + batchSize + "; expected a divisor of batchSize (micro-batches of equal size)");
        }
        this.seed = spec.settings().seed();
        this.store = new ParameterStore(seed, allowance(spec, budget));
        try {
            this.weights = new TermWeights(spec);
            this.schedule = Schedule.of(spec.settings());
            this.codes = LatentLayout.of(spec, latent);
            Architecture architecture = (Architecture) spec.architecture().entry().component();
            networks = architecture.create(shape, latent, data.classes(), spec.architecture().options());
            buildGraphs(spec);
            discriminatorReparams = reparams.get(Side.DISCRIMINATOR);
            emaDecay = spec.settings().ema();
            emaStart = spec.settings().emaStart();
            if (emaDecay > 0) {
                for (String n : store.names(Side.GENERATOR)) {
                    ema.put(n, store.params().get(n).dup());
                }
            }
            players = new Players(spec, shape, data.classes(), networks, store, reparams, ema, codes);
            String opt = spec.settings().optimizer();
            for (Side side : Side.values()) {
                double lr = side == Side.GENERATOR ? spec.settings().lrG() : spec.settings().lrD();
                optimizers.put(side, new Optimizer(opt, lr, spec.settings().beta1(), spec.settings().beta2(),
                        spec.settings().epsilon(), spec.settings().rmsDecay(), store.params(),
                        store.names(side)));
            }
        } catch (RuntimeException | Error e) {
            // a model refused half-built (e.g. over the memory budget) frees what it allocated
            close();
            throw e;
        }
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
        return new ParameterStore.Allowance(budget.left(), 5 + optimizerState, spec.settings().ema() > 0,
                budget.describe());
    }

    /**
     * The two players' training graphs with all their terms, the penalties' graphs and the constraints for a
     * configuration, on the parameters in {@link #store} (existing ones are bound, new ones created).
     */
    private void buildGraphs(RunSpec s) {
        reparams = Players.reparams(s);
        constraints.clear();
        for (RunSpec.RegularizerChoice r : s.regularizers()) {
            if (r.kind() == Kind.CONSTRAINT) {
                constraints.add(r);
            }
        }
        // a swap replaces the graphs: the old ones' array caches are freed now, not whenever a collection runs
        releaseGraphs();
        penalties.forEach(InputGradientPenalty::release);
        for (Side side : Side.values()) {
            PlayerGraph all = new PlayerGraph(side, networks, s, shape, codes, latent, data.classes(), store, reparams,
                    null);
            Map<Set<String>, PlayerGraph> bySet = new HashMap<>();
            bySet.put(names(all.allTerms), all);
            graphs.put(side, bySet);
            complete.put(side, all);
        }
        buildPenalties(s, reparams.get(Side.DISCRIMINATOR));
    }

    private void releaseGraphs() {
        graphs.values().forEach(bySet -> bySet.values().forEach(g -> GraphMemory.release(g.sd)));
        graphs.clear();
        complete.clear();
    }

    private static Set<String> names(List<RunSpec.RegularizerChoice> terms) {
        Set<String> names = new java.util.TreeSet<>();
        terms.forEach(t -> names.add(t.name()));
        return names;
    }

    /** The graph of a player with all its terms (the one every other graph of the player is a part of). */
    private PlayerGraph full(Side side) {
        return complete.get(side);
    }

    /**
     * The graph of {@code side} computing the terms due at this iteration and step of the player (weight not 0):
     * built the first time a set of due terms occurs (e.g. the steps a lazy term skips), then kept.
     */
    private PlayerGraph graph(Side side, long iteration, long playerStep) {
        PlayerGraph full = full(side);
        Set<String> due = new java.util.TreeSet<>();
        for (RunSpec.RegularizerChoice t : full.allTerms) {
            if (weights.weight(t, iteration, playerStep) != 0) {
                due.add(t.name());
            }
        }
        return graphs.get(side).computeIfAbsent(due, d -> new PlayerGraph(side, networks, spec, shape, codes, latent,
                data.classes(), store, reparams, d));
    }

    /** The graphs of the discriminator graph's gradient penalties, with {@link #penaltyMethod}. */
    private void buildPenalties(RunSpec s, List<GraphScope.Reparam> reparams) {
        penalties.clear();
        for (PlayerGraph.PenaltyPoints pp : full(Side.DISCRIMINATOR).penalties) {
            penalties.add(new InputGradientPenalty(pp.choice(), s.loss(), pp.groups().size(), networks, shape,
                    data.classes(), store, reparams, penaltyMethod));
        }
    }

    /**
     * Rebuilds the gradient penalties' graphs with {@code method} (benchmarks and tests compare the methods; runs
     * use {@link InputGradientPenalty.Method#TANGENT}).
     */
    public void penaltyMethod(InputGradientPenalty.Method method) {
        penaltyMethod = method;
        penalties.forEach(InputGradientPenalty::release);
        buildPenalties(spec, discriminatorReparams);
    }

    /**
     * Why a configuration cannot be swapped in for the running one, or null when it can: the loss, the adversarial
     * weight and the regularizers may change, except regularizers that change the latent layout (InfoGAN codes) or
     * reparametrize weights (spectral normalization), which the sampling graph and the parameters depend on.
     */
    public static String swapRefusal(RunSpec current, RunSpec changed) {
        int latent = current.settings().latent();
        if (!LatentLayout.of(current, latent).describe().equals(LatentLayout.of(changed, latent).describe())) {
            return "the latent codes would change (" + LatentLayout.of(current, latent).describe() + " -> "
                    + LatentLayout.of(changed, latent).describe() + ")";
        }
        if (!reparametrizations(current).equals(reparametrizations(changed))) {
            return "the weight reparametrizations would change (" + reparametrizations(current) + " -> "
                    + reparametrizations(changed) + ")";
        }
        return null;
    }

    private static Map<String, String> reparametrizations(RunSpec s) {
        Map<String, String> r = new java.util.TreeMap<>();
        for (RunSpec.RegularizerChoice c : s.regularizers()) {
            if (c.kind() == Kind.REPARAMETRIZATION) {
                r.put(c.name(), c.options().toString());
            }
        }
        return r;
    }

    /**
     * Swaps in another loss, adversarial weight or set of regularizers from the next step on: the training graphs
     * are rebuilt on the same parameters, which keep their values, and the optimizers keep their state (parameters
     * a new regularizer adds, such as a Q head, start with fresh optimizer state). Also takes every live change of
     * {@link #reconfigure}.
     *
     * @throws IllegalArgumentException when {@link #swapRefusal} refuses; nothing is changed
     */
    public void swap(RunSpec changed) {
        String refusal = swapRefusal(spec, changed);
        if (refusal != null) {
            throw new IllegalArgumentException("run '" + spec.name() + "': cannot swap while training: " + refusal
                    + "; expected changes of the loss and of regularizers that add terms, penalties, constraints "
                    + "or input transforms");
        }
        buildGraphs(changed);
        for (Side side : Side.values()) {
            optimizers.get(side).track(store.params(), store.names(side));
        }
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
        Side side = phase.side();
        Accumulated acc = gradientsAt(side, iteration, phase.stream() + r);
        Map<String, Double> losses = acc.losses();
        double total = losses.get(side == Side.DISCRIMINATOR ? "d_loss" : "g_loss");
        if (!Double.isFinite(total)) {
            GraphMemory.close(acc.gradients().values());
            throw new NonFiniteLossException(side, iteration, losses);
        }
        for (Schedule.Action action : phase.actions()) {
            switch (action) {
                case UPDATE -> {
                    optimizers.get(side).step(store.params(), acc.gradients());
                    acc.buffers().forEach((b, v) -> store.buffers().get(b).assign(v));
                }
                case CONSTRAIN -> constrain(side);
                case AVERAGE -> updateEma();
            }
        }
        // the step's gradients are this model's own arrays (never the graph cache's): freed at once
        GraphMemory.close(acc.gradients().values());
        return losses;
    }

    private void constrain(Side side) {
        for (RunSpec.RegularizerChoice c : constraints) {
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
        return gradientsAt(side, iteration, schedule.phase(side).stream() + r);
    }

    private Accumulated gradientsAt(Side side, long iteration, long stream) {
        PlayerGraph graph = graph(side, iteration, optimizers.get(side).steps());
        return gradients(graph, feed(graph, iteration, stream), iteration);
    }

    /**
     * Runs a step's graph on the whole batch, or with gradient accumulation on {@code accumulate} equal micro-batches
     * (rows {@code [p m, (p + 1) m)} of every batch-sized input): the player's loss is a mean over samples, so the
     * mean of the micro-batches' gradients is the gradient of the whole batch (exactly, up to float rounding, when no
     * layer couples samples; with batch norm each micro-batch has its own statistics, as in BigGAN's accumulation).
     * Loss values and new buffer values (running statistics) are averaged likewise; buffers change only after all
     * micro-batches, so each sees the same state (e.g. the same spectral-norm vector).
     */
    private Accumulated gradients(PlayerGraph graph, Map<String, INDArray> feed, long iteration) {
        Map<String, INDArray> gradients = new HashMap<>();
        Map<String, Double> losses = new LinkedHashMap<>();
        Map<String, INDArray> buffers = new LinkedHashMap<>();
        for (int p = 0; p < accumulate; p++) {
            Map<String, INDArray> micro = accumulate == 1 ? feed : microBatch(graph, feed, p);
            Backprop.Result result = Backprop.run(graph.sd, micro, graph.outputs(), graph.params);
            Map<String, INDArray> outputs = result.outputs();
            Map<String, Double> l = graph.lossValues(outputs);
            Map<String, INDArray> g = new HashMap<>(result.gradients());
            if (graph.side == Side.DISCRIMINATOR) {
                addPenalties(graph, outputs, micro.get(PlayerGraph.LABELS), g, l, iteration);
            }
            // when a network is applied twice, the update registered last wins
            Map<String, INDArray> b = new LinkedHashMap<>();
            graph.bufferUpdates.forEach(u -> b.put(u.buffer(), outputs.get(u.newValue())));
            if (accumulate == 1) {
                return new Accumulated(g, l, b);
            }
            g.forEach((n, a) -> gradients.merge(n, a.div(accumulate), INDArray::addi));
            l.forEach((n, v) -> losses.merge(n, v / accumulate, Double::sum));
            b.forEach((n, a) -> buffers.merge(n, a.div(accumulate), INDArray::addi));
        }
        return new Accumulated(gradients, losses, buffers);
    }

    /** Micro-batch p of a feed: the batch-sized inputs' rows {@code [p m, (p + 1) m)}; scalars as they are. */
    private Map<String, INDArray> microBatch(PlayerGraph graph, Map<String, INDArray> feed, int p) {
        java.util.Set<String> batched = new java.util.HashSet<>(List.of(PlayerGraph.X, PlayerGraph.Z,
                PlayerGraph.LABELS, PlayerGraph.FAKE_LABELS));
        graph.noises.stream().filter(n -> n.shape().length > 0 && n.shape()[0] < 0)
                .forEach(n -> batched.add(n.placeholder()));
        long m = batchSize / accumulate;
        Map<String, INDArray> micro = new HashMap<>();
        feed.forEach((name, a) -> micro.put(name, batched.contains(name)
                ? a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(p * m, (p + 1) * m)).dup() : a));
        return micro;
    }

    /**
     * theta_ema = decay * theta_ema + (1 - decay) * theta after each generator step, a copy of theta until the
     * generator has taken {@code emaStart} steps (Yazici et al. 2019; BigGAN, Brock et al. 2018, section 4).
     */
    private void updateEma() {
        boolean copy = optimizers.get(Side.GENERATOR).steps() <= emaStart;
        ema.forEach((n, avg) -> {
            INDArray p = store.params().get(n);
            if (copy) {
                avg.assign(p);
            } else {
                avg.muli(emaDecay).addi(p.mul(1 - emaDecay));
            }
        });
    }

    /** Evaluates the input-gradient penalties of a discriminator step and adds their gradients and values. */
    private void addPenalties(PlayerGraph graph, Map<String, INDArray> outputs, INDArray labels,
            Map<String, INDArray> gradients,
            Map<String, Double> losses, long iteration) {
        long playerStep = optimizers.get(Side.DISCRIMINATOR).steps();
        for (int i = 0; i < penalties.size(); i++) {
            PlayerGraph.PenaltyPoints pp = graph.penalties.get(i);
            double w = termWeight(pp.choice(), iteration, playerStep);
            if (w == 0) {
                losses.put("d_" + pp.choice().name(), Double.NaN);
                continue;
            }
            List<INDArray> points = new ArrayList<>();
            pp.groups().forEach(g -> points.add(outputs.get(g)));
            InputGradientPenalty.Result r = penalties.get(i).evaluate(points, labels, w);
            r.gradients().forEach((name, g) -> gradients.merge(name, g, INDArray::add));
            losses.put("d_" + pp.choice().name(), r.value());
            losses.merge("d_loss", w * r.value(), Double::sum);
        }
    }

    /** The weight of a term at this iteration and step of its player (see {@link TermWeights}). */
    public double termWeight(RunSpec.RegularizerChoice configured, long iteration, long playerStep) {
        return weights.weight(configured, iteration, playerStep);
    }

    private Map<String, INDArray> feed(PlayerGraph graph, long iteration, long stream) {
        Map<String, INDArray> feed = new HashMap<>();
        Batch batch = data.sample(batchSize, Seeds.mix(seed, Seeds.DATA, iteration, stream));
        checkBatch(batch);
        feed.put(PlayerGraph.X, batch.data());
        feed.put(PlayerGraph.Z, codes.draw(Seeds.mix(seed, Seeds.LATENT, iteration, stream), batchSize));
        if (graph.conditional) {
            feed.put(PlayerGraph.LABELS, batch.labels());
            // D steps condition the fake batch on the data batch's labels, so that real, generated and mixed
            // points (gradient penalties) share one label per row; G steps draw labels uniformly
            feed.put(PlayerGraph.FAKE_LABELS, graph.side == Side.DISCRIMINATOR ? batch.labels()
                    : Seeds.oneHot(Seeds.mix(seed, Seeds.FAKE_LABELS, iteration, stream), batchSize, data.classes()));
        }
        long playerStep = optimizers.get(graph.side).steps();
        for (PlayerGraph.Term t : graph.terms) {
            double w = termWeight(t.choice(), iteration, playerStep);
            feed.put(t.weightPlaceholder(), org.nd4j.linalg.factory.Nd4j.scalar(DataType.FLOAT, w));
        }
        int n = 0;
        for (PlayerGraph.Noise noise : graph.noises) {
            long key = Seeds.mix(seed, Seeds.NOISE, iteration, stream, n++);
            feed.put(noise.placeholder(), Players.randomInput(noise, key, batchSize));
        }
        return feed;
    }

    private void checkBatch(Batch batch) {
        long[] expected = shape.batched(batchSize);
        if (!java.util.Arrays.equals(batch.data().shape(), expected)) {
            throw new IllegalArgumentException("dataset '" + spec.dataset().name() + "' returned a batch of shape "
                    + java.util.Arrays.toString(batch.data().shape()) + "; expected " + java.util.Arrays.toString(expected));
        }
        if (data.classes() > 0 && batch.labels() == null) {
            throw new IllegalArgumentException("dataset '" + spec.dataset().name() + "' declares "
                    + data.classes() + " classes but returned a batch without labels");
        }
    }

    /** Samples of the generator (see {@link Players#sample}). */
    @Override
    public INDArray sample(int count, long sampleSeed) {
        return players.sample(count, sampleSeed);
    }

    /** The generator and critic as inference graphs on this model's parameters (and EMA weights). */
    public Players players() {
        return players;
    }

    /**
     * Takes a changed configuration of the same run from the next step on: learning rates and optimizer
     * hyperparameters, regularizer weights and schedules, the run length (annealing follows it). The caller has
     * checked that nothing else changed ({@link LiveSettings}).
     */
    public void reconfigure(RunSpec changed) {
        for (Side side : Side.values()) {
            optimizers.get(side).set(side == Side.GENERATOR ? changed.settings().lrG() : changed.settings().lrD(),
                    changed.settings().beta1(), changed.settings().beta2(), changed.settings().epsilon(),
                    changed.settings().rmsDecay());
        }
        weights.reconfigure(changed);
        schedule = Schedule.of(changed.settings());
        spec = changed;
    }

    public double learningRate(Side side) {
        return optimizers.get(side).learningRate();
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
        return discriminatorReparams;
    }

    public long parameterCount(Side side) {
        return store.count(side);
    }

    /** Column names of {@link #discriminatorStep} and {@link #generatorStep} results, in order. */
    public List<String> lossNames() {
        List<String> names = new ArrayList<>();
        for (Side side : List.of(Side.DISCRIMINATOR, Side.GENERATOR)) {
            PlayerGraph g = full(side);
            String p = side == Side.DISCRIMINATOR ? "d_" : "g_";
            names.add(p + "loss");
            names.add(p + "adv");
            g.allTerms.forEach(t -> names.add(p + t.name()));
            g.penalties.forEach(pp -> names.add(p + pp.choice().name()));
        }
        return names;
    }

    public Checkpoint checkpoint(long iteration) {
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        store.params().forEach((n, a) -> arrays.put("param/" + n, a.dup()));
        store.buffers().forEach((n, a) -> arrays.put("buffer/" + n, a.dup()));
        ema.forEach((n, a) -> arrays.put("ema/" + n, a.dup()));
        for (Side side : Side.values()) {
            optimizers.get(side).states().forEach((n, a) -> arrays.put("opt/" + n, a.dup()));
        }
        return new Checkpoint(iteration, optimizers.get(Side.DISCRIMINATOR).steps(),
                optimizers.get(Side.GENERATOR).steps(), arrays, spec.resolved());
    }

    /** Restores the saved state into this model's arrays (the checkpoint's own arrays are left as they are). */
    public void restore(Checkpoint c) {
        restoreInto(store.params(), c.arrays(), "param/");
        restoreInto(store.buffers(), c.arrays(), "buffer/");
        restoreInto(ema, c.arrays(), "ema/");
        Map<String, INDArray> opt = new HashMap<>();
        c.arrays().forEach((n, a) -> {
            if (n.startsWith("opt/")) {
                opt.put(n.substring(4), a);
            }
        });
        optimizers.get(Side.DISCRIMINATOR).restore(c.dSteps(), opt);
        optimizers.get(Side.GENERATOR).restore(c.gSteps(), opt);
    }

    private static void restoreInto(Map<String, INDArray> target, Map<String, INDArray> saved, String prefix) {
        for (Map.Entry<String, INDArray> e : target.entrySet()) {
            INDArray s = saved.get(prefix + e.getKey());
            if (s == null || !java.util.Arrays.equals(s.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("checkpoint does not match the run: '" + e.getKey()
                        + "' is missing or has another shape; expected " + java.util.Arrays.toString(e.getValue().shape()));
            }
            e.getValue().assign(s);
        }
    }

    /**
     * Native bytes of the ND4J arrays this model holds: parameters, state buffers, EMA copies, optimizer state and
     * its graphs' array caches. Call it on the thread that trains the model (the caches change with each step).
     */
    public long heldBytes() {
        long bytes = GraphMemory.bytes(store.params().values()) + GraphMemory.bytes(store.buffers().values())
                + GraphMemory.bytes(ema.values());
        for (Optimizer o : optimizers.values()) {
            bytes += GraphMemory.bytes(o.states().values());
        }
        for (Map<Set<String>, PlayerGraph> bySet : graphs.values()) {
            for (PlayerGraph g : bySet.values()) {
                bytes += GraphMemory.cachedBytes(g.sd);
            }
        }
        bytes += players.cachedBytes();
        for (InputGradientPenalty p : penalties) {
            bytes += p.cachedBytes();
        }
        return bytes;
    }

    /**
     * Frees every ND4J array the model holds, at once: the graphs' array caches, the parameters, state buffers, EMA
     * copies and optimizer state. The model cannot be used afterwards (checkpoints and samples are copies, and stay
     * valid). Closing twice does nothing.
     */
    @Override
    public void close() {
        releaseGraphs();
        if (players != null) {
            players.close();
        }
        penalties.forEach(InputGradientPenalty::release);
        for (Optimizer o : optimizers.values()) {
            GraphMemory.close(o.states().values());
        }
        GraphMemory.close(ema.values());
        GraphMemory.close(store.buffers().values());
        GraphMemory.close(store.params().values());
    }

    /** Thrown when a step's loss is NaN or infinite; the step's update is not applied. */
    public static final class NonFiniteLossException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NonFiniteLossException(Side side, long iteration, Map<String, Double> losses) {
            super("non-finite " + side.name().toLowerCase(java.util.Locale.ROOT) + " loss at iteration " + iteration
                    + " " + losses + "; the update was not applied; expected finite losses: lower the learning "
                    + "rates or add a regularizer");
        }
    }
}
