package org.jgan.engine.internal.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.GradientPenalty;
import org.jgan.api.InputTransform;
import org.jgan.api.LossTerms;
import org.jgan.api.Model;
import org.jgan.api.Objective;
import org.jgan.api.Networks;
import org.jgan.api.Regularizer;
import org.jgan.api.Side;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The training graph of one player: G(z), D on data and on G(z), the adversarial loss and the player's
 * regularization terms that are due (see {@link TermWeights}), with one scalar placeholder per term for its current
 * weight. A player has one graph per set of due terms it meets (all terms, and without its lazy terms), so a term
 * that is not due is not computed.
 */
public final class PlayerGraph {

    static final String Z = "z", X = "x", LABELS = "labels", FAKE_LABELS = "fake_labels";

    /** The variable holding D's logits on the data batch in a graph that takes them from a penalty's critic pass. */
    static final String REAL_LOGITS = "real_logits";

    /**
     * The variable holding D's logits on G(z) in a graph that takes them from a penalty's critic pass (R2, Roth et
     * al.'s two groups).
     */
    static final String FAKE_LOGITS = "fake_logits";

    /** A term of this player's objective: its display name, output variable and weight placeholder. */
    record Term(String name, String variable, String weightPlaceholder, RunSpec.RegularizerChoice choice) {
    }

    /** A per-step noise input requested by a regularizer or a network: N(0, 1), or U[0, 1) when {@code uniform}. */
    record Noise(String placeholder, long[] shape, boolean uniform) {
    }

    /** A gradient penalty of this (discriminator) graph and the graph variables holding its point groups. */
    record PenaltyPoints(RunSpec.RegularizerChoice choice, List<String> groups) {
    }

    final Side side;
    final SameDiff sd;
    final String loss;
    final String adversarial;
    /** The terms this graph computes. */
    final List<Term> terms = new ArrayList<>();
    /** Every term of this player, due here or not, in the configuration's order (the loss columns). */
    final List<RunSpec.RegularizerChoice> allTerms = new ArrayList<>();
    final List<Noise> noises = new ArrayList<>();
    /** The arrays its steps' drawn inputs are written into, kept from step to step. */
    final FeedArrays feeds = new FeedArrays();
    final List<PenaltyPoints> penalties = new ArrayList<>();
    final List<String> params;
    final List<GraphScope.BufferUpdate> bufferUpdates;
    final boolean conditional;
    /** True for the graph of a {@link Model}'s objective: one loss over both networks' parameters. */
    final boolean joint;
    /** The values a model's objective reports beside its loss (display name, variable), in order. */
    final Map<String, String> reported = new LinkedHashMap<>();
    /** The model's options that are inputs of this graph (option name, placeholder), fed with each step's value. */
    final Map<String, String> modelOptions = new LinkedHashMap<>();
    /**
     * The penalty (index into {@link #penalties}) whose critic passes give this discriminator graph D's logits on its
     * points, the data batch, G(z) or both ({@link #REAL_LOGITS}, {@link #FAKE_LOGITS}, assigned before each pass),
     * and whose tangent passes take the loss's gradient through them; -1 where the graph runs D on both itself.
     */
    final int lossOnPenalty;
    /**
     * Where {@link #lossOnPenalty} is set, whether one of the penalty's point groups is the data batch (D's logits on
     * it are then {@link #REAL_LOGITS}).
     */
    final boolean lossOnData;
    /**
     * Where {@link #lossOnPenalty} is set, whether one of the penalty's point groups is G(z) ({@link #FAKE_LOGITS}:
     * the pass is given G(z), computed before the penalty's critic passes, and D's logits on it).
     */
    final boolean lossOnSamples;
    /** The variable of G(z) (the generator's output in this graph). */
    final String fake;
    /** Whether this discriminator graph runs D once on the data batch and G(z) stacked ({@link #stackedCritiques}). */
    final boolean stacked;
    private final int batchSize;
    /** {@link #readsData()}, once found. */
    private Boolean readsData;

