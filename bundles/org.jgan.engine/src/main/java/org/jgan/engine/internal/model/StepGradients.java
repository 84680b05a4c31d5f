package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.Side;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.Backprop;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.graph.InPlace;
import org.jgan.engine.internal.graph.Seeds;
import org.jgan.engine.internal.memory.ViewCache;
import org.jgan.engine.internal.penalty.InputGradientPenalty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One step's inputs and gradients: draws the step's batches (data, latents, labels, noise) from its random stream,
 * runs the player's graph on them, whole or as equal micro-batches (gradient accumulation), and adds the gradients of
 * the discriminator's input-gradient penalties. Nothing is applied here.
 */
final class StepGradients {

    private final String dataset;
    private final DataSource data;
    private final DataShape shape;
    private final int batchSize;
    /** Micro-batches per step (gradient accumulation). */
    private final int accumulate;
    private final long seed;
    private final LatentLayout codes;
    private final TermWeights weights;
    /**
     * Views in another shape of the logits a penalty's critic pass gives, and of the step's gradients for them (the
     * same arrays from step to step): made once ({@link ViewCache}).
     */
    private final ViewCache views = new ViewCache();

    StepGradients(RunSpec spec, DataSource data, LatentLayout codes, TermWeights weights) {
        this.dataset = spec.dataset().name();
        this.data = data;
        this.shape = data.shape();
        this.batchSize = spec.settings().batchSize();
        this.accumulate = spec.settings().accumulate();
        if (batchSize % accumulate != 0) {
            throw new IllegalArgumentException("setting 'accumulate' is " + accumulate + ", which does not divide "
                    + "batchSize " + batchSize + "; expected a divisor of batchSize (micro-batches of equal size)");
        }
        this.seed = spec.settings().seed();
        this.codes = codes;
        this.weights = weights;
    }

    /** Views of a carried loss's logits and gradients made so far ({@link ViewCache#made}): for tests. */
    long viewsMade() {
        return views.made();
    }

    /**
     * The gradients of a step of {@code graph}'s player at this iteration on the batches of random stream
     * {@code stream}.
     *
     * @param playerStep the player's updates so far (lazy terms and annealing count them)
     * @param penalties  the discriminator's input-gradient penalties, in the order of the graph's penalty points
     * @param spec       the run's configuration now (the values of scheduled model options)
     */
    GanModel.Accumulated gradients(PlayerGraph graph, long iteration, long stream, long playerStep,
            List<InputGradientPenalty> penalties, RunSpec spec) {
        Map<String, INDArray> feed = feed(graph, iteration, stream, playerStep);
        // a model's options that are graph inputs: their value at this iteration, scheduled or not
        graph.modelOptions.forEach((option, placeholder) -> {
            double v = spec.value("model." + option, iteration);
            feed.put(placeholder, FeedArrays.enabled() ? graph.feeds.scalar(placeholder, v)
                    : Nd4j.scalar(DataType.FLOAT, v));
        });
        return accumulated(graph, feed, iteration, playerStep, penalties);
    }

