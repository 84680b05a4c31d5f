package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.DataShape;
import org.jgan.api.Networks;
import org.jgan.api.Reparametrization;
import org.jgan.api.SampleSource;
import org.jgan.api.Side;
import org.jgan.api.StyleMixer;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.graph.Seeds;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The two players of a run as inference graphs on a parameter store: the generator (on the EMA weights when the run
 * keeps them) for samples, and the discriminator alone on data for its logits (built on first use). No loss, no
 * gradient, no optimizer: this is what sampling, latent exploration, metrics and cross-testing need, both while
 * training ({@link GanModel#players()}) and from a checkpoint (analysis restores only these, see
 * {@link #restore}).
 */
public final class Players implements SampleSource, AutoCloseable {

    /** Samples are generated in chunks of this many rows. */
    private static final int CHUNK = 1024;

    private final String run;
    private final String architecture;
    private final DataShape shape;
    private final int classes;
    private final int batchSize;
    private final long seed;
    private final LatentLayout codes;
    private final Networks networks;
    private final ParameterStore store;
    private final List<GraphScope.Reparam> discriminatorReparams;
    private final List<GraphScope.Reparam> generatorReparams;
    private final Map<String, INDArray> ema;
    private final Sampler sampler;
    /** Style-mixing samplers by crossover layer ({@link StyleMixer} networks), built on first use. */
    private final Map<Integer, Sampler> mixers = new HashMap<>();
    /** Arrays this object owns and frees on close (those of a restored checkpoint), empty when the model owns them. */
    private final List<INDArray> owned = new ArrayList<>();
    /** D alone on a data placeholder, built on first use by {@link #discriminate}. */
    private SameDiff critic;
    private String criticOutput;

    /**
     * @param ema the generator's averaged weights by full parameter name, bound in place of its parameters (empty when
     *            the run keeps no average)
     */
    Players(RunSpec spec, DataShape shape, int classes, Networks networks, ParameterStore store,
            Map<Side, List<GraphScope.Reparam>> reparams, Map<String, INDArray> ema, LatentLayout codes) {
        this.run = spec.name();
        this.architecture = spec.architecture().name();
        this.shape = shape;
        this.classes = classes;
        this.batchSize = spec.settings().batchSize();
        this.seed = spec.settings().seed();
        this.codes = codes;
        this.networks = networks;
        this.store = store;
        this.discriminatorReparams = reparams.get(Side.DISCRIMINATOR);
        this.generatorReparams = reparams.get(Side.GENERATOR);
        this.ema = ema;
        sampler = new Sampler(spec.settings().latent(), false,
                (scope, z, z2, labels) -> networks.generator(scope, z, labels));
    }

    /** Builds a generator on a sampling graph's latent placeholders (a second one for style mixing). */
    private interface GeneratorBuilder {
        SDVariable build(GraphScope scope, SDVariable z, SDVariable z2, SDVariable labels);
    }

    /** A sampling graph of the generator with the random inputs it asked for (NetworkScope.noise). */
    private final class Sampler {
        final SameDiff sd = GraphMemory.create();
        final String output;
        /** Random inputs the generator asked for (NetworkScope.noise), fed by {@link #run}. */
        final List<PlayerGraph.Noise> noises = new ArrayList<>();

        Sampler(long latent, boolean mixing, GeneratorBuilder g) {
            try {
                SDVariable z = sd.placeHolder(PlayerGraph.Z, DataType.FLOAT, -1, latent);
                SDVariable z2 = mixing ? sd.placeHolder(Z2, DataType.FLOAT, -1, latent) : null;
                SDVariable labels = classes > 0
                        ? sd.placeHolder(PlayerGraph.FAKE_LABELS, DataType.FLOAT, -1, classes) : null;
                output = g.build(new GraphScope(sd, Side.GENERATOR, false, store, generatorReparams, ema)
                        .withRandomInputs(this::input), z, z2, labels).name();
            } catch (RuntimeException | Error e) {
                // a generator refused half-built is not left open
                GraphMemory.release(sd);
                throw e;
            }
        }

        private SDVariable input(String placeholder, long[] shape, boolean uniform) {
            if (!sd.hasVariable(placeholder)) {
                noises.add(new PlayerGraph.Noise(placeholder, shape.clone(), uniform));
                return sd.placeHolder(placeholder, DataType.FLOAT, shape);
            }
            return sd.getVariable(placeholder);
        }

        INDArray run(INDArray z, INDArray z2, INDArray labels) {
            Map<String, INDArray> feed = new HashMap<>();
            feed.put(PlayerGraph.Z, z.castTo(DataType.FLOAT));
            if (z2 != null) {
                feed.put(Z2, z2.castTo(DataType.FLOAT));
            }
            if (classes > 0) {
                if (labels == null || labels.size(0) != z.size(0)) {
                    throw new IllegalArgumentException("run '" + run + "' is conditional on " + classes
                            + " classes; expected one label row per latent row");
                }
                feed.put(PlayerGraph.FAKE_LABELS, labels);
            }
            int n = 0;
            for (PlayerGraph.Noise noise : noises) {
                // draws depend on the run's seed and the batch size only: the same latent batch gives the same samples
                long key = Seeds.mix(seed, Seeds.NOISE, -1, z.size(0), n++);
                feed.put(noise.placeholder(), randomInput(noise, key, z.size(0)));
            }
            return sd.outputSingle(feed, output).dup();
        }
    }

    /** The second latent placeholder of the style-mixing graphs. */
    private static final String Z2 = "z2";

    /** The weight reparametrizations (spectral normalization) each network applies in {@code spec}. */
    static Map<Side, List<GraphScope.Reparam>> reparams(RunSpec spec) {
        Map<Side, List<GraphScope.Reparam>> reparams = new EnumMap<>(Side.class);
        for (Side side : Side.values()) {
            reparams.put(side, new ArrayList<>());
        }
        for (RunSpec.RegularizerChoice r : spec.regularizers()) {
            if (r.kind() == Kind.REPARAMETRIZATION) {
                Reparametrization rp = (Reparametrization) r.entry().component();
                for (Side side : Side.values()) {
                    if (rp.appliesTo(side, r.options())) {
                        reparams.get(side).add(new GraphScope.Reparam(rp, r.options()));
                    }
                }
            }
        }
        return reparams;
    }

    /**
     * The players of a run restored from its checkpoint: the generator, its EMA weights and the discriminator with
     * their state buffers, nothing else (no training graph, penalty or optimizer state is built or read).
     *
     * @param arrays the checkpoint's {@code param/}, {@code buffer/} and {@code ema/} arrays (see
     *               {@link Checkpoint#readPlayers}); they become this object's, freed by {@link #close}
     * @throws IllegalArgumentException when the checkpoint lacks a parameter or state buffer the networks need, or
     *                                  holds it with another shape (nothing is left allocated)
     */
    public static Players restore(RunSpec spec, DataShape shape, int classes, Map<String, INDArray> arrays) {
        ParameterStore store = new ParameterStore(spec.settings().seed());
        Map<String, INDArray> ema = new HashMap<>();
        arrays.forEach((name, a) -> {
            if (name.startsWith(Checkpoint.PARAM)) {
                store.params().put(name.substring(Checkpoint.PARAM.length()), a);
            } else if (name.startsWith(Checkpoint.BUFFER)) {
                store.buffers().put(name.substring(Checkpoint.BUFFER.length()), a);
            } else if (name.startsWith(Checkpoint.EMA) && spec.keepsAverage()) {
                ema.put(name.substring(Checkpoint.EMA.length()), a);
            }
        });
        int before = store.params().size() + store.buffers().size();
        Players p = null;
        try {
            LatentLayout codes = LatentLayout.of(spec, spec.settings().latent());
            Networks networks = Packing.networks((org.jgan.api.Architecture) spec.architecture().entry().component(),
                    shape, spec.settings().latent(), classes, spec.architecture().options(),
                    spec.settings().packing());
            p = new Players(spec, shape, classes, networks, store, reparams(spec), ema, codes);
            p.owned.addAll(arrays.values());
            p.criticGraph();
            if (store.params().size() + store.buffers().size() != before) {
                List<String> missing = new ArrayList<>();
                store.params().keySet().stream().filter(n -> !arrays.containsKey(Checkpoint.PARAM + n)).forEach(missing::add);
                store.buffers().keySet().stream().filter(n -> !arrays.containsKey(Checkpoint.BUFFER + n)).forEach(missing::add);
                throw new IllegalArgumentException("checkpoint does not match the run: " + missing + " missing; "
                        + "expected a checkpoint of this run's architecture '" + spec.architecture().name() + "'");
            }
            return p;
        } catch (RuntimeException | Error e) {
            if (p != null) {
                p.close();
            } else {
                GraphMemory.close(arrays.values());
            }
            // what the failed build created in the store beside the checkpoint's arrays is freed too
            java.util.Set<INDArray> restored = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            restored.addAll(arrays.values());
            store.params().values().removeIf(restored::contains);
            store.buffers().values().removeIf(restored::contains);
            GraphMemory.close(store.params().values());
            GraphMemory.close(store.buffers().values());
            throw e;
        }
    }

    /**
     * Samples for evaluation and sample files: fresh noise from {@code sampleSeed}; in conditional runs row i has
     * class {@code i mod classes}, and a categorical latent code (InfoGAN) likewise cycles through its values.
     */
    @Override
    public INDArray sample(int count, long sampleSeed) {
        List<INDArray> parts = new ArrayList<>();
        for (int start = 0; start < count; start += CHUNK) {
            int n = Math.min(CHUNK, count - start);
            parts.add(generate(codes.drawCycling(Seeds.mix(sampleSeed, Seeds.LATENT, start), n, start),
                    classes > 0 ? cyclingLabels(start, n, classes) : null));
        }
        INDArray out = parts.size() == 1 ? parts.get(0) : Nd4j.concat(0, parts.toArray(new INDArray[0]));
        long[] expected = shape.batched(count);
        if (!Arrays.equals(out.shape(), expected)) {
            throw new IllegalArgumentException("architecture '" + architecture + "' generated shape "
                    + Arrays.toString(out.shape()) + "; expected " + Arrays.toString(expected));
        }
        return out;
    }

    /**
     * The latent batch that {@link #sample} feeds for {@code count <= 1024} rows and this seed: row i of it generates
     * sample i.
     */
    public INDArray latents(int count, long sampleSeed) {
        return codes.drawCycling(Seeds.mix(sampleSeed, Seeds.LATENT, 0), count, 0);
    }

    /**
     * Class labels of sample rows: row i gets class {@code i mod classes}, so every class is equally represented and
     * a grid whose width is a multiple of the class count shows one class per column.
     */
    public static INDArray cyclingLabels(int start, int n, int classes) {
        INDArray labels = Nd4j.zeros(DataType.FLOAT, n, classes);
        for (int i = 0; i < n; i++) {
            labels.putScalar(i, (start + i) % classes, 1);
        }
        return labels;
    }

    /** The generator (EMA weights when the run keeps them) on a given latent batch and, in conditional runs, labels. */
    public INDArray generate(INDArray z, INDArray labels) {
        return sampler.run(z, null, labels);
    }

    /** L, the generator's number of style inputs when its networks are a {@link StyleMixer}, else 0. */
    public int styleLayers() {
        return Packing.generatorSide(networks) instanceof StyleMixer m ? m.styleLayers() : 0;
    }

    /**
     * The generator with the styles of layers before {@code crossover} from {@code z} and the others from {@code z2}
     * ({@link StyleMixer}); the random inputs as {@link #generate} draws them for this batch size.
     *
     * @throws IllegalArgumentException when the architecture has no style layers
     */
    public INDArray generateMixed(INDArray z, INDArray z2, int crossover, INDArray labels) {
        if (!(Packing.generatorSide(networks) instanceof StyleMixer m)) {
            throw new IllegalArgumentException("run '" + run + "': architecture '" + architecture + "' has no style "
                    + "layers to mix; expected a StyleGAN run");
        }
        Sampler mixer = mixers.get(crossover);
        if (mixer == null) {
            int before = store.params().size() + store.buffers().size();
            mixer = new Sampler(z.size(1), true, (scope, a, b, l) -> m.mixedGenerator(scope, a, b, crossover, l));
            if (store.params().size() + store.buffers().size() != before) {
                // a mixing generator must use the generator's parameters, which the checkpoint restored
                GraphMemory.release(mixer.sd);
                throw new IllegalStateException("run '" + run + "': architecture '" + architecture + "' built its "
                        + "style-mixing generator with parameters its generator does not have; expected the same ones");
            }
            mixers.put(crossover, mixer);
        }
        return mixer.run(z, z2, labels);
    }

    /** Where the run's latent codes (InfoGAN) sit in z. */
    public LatentLayout codes() {
        return codes;
    }

    /** Draws of a random input with -1 dimensions standing for {@code batch}. */
    static INDArray randomInput(PlayerGraph.Noise noise, long key, long batch) {
        long[] s = randomInputShape(noise, batch);
        return noise.uniform() ? Seeds.uniform(key, s) : Seeds.gaussian(key, s);
    }

    /** As {@link #randomInput}, written into {@code into} (of {@link #randomInputShape}): the same values. */
    static INDArray randomInputInto(PlayerGraph.Noise noise, long key, INDArray into) {
        return noise.uniform() ? Seeds.uniformInto(key, into) : Seeds.gaussianInto(key, into);
    }

    /** A random input's shape, -1 dimensions standing for {@code batch}. */
    static long[] randomInputShape(PlayerGraph.Noise noise, long batch) {
        long[] s = noise.shape().clone();
        for (int i = 0; i < s.length; i++) {
            s[i] = s[i] < 0 ? batch : s[i];
        }
        return s;
    }

    /**
     * D's logits for {@code x} (one label row per row in conditional runs), in batches of the run's batch size, each
     * batch normalised by its own statistics, as D saw its homogeneous batches of data or of samples in training
     * (batch norm's running statistics follow the sample batches, see docs/architectures.md). No input transform
     * (instance noise) is applied. A packing D ({@link Packing}) judges consecutive rows m at a time, and each row gets
     * the logit of its pack; a last pack short of m rows is completed with the first rows of {@code x}.
     *
     * @return {@code [n]} logits; {@code > 0} means D takes the point (its pack) for data
     */
    public double[] discriminate(INDArray x, INDArray labels) {
        if (classes > 0 && (labels == null || labels.size(0) != x.size(0))) {
            throw new IllegalArgumentException("run '" + run + "' is conditional on " + classes
                    + " classes; expected one label row per data row");
        }
        criticGraph();
        int m = Packing.of(networks);
        long n = x.size(0);
        double[] out = new double[(int) n];
        for (long from = 0; from < n; from += batchSize) {
            long to = Math.min(n, from + batchSize);
            Map<String, INDArray> feed = new HashMap<>();
            INDArray rows = x.get(NDArrayIndex.interval(from, to));
            long missing = (m - (to - from) % m) % m;
            if (missing > 0) {
                long[] fill = new long[(int) missing];
                for (int i = 0; i < fill.length; i++) {
                    fill[i] = i % n;
                }
                rows = Nd4j.concat(0, rows, x.get(NDArrayIndex.indices(fill)));
            }
            feed.put(PlayerGraph.X, rows.castTo(DataType.FLOAT));
            if (classes > 0) {
                feed.put(PlayerGraph.LABELS, labels.get(NDArrayIndex.interval(from, to), NDArrayIndex.all())
                        .castTo(DataType.FLOAT));
            }
            double[] logits = critic.outputSingle(feed, criticOutput).reshape(-1).toDoubleVector();
            for (long i = from; i < to; i++) {
                out[(int) i] = logits[(int) ((i - from) / m)];
            }
        }
        return out;
    }

    private void criticGraph() {
        if (critic != null) {
            return;
        }
        critic = GraphMemory.create();
        SDVariable in = critic.placeHolder(PlayerGraph.X, DataType.FLOAT, shape.batched(-1));
        SDVariable l = classes > 0 ? critic.placeHolder(PlayerGraph.LABELS, DataType.FLOAT, -1, classes) : null;
        criticOutput = networks.discriminator(new GraphScope(critic, Side.DISCRIMINATOR, true, store,
                discriminatorReparams), in, l).logits().name();
    }

    /** Classes of a conditional run's data (0 when unconditional). */
    public int classes() {
        return classes;
    }

    /** Native bytes of the graphs' array caches (and of the restored arrays this object owns). */
    public long cachedBytes() {
        long bytes = GraphMemory.cachedBytes(sampler.sd) + GraphMemory.bytes(owned);
        for (Sampler m : mixers.values()) {
            bytes += GraphMemory.cachedBytes(m.sd);
        }
        return critic == null ? bytes : bytes + GraphMemory.cachedBytes(critic);
    }

    /** Frees the graphs' array caches, and the restored arrays when this object owns them. Twice does nothing. */
    @Override
    public void close() {
        GraphMemory.release(sampler.sd);
        mixers.values().forEach(m -> GraphMemory.release(m.sd));
        mixers.clear();
        if (critic != null) {
            GraphMemory.release(critic);
        }
        GraphMemory.close(owned);
        owned.clear();
    }
}