    /**
     * @param due   the names of the regularization terms to compute (the others of the player are left out), or
     *              null for all
     * @param stack whether a discriminator graph runs D once on the data batch and G(z) stacked where it can
     *              ({@link #stacked})
     */
    PlayerGraph(Side side, Networks networks, RunSpec spec, DataShape shape, LatentLayout codes, int latent, int classes,
            ParameterStore store, Map<Side, List<GraphScope.Reparam>> reparams, java.util.Set<String> due,
            boolean stack) {
        this(side, networks, spec, shape, codes, latent, classes, store, reparams, due, -1, false, false, stack);
    }

    /**
     * @param lossOnPenalty for a discriminator graph, the penalty whose critic passes give D's logits on its points
     *                      ({@link #lossOnPenalty}; the caller checks {@link #canTakeLogits}), else -1
     * @param onData        whether one of those point groups is the data batch
     * @param onSamples     whether one of them is G(z)
     * @param stack         for a discriminator graph that runs D on both the data batch and G(z), whether to run it
     *                      once on both stacked where D's rows are independent ({@link #stacked})
     */
    PlayerGraph(Side side, Networks networks, RunSpec spec, DataShape shape, LatentLayout codes, int latent, int classes,
            ParameterStore store, Map<Side, List<GraphScope.Reparam>> reparams, java.util.Set<String> due,
            int lossOnPenalty, boolean onData, boolean onSamples, boolean stack) {
        this.side = side;
        this.joint = false;
        this.lossOnPenalty = lossOnPenalty;
        this.lossOnData = lossOnPenalty >= 0 && onData;
        this.lossOnSamples = lossOnPenalty >= 0 && onSamples;
        this.conditional = classes > 0;
        // with gradient accumulation the graph sees micro-batches
        this.batchSize = spec.settings().batchSize() / spec.settings().accumulate();
        sd = GraphMemory.create();
        try {
            SDVariable z = sd.placeHolder(Z, DataType.FLOAT, -1, latent);
            SDVariable x = sd.placeHolder(X, DataType.FLOAT, shape.batched(-1));
            SDVariable labels = conditional ? sd.placeHolder(LABELS, DataType.FLOAT, -1, classes) : null;
            SDVariable fakeLabels = conditional ? sd.placeHolder(FAKE_LABELS, DataType.FLOAT, -1, classes) : null;
            GraphScope g = new GraphScope(sd, Side.GENERATOR, true, store, reparams.get(Side.GENERATOR))
                    .withRandomInputs(this::random);
            GraphScope d = new GraphScope(sd, Side.DISCRIMINATOR, true, store, reparams.get(Side.DISCRIMINATOR))
                    .withRandomInputs(this::random);
            SDVariable fake = networks.generator(g, z, fakeLabels);
            this.fake = fake.name();
            SDVariable seenReal = x;
            SDVariable seenFake = fake;
            InputContext inputs = new InputContext(batchSize, shape, d);
            for (RunSpec.RegularizerChoice r : spec.regularizers()) {
                if (r.kind() == Kind.INPUT_TRANSFORM) {
                    InputTransform t = (InputTransform) r.entry().component();
                    seenReal = t.apply(inputs, seenReal, true, r.options());
                    seenFake = t.apply(inputs, seenFake, false, r.options());
                }
            }
            // the logits on the data batch (and/or on G(z)): from a penalty's critic pass on the same points (a
            // variable, not a placeholder, so that the pass returns the loss's gradient with respect to them), or D's
            // pass here, once on both batches stacked where D's rows are independent
            Critique real;
            Critique fakeCritique;
            this.stacked = stack && side == Side.DISCRIMINATOR && !lossOnData && !lossOnSamples
                    && networks.independentSamples();
            if (stacked) {
                Critique[] both = stackedCritiques(sd, networks, d, seenReal, seenFake, labels, fakeLabels);
                real = both[0];
                fakeCritique = both[1];
            } else {
                real = lossOnData
                        ? new Critique(sd.var(REAL_LOGITS, Nd4j.zeros(DataType.FLOAT, batchSize, 1)), null)
                        : networks.discriminator(d, seenReal, labels);
                fakeCritique = lossOnSamples
                        ? new Critique(sd.var(FAKE_LOGITS, Nd4j.zeros(DataType.FLOAT, batchSize, 1)), null)
                        : networks.discriminator(d, seenFake, fakeLabels);
            }
            LossTerms lossTerms = ((org.jgan.api.AdversarialLoss) spec.loss().entry().component())
                    .define(sd, real.logits(), fakeCritique.logits(), spec.loss().options());
            SDVariable adv = side == Side.DISCRIMINATOR ? lossTerms.discriminator() : lossTerms.generator();
            adversarial = adv.name();
            double advWeight = side == Side.GENERATOR ? spec.settings().gAdvWeight() : 1;
            SDVariable total = advWeight == 1 ? adv : adv.mul(advWeight);
            TermContext context = new TermContext(sd, side, x, fake, labels, real, fakeCritique, d, networks, g, z,
                    codes, spec.loss(), batchSize, this::random);
            for (RunSpec.RegularizerChoice r : spec.regularizers()) {
                if (r.kind() == Kind.PENALTY && side == Side.DISCRIMINATOR) {
                    List<String> groups = new ArrayList<>();
                    for (SDVariable points : ((GradientPenalty) r.entry().component()).points(context, r.options())) {
                        // with packing the penalty's samples are D's packs
                        groups.add(Packing.pack(networks, points).name());
                    }
                    penalties.add(new PenaltyPoints(r, groups));
                    continue;
                }
                if (r.kind() != Kind.REGULARIZER) {
                    continue;
                }
                Regularizer reg = (Regularizer) r.entry().component();
                if (!reg.appliesTo(side, r.options())) {
                    continue;
                }
                allTerms.add(r);
                if (due != null && !due.contains(r.name())) {
                    continue;
                }
                SDVariable term = reg.define(context, r.options());
                SDVariable weight = sd.placeHolder("weight_" + r.name(), DataType.FLOAT);
                terms.add(new Term(r.name(), term.name(), weight.name(), r));
                total = total.add(term.mul(weight));
            }
            loss = total.name();
            sd.setLossVariables(loss);
            params = store.names(side);
            bufferUpdates = List.copyOf((side == Side.GENERATOR ? g : d).bufferUpdates());
        } catch (RuntimeException | Error e) {
            // a graph refused half-built (e.g. over the memory budget) is not left open
            GraphMemory.release(sd);
            throw e;
        }
    }