    /**
     * Runs a step's graph on the whole batch, or with gradient accumulation on {@code accumulate} equal micro-batches
     * (rows {@code [p m, (p + 1) m)} of every batch-sized input): the player's loss is a mean over samples, so the
     * mean of the micro-batches' gradients is the gradient of the whole batch (exactly, up to float rounding, when no
     * layer couples samples; with batch norm each micro-batch has its own statistics, as in BigGAN's accumulation).
     * Loss values and new buffer values (running statistics) are averaged likewise; buffers change only after all
     * micro-batches, so each sees the same state (e.g. the same spectral-norm vector).
     */
    private GanModel.Accumulated accumulated(PlayerGraph graph, Map<String, INDArray> feed, long iteration,
            long playerStep, List<InputGradientPenalty> penalties) {
        Map<String, INDArray> gradients = new HashMap<>();
        Map<String, Double> losses = new LinkedHashMap<>();
        Map<String, INDArray> buffers = new LinkedHashMap<>();
        for (int p = 0; p < accumulate; p++) {
            Map<String, INDArray> micro = accumulate == 1 ? feed : microBatch(graph, feed, p);
            InputGradientPenalty.Result carrier = null;
            Backprop.Result result;
            if (graph.lossOnPenalty >= 0) {
                // the penalty's critic passes give D's logits on its points (the data batch, G(z) or both); the step's
                // graph, run after them, gives the loss's gradient with respect to them, which the penalty's tangent
                // passes carry on
                Backprop.Result[] step = new Backprop.Result[1];
                PlayerGraph.PenaltyPoints pp = graph.penalties.get(graph.lossOnPenalty);
                // on G(z): G's forward pass alone first; the step's pass is given its output
                INDArray samples = graph.lossOnSamples
                        ? GraphPlan.output(graph.sd, micro, List.of(graph.fake)).get(graph.fake) : null;
                Map<String, INDArray> passFeed = micro;
                if (graph.lossOnSamples) {
                    passFeed = new HashMap<>(micro);
                    passFeed.put(graph.fake, samples);
                }
                List<INDArray> points = new ArrayList<>();
                List<String> held = new ArrayList<>();
                for (String group : pp.groups()) {
                    boolean data = group.equals(PlayerGraph.X);
                    points.add(data ? micro.get(PlayerGraph.X) : samples);
                    held.add(data ? PlayerGraph.REAL_LOGITS : PlayerGraph.FAKE_LOGITS);
                }
                Map<String, INDArray> f = passFeed;
                Set<String> given = graph.lossOnSamples ? Set.of(graph.fake) : Set.of();
                carrier = penalties.get(graph.lossOnPenalty).evaluate(points, micro.get(PlayerGraph.LABELS),
                        weights.weight(pp.choice(), iteration, playerStep), logits -> {
                            step[0] = withLogits(graph, f, given, held, logits);
                            List<INDArray> b = new ArrayList<>();
                            for (int k = 0; k < held.size(); k++) {
                                INDArray grad = step[0].gradients().get(held.get(k));
                                INDArray psi = logits.get(k);
                                // (a loss whose D objective ignores these logits has no gradient for them)
                                b.add(grad == null ? Nd4j.zeros(psi.dataType(), psi.shape())
                                        : views.reshape("loss gradient", k, grad, psi.shape()));
                            }
                            return b;
                        }, graph.lossOnSamples ? held.indexOf(PlayerGraph.FAKE_LOGITS) : -1);
                result = step[0];
            } else {
                result = Backprop.run(graph.sd, micro, graph.outputs(), graph.params);
            }
            Map<String, INDArray> outputs = result.outputs();
            Map<String, Double> l = graph.lossValues(outputs);
            Map<String, INDArray> g = new HashMap<>(result.gradients());
            g.remove(PlayerGraph.REAL_LOGITS);
            g.remove(PlayerGraph.FAKE_LOGITS);
            if (graph.side == Side.DISCRIMINATOR) {
                addPenalties(graph, outputs, micro.get(PlayerGraph.LABELS), g, l, iteration, playerStep, penalties,
                        carrier);
            }
            // when a network is applied twice, the update registered last wins
            Map<String, INDArray> b = new LinkedHashMap<>();
            graph.bufferUpdates.forEach(u -> b.put(u.buffer(), outputs.get(u.newValue())));
            if (carrier != null && graph.lossOnSamples) {
                // D's pass on G(z), which the step's own graph registers last, ran in the penalty's critic pass
                b.putAll(carrier.buffers());
            }
            if (accumulate == 1) {
                return new GanModel.Accumulated(g, l, b);
            }
            g.forEach((n, a) -> gradients.merge(n, a.div(accumulate), InPlace::add));
            l.forEach((n, v) -> losses.merge(n, v / accumulate, Double::sum));
            b.forEach((n, a) -> buffers.merge(n, a.div(accumulate), InPlace::add));
        }
        return new GanModel.Accumulated(gradients, losses, buffers);
    }

