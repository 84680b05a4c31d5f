package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jgan.api.DataShape;
import org.jgan.api.Networks;
import org.jgan.api.Side;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.memory.GraphMemory;
import org.jgan.engine.internal.penalty.InputGradientPenalty;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.samediff.SameDiff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The graphs a run trains with, for one configuration of loss and regularizers: each player's {@link PlayerGraph}
 * per set of due regularization terms (the one with all terms built at once, the others, e.g. the steps a lazy term
 * skips, when first needed), the discriminator's input-gradient penalties and the parameter constraints. A swap builds
 * them anew on the same parameters ({@link #build}).
 */
final class TrainingGraphs {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingGraphs.class);

    private final Networks networks;
    private final DataShape shape;
    private final LatentLayout codes;
    private final int latent;
    private final int classes;
    private final ParameterStore store;
    /** Each player's graphs by the set of regularization terms they compute. */
    private final Map<Side, Map<Set<String>, PlayerGraph>> graphs = new EnumMap<>(Side.class);
    /** Each player's graph with all its terms (every other graph of the player computes a part of them). */
    private final Map<Side, PlayerGraph> complete = new EnumMap<>(Side.class);
    /**
     * The discriminator's graphs that take D's logits on the data batch or on G(z) from penalty
     * {@link #lossOnPenalty}'s critic pass, by due terms (used at the steps where that penalty is due).
     */
    private final Map<Set<String>, PlayerGraph> onPenalty = new HashMap<>();
    /** The penalty whose passes carry the D step's loss on its points, or -1 ({@link #carryLoss}). */
    private int lossOnPenalty = -1;
    /** Whether a penalty's passes may carry the loss on its points (on unless a test or benchmark compares). */
    private boolean carryLoss = true;
    /** Whether discriminator graphs stack D's two batches where they can ({@link #stackCritiques}). */
    private boolean stackCritiques = !"false".equals(System.getProperty("jgan.graph.stack"));
    /** Whether the penalties take their tangents' adjoints from their critic passes ({@link #takePenaltyAdjoints}). */
    private boolean penaltyAdjoints = !"false".equals(System.getProperty("jgan.graph.adjoints"));
    private final List<RunSpec.RegularizerChoice> constraints = new ArrayList<>();
    private final List<InputGradientPenalty> penalties = new ArrayList<>();
    private InputGradientPenalty.Method penaltyMethod = InputGradientPenalty.Method.TANGENT;
    private RunSpec spec;
    /** The reparametrizations per network, which every training graph applies. */
    private Map<Side, List<GraphScope.Reparam>> reparams;

    TrainingGraphs(Networks networks, DataShape shape, LatentLayout codes, int latent, int classes,
            ParameterStore store) {
        this.networks = networks;
        this.shape = shape;
        this.codes = codes;
        this.latent = latent;
        this.classes = classes;
        this.store = store;
    }

    /**
     * Builds the two players' graphs with all their terms, the penalties' graphs and the constraints for a
     * configuration, on the parameters in the store (existing ones are bound, new ones created); the graphs of the
     * previous configuration are freed first.
     */
    void build(RunSpec s) {
        spec = s;
        reparams = Players.reparams(s);
        constraints.clear();
        for (RunSpec.RegularizerChoice r : s.regularizers()) {
            if (r.kind() == Kind.CONSTRAINT) {
                constraints.add(r);
            }
        }
        // a swap replaces the graphs: the old ones' array caches are freed now, not whenever a collection runs
        release();
        if (!s.isGame()) {
            // a model's objective: one graph over both networks, no penalties, no constraints
            PlayerGraph joint = new PlayerGraph(networks, s, shape, latent, classes, store, reparams);
            Map<Set<String>, PlayerGraph> bySet = new HashMap<>();
            bySet.put(Set.of(), joint);
            graphs.put(Side.GENERATOR, bySet);
            complete.put(Side.GENERATOR, joint);
            penalties.clear();
            return;
        }
        for (Side side : Side.values()) {
            buildPlayer(side);
        }
        buildPenalties();
    }

    /** A player's graph with all its terms, the first of its graphs by due terms. */
    private void buildPlayer(Side side) {
        PlayerGraph all = new PlayerGraph(side, networks, spec, shape, codes, latent, classes, store, reparams, null,
                stackCritiques);
        Map<Set<String>, PlayerGraph> bySet = new HashMap<>();
        bySet.put(names(all.allTerms), all);
        graphs.put(side, bySet);
        complete.put(side, all);
    }

    /**
     * Whether discriminator graphs run D once on the data batch and G(z) stacked where D's rows are independent
     * ({@link Networks#independentSamples}; on unless {@code -Djgan.graph.stack=false}): off, D runs on each (tests
     * and benchmarks compare the two). The same switch runs a penalty's point groups as one batch
     * ({@link InputGradientPenalty#stackGroups}). A change rebuilds the discriminator's step graphs on the same
     * parameters (the penalties, their carrier and the graphs that take the loss from its passes do not depend on it);
     * listeners added before are not on the new graphs, as on graphs built later for other due terms.
     */
    void stackCritiques(boolean on) {
        if (on == stackCritiques) {
            return;
        }
        boolean was = stackCritiques;
        stackCritiques = on;
        penalties.forEach(p -> p.stackGroups(on));
        if (spec != null && spec.isGame()) {
            Map<Set<String>, PlayerGraph> old = graphs.get(Side.DISCRIMINATOR);
            try {
                buildPlayer(Side.DISCRIMINATOR);
            } catch (RuntimeException | Error e) {
                // the old graphs stay
                stackCritiques = was;
                penalties.forEach(p -> p.stackGroups(was));
                throw e;
            }
            old.values().forEach(g -> GraphMemory.release(g.sd));
        }
    }

    /**
     * Whether the penalties' tangent passes take the adjoints of their tangents from their critic passes
     * ({@link InputGradientPenalty#takeAdjoints}; on unless {@code -Djgan.graph.adjoints=false}): off, each computes
     * them by its own backward pass (tests and benchmarks compare the two). Penalties built later follow it too.
     */
    void takePenaltyAdjoints(boolean on) {
        penaltyAdjoints = on;
        penalties.forEach(p -> p.takeAdjoints(on));
    }

    private void buildPenalties() {
        penalties.clear();
        releaseOnPenalty();
        if (!spec.isGame()) {
            return;
        }
        for (PlayerGraph.PenaltyPoints pp : full(Side.DISCRIMINATOR).penalties) {
            InputGradientPenalty p = new InputGradientPenalty(pp.choice(), spec.loss(), pp.groups().size(),
                    Packing.discriminatorSide(networks), Packing.discriminatorShape(networks, shape), classes, store,
                    reparams.get(Side.DISCRIMINATOR), penaltyMethod);
            p.stackGroups(stackCritiques);
            p.takeAdjoints(penaltyAdjoints);
            penalties.add(p);
        }
        chooseCarrier();
    }

    /**
     * The penalty that carries the D step's loss on its points, the data batch (R1), G(z) (R2) or both (Roth et al.'s),
     * with carrying on;
     * or none: of those that can, the one due most often (a lazy R1 beside R2 on every step: R2), the first of them
     * on a tie.
     */
    private void chooseCarrier() {
        PlayerGraph d = full(Side.DISCRIMINATOR);
        for (int i = 0; carryLoss && i < penalties.size(); i++) {
            if ((lossOnPenalty < 0 || every(d, i) < every(d, lossOnPenalty)) && d.canTakeLogits(i, networks, spec)
                    && penalties.get(i).takesLossTerm()) {
                lossOnPenalty = i;
            }
        }
    }

    private static int every(PlayerGraph d, int penalty) {
        return d.penalties.get(penalty).choice().every();
    }

    private void releaseOnPenalty() {
        onPenalty.values().forEach(g -> GraphMemory.release(g.sd));
        onPenalty.clear();
        lossOnPenalty = -1;
    }

    /**
     * Whether the discriminator step's loss on the data batch (or on G(z)) rides on a penalty's passes on the same
     * points where it can (on by default): D's forward and backward pass on them then run once, in the penalty's
     * critic and tangent passes, instead of once there and once in the step's graph. Off, the step's graph computes
     * it (tests and benchmarks compare the two).
     */
    void carryLoss(boolean on) {
        if (on == carryLoss) {
            return;
        }
        carryLoss = on;
        releaseOnPenalty();
        if (spec != null && spec.isGame()) {
            // the penalties stay as they are (and keep their listeners)
            chooseCarrier();
        }
    }

    /** The penalty that carries the D step's loss on its points when it is due, or -1. */
    int lossOnPenalty() {
        return lossOnPenalty;
    }

    /** Rebuilds the gradient penalties' graphs with {@code method}. */
    void penaltyMethod(InputGradientPenalty.Method method) {
        penaltyMethod = method;
        penalties.forEach(InputGradientPenalty::release);
        buildPenalties();
    }

    private static Set<String> names(List<RunSpec.RegularizerChoice> terms) {
        Set<String> names = new TreeSet<>();
        terms.forEach(t -> names.add(t.name()));
        return names;
    }

    /** The reparametrizations per network. */
    Map<Side, List<GraphScope.Reparam>> reparams() {
        return reparams;
    }

    /** The graph of a player with all its terms. */
    PlayerGraph full(Side side) {
        return complete.get(side);
    }

    /** The graph of a model's objective ({@link RunSpec#isGame} false), which updates both networks. */
    PlayerGraph joint() {
        return complete.get(Side.GENERATOR);
    }

    /** The graph of {@code side} computing the terms of {@code due}: built the first time, then kept. */
    PlayerGraph graph(Side side, Set<String> due) {
        return graphs.get(side).computeIfAbsent(due, d -> new PlayerGraph(side, networks, spec, shape, codes, latent,
                classes, store, reparams, d, stackCritiques));
    }

    /**
     * The discriminator's graph computing the terms of {@code due} that takes D's logits on penalty
     * {@link #lossOnPenalty()}'s points (which must be set) from its critic pass: built the first time, then kept.
     */
    PlayerGraph graphOnPenalty(Set<String> due) {
        PlayerGraph g = onPenalty.get(due);
        if (g != null) {
            return g;
        }
        boolean onData = full(Side.DISCRIMINATOR).onData(lossOnPenalty);
        boolean onSamples = full(Side.DISCRIMINATOR).onSamples(lossOnPenalty);
        try {
            g = new PlayerGraph(Side.DISCRIMINATOR, networks, spec, shape, codes, latent, classes, store, reparams,
                    due, lossOnPenalty, onData, onSamples, false);
        } catch (RuntimeException e) {
            // a component that reads more of the points' critique than its logits (its features, say, which this
            // graph does not compute): the step's own graph, from now on
            String points = onData && onSamples ? "the data batch and G(z)" : onSamples ? "G(z)" : "the data batch";
            LOG.warn("discriminator steps run D on {} themselves: a component reads more of D's critique of it than "
                    + "the logits, which {}'s critic pass gives ({}: {})", points,
                    full(Side.DISCRIMINATOR).penalties.get(lossOnPenalty).choice().name(), e.getClass().getSimpleName(),
                    e.getMessage());
            releaseOnPenalty();
            return graph(Side.DISCRIMINATOR, due);
        }
        onPenalty.put(due, g);
        return g;
    }

    /** The discriminator's input-gradient penalties, in the order of its graphs' penalty points. */
    List<InputGradientPenalty> penalties() {
        return penalties;
    }

    /** The parameter constraints (e.g. weight clipping), applied after their player's update. */
    List<RunSpec.RegularizerChoice> constraints() {
        return constraints;
    }

    /**
     * Adds a listener to the gradient function of every player graph built so far that has one (graphs get theirs at
     * their first step), to the forward graphs that run G alone before a critic pass on G(z), and to the penalties'
     * graphs: per-op timing for benchmarks.
     */
    void listen(Listener listener) {
        for (PlayerGraph g : onPenalty.values()) {
            if (g.lossOnSamples) {
                // G's forward pass alone, which runs before a critic pass on G(z) (R2, Roth et al.'s)
                g.sd.addListeners(listener);
            }
        }
        for (PlayerGraph g : built()) {
            SameDiff grad = g.sd.getFunction("grad");
            if (grad != null) {
                grad.addListeners(listener);
            }
        }
        penalties.forEach(p -> p.listen(listener));
    }

    /** The player graphs built so far: by due terms, and those taking the loss from a penalty's passes. */
    List<PlayerGraph> built() {
        List<PlayerGraph> all = new ArrayList<>(onPenalty.values());
        graphs.values().forEach(bySet -> all.addAll(bySet.values()));
        return all;
    }

    /** Native bytes of the graphs' array caches. */
    long cachedBytes() {
        long bytes = 0;
        for (Map<Set<String>, PlayerGraph> bySet : graphs.values()) {
            for (PlayerGraph g : bySet.values()) {
                bytes += GraphMemory.cachedBytes(g.sd);
            }
        }
        for (PlayerGraph g : onPenalty.values()) {
            bytes += GraphMemory.cachedBytes(g.sd);
        }
        for (InputGradientPenalty p : penalties) {
            bytes += p.cachedBytes();
        }
        return bytes;
    }

    /** Frees the graphs' and penalties' array caches; {@link #build} makes new ones. */
    void release() {
        graphs.values().forEach(bySet -> bySet.values().forEach(g -> GraphMemory.release(g.sd)));
        graphs.clear();
        complete.clear();
        releaseOnPenalty();
        penalties.forEach(InputGradientPenalty::release);
    }
}