    /**
     * The graph of the objective of the run's {@link Model} ({@code model=NAME}): the model builds its loss from the
     * data batch and both networks in their training scopes; the gradient is taken with respect to the parameters of
     * both, which one joint update applies. The latent placeholder is fed as in a generator step (a model may leave it
     * unused); conditional runs condition both networks on the data batch's labels.
     */
    PlayerGraph(Networks networks, RunSpec spec, DataShape shape, int latent, int classes, ParameterStore store,
            Map<Side, List<GraphScope.Reparam>> reparams) {
        this.side = Side.GENERATOR;
        this.joint = true;
        this.lossOnPenalty = -1;
        this.lossOnData = false;
        this.lossOnSamples = false;
        this.stacked = false;
        this.conditional = classes > 0;
        this.batchSize = spec.settings().batchSize() / spec.settings().accumulate();
        sd = GraphMemory.create();
        try {
            sd.placeHolder(Z, DataType.FLOAT, -1, latent);
            SDVariable x = sd.placeHolder(X, DataType.FLOAT, shape.batched(-1));
            SDVariable labels = conditional ? sd.placeHolder(LABELS, DataType.FLOAT, -1, classes) : null;
            if (conditional) {
                sd.placeHolder(FAKE_LABELS, DataType.FLOAT, -1, classes);
            }
            GraphScope g = new GraphScope(sd, Side.GENERATOR, true, store, reparams.get(Side.GENERATOR))
                    .withRandomInputs(this::random);
            GraphScope d = new GraphScope(sd, Side.DISCRIMINATOR, true, store, reparams.get(Side.DISCRIMINATOR))
                    .withRandomInputs(this::random);
            Objective objective = ((Model) spec.model().entry().component()).define(new ModelGraphContext(sd,
                    shape, latent, batchSize, x, labels, g, d, networks, spec.model(), modelOptions),
                    spec.model().options());
            for (String target : spec.schedules().keySet()) {
                // a schedule of an option the model built in as a constant would silently do nothing
                if (target.startsWith("model.") && !modelOptions.containsKey(target.substring("model.".length()))) {
                    throw new IllegalArgumentException("setting '" + RunSpec.SCHEDULE + target + "': model '"
                            + spec.model().name() + "' builds option '" + target.substring("model.".length())
                            + "' into its graph as a constant; expected schedules of the options it takes as inputs "
                            + modelOptions.keySet());
                }
            }
            loss = objective.loss().name();
            adversarial = loss;
            fake = null;
            objective.terms().forEach((name, v) -> reported.put(name, v.name()));
            sd.setLossVariables(loss);
            List<String> both = new ArrayList<>(store.names(Side.GENERATOR));
            both.addAll(store.names(Side.DISCRIMINATOR));
            params = List.copyOf(both);
            List<GraphScope.BufferUpdate> updates = new ArrayList<>(g.bufferUpdates());
            updates.addAll(d.bufferUpdates());
            bufferUpdates = List.copyOf(updates);
        } catch (RuntimeException | Error e) {
            GraphMemory.release(sd);
            throw e;
        }
    }