    /**
     * A pass of a discriminator graph that takes D's logits on the data batch and/or on G(z) as variables
     * {@code variables} ({@link PlayerGraph#REAL_LOGITS}, {@link PlayerGraph#FAKE_LOGITS}): each of {@code logits} is
     * written into its variable's array (in place: the graph's gradient function holds that array), and the pass
     * returns the loss's gradient with respect to them beside the parameters'. {@code given}: forward values fed with
     * {@code feed} (G(z)).
     */
    private Backprop.Result withLogits(PlayerGraph graph, Map<String, INDArray> feed, Set<String> given,
            List<String> variables, List<INDArray> logits) {
        for (int k = 0; k < variables.size(); k++) {
            INDArray held = graph.sd.getArrForVarName(variables.get(k));
            if (held.length() != logits.get(k).length()) {
                throw new IllegalStateException("the discriminator gave " + Arrays.toString(logits.get(k).shape())
                        + " logits for a batch of " + held.size(0) + "; expected one logit per sample");
            }
            InPlace.copy(held, views.reshape("logits", k, logits.get(k), held.shape()));
        }
        // (with D's logits on both groups given, D does not run in this graph and its parameters are not in it)
        List<String> wrt = new ArrayList<>();
        graph.params.stream().filter(graph.sd::hasVariable).forEach(wrt::add);
        wrt.addAll(variables);
        return Backprop.run(graph.sd, feed, graph.outputs(), wrt, given);
    }

    /** Micro-batch p of a feed: the batch-sized inputs' rows {@code [p m, (p + 1) m)}; scalars as they are. */
    private Map<String, INDArray> microBatch(PlayerGraph graph, Map<String, INDArray> feed, int p) {
        Set<String> batched = new HashSet<>(List.of(PlayerGraph.X, PlayerGraph.Z, PlayerGraph.LABELS,
                PlayerGraph.FAKE_LABELS));
        graph.noises.stream().filter(n -> n.shape().length > 0 && n.shape()[0] < 0)
                .forEach(n -> batched.add(n.placeholder()));
        long m = batchSize / accumulate;
        Map<String, INDArray> micro = new HashMap<>();
        feed.forEach((name, a) -> micro.put(name, batched.contains(name)
                ? a.get(NDArrayIndex.interval(p * m, (p + 1) * m)).dup() : a));
        return micro;
    }

    /**
     * Evaluates the input-gradient penalties of a discriminator step and adds their gradients and values.
     *
     * @param carrier the result of the penalty that carried the loss on its points (graph's
     *                {@link PlayerGraph#lossOnPenalty}), already evaluated, or null
     */
    private void addPenalties(PlayerGraph graph, Map<String, INDArray> outputs, INDArray labels,
            Map<String, INDArray> gradients, Map<String, Double> losses, long iteration, long playerStep,
            List<InputGradientPenalty> penalties, InputGradientPenalty.Result carrier) {
        for (int i = 0; i < penalties.size(); i++) {
            PlayerGraph.PenaltyPoints pp = graph.penalties.get(i);
            double w = weights.weight(pp.choice(), iteration, playerStep);
            if (w == 0 && i != graph.lossOnPenalty) {
                losses.put("d_" + pp.choice().name(), Double.NaN);
                continue;
            }
            List<INDArray> points = new ArrayList<>();
            pp.groups().forEach(g -> points.add(outputs.get(g)));
            InputGradientPenalty.Result r = i == graph.lossOnPenalty ? carrier
                    : penalties.get(i).evaluate(points, labels, w);
            // into the penalty's arrays, which the caller may change (the step's are its graph's and may be read
            // again): addition commutes, the bits are the same
            r.gradients().forEach((name, g) -> gradients.merge(name, g, (step, penalty) -> InPlace.add(penalty, step)));
            losses.put("d_" + pp.choice().name(), r.value());
            losses.merge("d_loss", w * r.value(), Double::sum);
        }
    }