    /**
     * D's critiques of the data batch and of G(z) from one pass over both stacked along the batch axis, for networks
     * whose rows are independent ({@link Networks#independentSamples}): the logits (and features) of rows
     * {@code [0, n)} and {@code [n, 2n)}, n the batch (the step feeds both groups with the same number of rows, as
     * {@link StepGradients} checks for the data batch and draws for the latents), so that every layer of D runs once at
     * twice the batch instead of twice: the same values and gradients up to float rounding, with fewer and larger
     * calls (the gradients of a {@code [64, ...]} convolution take less time than those of two {@code [32, ...]} ones,
     * libnd4j's work around oneDNN's primitives being per call; BigGAN's D step 5% and SAGAN's 3% less time,
     * alternating in one process on a 2-core Xeon, 2026-12-05).
     */
    private static Critique[] stackedCritiques(SameDiff sd, Networks networks, GraphScope d, SDVariable real,
            SDVariable fake, SDVariable labels, SDVariable fakeLabels) {
        SDVariable both = sd.concat(0, real, fake);
        SDVariable bothLabels = labels == null ? null : sd.concat(0, labels, fakeLabels);
        Critique c = networks.discriminator(d, both, bothLabels);
        SDVariable[] logits = sd.split(c.logits(), 2, 0);
        SDVariable[] features = c.features() == null ? null : sd.split(c.features(), 2, 0);
        return new Critique[] {new Critique(logits[0], features == null ? null : features[0]),
            new Critique(logits[1], features == null ? null : features[1])};
    }

    /**
     * Whether a discriminator graph like this one (built with D on the data batch and on G(z)) can take the logits on
     * penalty {@code i}'s points from its critic passes instead: the penalty's point groups are the data batch as fed
     * (R1), G(z) as generated (R2) or both (Roth et al.'s), each once (no input transform, no packing: D's input on
     * that side is the group itself), and no regularization term reads anything of D's critiques but the logits (no
     * terms on this side at all); the penalty itself must take the loss's term
     * ({@link InputGradientPenalty#takesLossTerm}), and one logit per sample is checked at each pass.
     */
    boolean canTakeLogits(int i, Networks networks, RunSpec spec) {
        if (side != Side.DISCRIMINATOR || joint || lossOnPenalty >= 0 || !allTerms.isEmpty() || i >= penalties.size()
                || Packing.of(networks) != 1
                || spec.regularizers().stream().anyMatch(r -> r.kind() == Kind.INPUT_TRANSFORM)) {
            return false;
        }
        List<String> groups = penalties.get(i).groups();
        return !groups.isEmpty() && groups.size() == new java.util.HashSet<>(groups).size()
                && groups.stream().allMatch(g -> g.equals(X) || g.equals(fake));
    }

    /** Whether one of penalty {@code i}'s point groups is the data batch as fed (R1, Roth et al.'s). */
    boolean onData(int i) {
        return penalties.get(i).groups().contains(X);
    }

    /** Whether one of penalty {@code i}'s point groups is G(z) as the generator gives it (R2, Roth et al.'s). */
    boolean onSamples(int i) {
        return penalties.get(i).groups().contains(fake);
    }

    /** Output variables to fetch with each step: the loss, its parts and new buffer values. */
    List<String> outputs() {
        List<String> out = new ArrayList<>();
        out.add(loss);
        if (joint) {
            out.addAll(reported.values());
            bufferUpdates.forEach(b -> out.add(b.newValue()));
            return out;
        }
        out.add(adversarial);
        terms.forEach(t -> out.add(t.variable()));
        bufferUpdates.forEach(b -> out.add(b.newValue()));
        penalties.forEach(pp -> out.addAll(pp.groups()));
        return out;
    }

    /**
     * Whether a step of this graph reads the data batch: a discriminator's and a model's steps do, and a generator's
     * where its outputs depend on the data batch or its labels (feature matching, a relativistic loss, a
     * reconstruction); the G step of most games does not, and draws no batch. Found once, by walking the graph's ops
     * back from {@link #outputs()}.
     */
    boolean readsData() {
        if (readsData == null) {
            readsData = side == Side.DISCRIMINATOR || joint || dependsOn(outputs(), Set.of(X, LABELS));
        }
        return readsData;
    }

    /** Whether any of {@code outputs} is computed from any of {@code inputs}. */
    private boolean dependsOn(List<String> outputs, Set<String> inputs) {
        // the op producing each variable from getOps() (SameDiff.getVariables() returns commons-collections4's
        // PatriciaTrie, which the ND4J bundle embeds without exporting: a loader constraint violation in Felix)
        Map<String, SameDiffOp> producers = new HashMap<>();
        for (SameDiffOp op : sd.getOps().values()) {
            for (String o : op.getOutputsOfOp()) {
                producers.put(o, op);
            }
        }
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(outputs);
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (inputs.contains(v)) {
                return true;
            }
            SameDiffOp op = seen.add(v) ? producers.get(v) : null;
            if (op != null && op.getInputsToOp() != null) {
                todo.addAll(op.getInputsToOp());
            }
        }
        return false;
    }

    /** Loss values by display name from a step's outputs. */
    Map<String, Double> lossValues(Map<String, org.nd4j.linalg.api.ndarray.INDArray> outputs) {
        Map<String, Double> values = new LinkedHashMap<>();
        if (joint) {
            values.put("loss", outputs.get(loss).getDouble(0));
            reported.forEach((name, v) -> values.put(name, outputs.get(v).getDouble(0)));
            return values;
        }
        String p = side == Side.DISCRIMINATOR ? "d_" : "g_";
        values.put(p + "loss", outputs.get(loss).getDouble(0));
        values.put(p + "adv", outputs.get(adversarial).getDouble(0));
        Map<String, String> computed = new java.util.HashMap<>();
        terms.forEach(t -> computed.put(t.name(), t.variable()));
        for (RunSpec.RegularizerChoice r : allTerms) {
            String v = computed.get(r.name());
            // a term not due at this step is not computed: NaN, as for a penalty at weight 0
            values.put(p + r.name(), v == null ? Double.NaN : outputs.get(v).getDouble(0));
        }
        return values;
    }

    /** What input transforms (instance noise) see. */
    private final class InputContext implements InputTransform.InputContext {
        private final int batchSize;
        private final DataShape shape;
        private final GraphScope discriminator;

        InputContext(int batchSize, DataShape shape, GraphScope discriminator) {
            this.batchSize = batchSize;
            this.shape = shape;
            this.discriminator = discriminator;
        }

        @Override
        public SDVariable buffer(String name, org.jgan.api.Initializer init, long... shape) {
            return discriminator.buffer(name, init, shape);
        }

        @Override
        public DataShape shape() {
            return shape;
        }

        @Override
        public SameDiff sd() {
            return sd;
        }

        @Override
        public int batchSize() {
            return batchSize;
        }

        @Override
        public SDVariable noise(String name, long... shape) {
            return random("input_noise_" + name, shape, false);
        }

        @Override
        public SDVariable uniform(String name, long... shape) {
            return random("input_uniform_" + name, shape, true);
        }
    }

    /** A per-step random input of the graph, fed by the engine from the run's seeded streams. */
    private SDVariable random(String placeholder, long[] shape, boolean uniform) {
        if (!sd.hasVariable(placeholder)) {
            noises.add(new Noise(placeholder, shape.clone(), uniform));
            return sd.placeHolder(placeholder, DataType.FLOAT, shape);
        }
        return sd.getVariable(placeholder);
    }
}