    /**
     * The step's inputs, drawn from its stream: data batch, latents, labels, term weights, noise. What the engine
     * draws itself is written into the graph's kept arrays ({@link FeedArrays}), and the dataset is offered kept
     * arrays for the data batch ({@link #batch}).
     */
    private Map<String, INDArray> feed(PlayerGraph graph, long iteration, long stream, long playerStep) {
        Map<String, INDArray> feed = new HashMap<>();
        FeedArrays kept = graph.feeds;
        // (switched off: new arrays, as before)
        boolean keep = FeedArrays.enabled();
        // a graph that reads no data (a G step of most games) draws none; the draws are a function of their key,
        // so the other draws stay as they were
        Batch batch = graph.readsData() ? batch(kept, keep, Seeds.mix(seed, Seeds.DATA, iteration, stream)) : null;
        if (batch != null) {
            feed.put(PlayerGraph.X, batch.data());
        }
        long latentKey = Seeds.mix(seed, Seeds.LATENT, iteration, stream);
        feed.put(PlayerGraph.Z, keep ? codes.drawInto(latentKey, kept.of(PlayerGraph.Z, DataType.FLOAT, batchSize,
                codes.latent())) : codes.draw(latentKey, batchSize));
        if (graph.conditional) {
            if (batch != null) {
                feed.put(PlayerGraph.LABELS, batch.labels());
            }
            // D steps condition the fake batch on the data batch's labels, so that real, generated and mixed
            // points (gradient penalties) share one label per row; G steps draw labels uniformly
            long labelKey = Seeds.mix(seed, Seeds.FAKE_LABELS, iteration, stream);
            feed.put(PlayerGraph.FAKE_LABELS, graph.side == Side.DISCRIMINATOR ? batch.labels()
                    : keep ? Seeds.oneHotInto(labelKey, kept.of(PlayerGraph.FAKE_LABELS, DataType.FLOAT, batchSize,
                            data.classes())) : Seeds.oneHot(labelKey, batchSize, data.classes()));
        }
        for (PlayerGraph.Term t : graph.terms) {
            double w = weights.weight(t.choice(), iteration, playerStep);
            feed.put(t.weightPlaceholder(), keep ? kept.scalar(t.weightPlaceholder(), w)
                    : Nd4j.scalar(DataType.FLOAT, w));
        }
        int n = 0;
        for (PlayerGraph.Noise noise : graph.noises) {
            long key = Seeds.mix(seed, Seeds.NOISE, iteration, stream, n++);
            feed.put(noise.placeholder(), keep ? Players.randomInputInto(noise, key, kept.of(noise.placeholder(),
                    DataType.FLOAT, Players.randomInputShape(noise, batchSize)))
                    : Players.randomInput(noise, key, batchSize));
        }
        return feed;
    }

    /**
     * The data batch of {@code key}: written into the graph's kept arrays where the dataset writes there
     * ({@code DataSource.sample(batchSize, seed, into)}), else the dataset's new arrays; checked against the
     * dataset's shape.
     */
    private Batch batch(FeedArrays kept, boolean keep, long key) {
        Batch batch;
        if (keep) {
            INDArray labels = data.classes() == 0 ? null
                    : kept.of(PlayerGraph.LABELS, DataType.FLOAT, batchSize, data.classes());
            batch = data.sample(batchSize, key,
                    new Batch(kept.of(PlayerGraph.X, DataType.FLOAT, shape.batched(batchSize)), labels));
        } else {
            batch = data.sample(batchSize, key);
        }
        checkBatch(batch);
        return batch;
    }

    private void checkBatch(Batch batch) {
        long[] expected = shape.batched(batchSize);
        if (!Arrays.equals(batch.data().shape(), expected)) {
            throw new IllegalArgumentException("dataset '" + dataset + "' returned a batch of shape "
                    + Arrays.toString(batch.data().shape()) + "; expected " + Arrays.toString(expected));
        }
        if (data.classes() > 0 && batch.labels() == null) {
            throw new IllegalArgumentException("dataset '" + dataset + "' declares "
                    + data.classes() + " classes but returned a batch without labels");
        }
    }
}
