package org.jgan.metrics.features.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.jgan.api.FeatureExtractor;
import org.jgan.api.GanComponent;
import org.jgan.api.GanName;
import org.jgan.api.Metric;
import org.jgan.api.MetricResult;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.SampleSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Sample-quality scores of an image generator on the features of a {@link FeatureExtractor}: the Frechet distance
 * ({@code fd}, Heusel et al. 2017), the kernel distance ({@code kid} with {@code kid_se}, Binkowski et al. 2018),
 * the classifier score ({@code cs} with {@code cs_std}, the Inception score of Salimans et al. 2016; {@code
 * cs_real} is the same score of the real images, its ceiling) and improved precision and recall ({@code precision},
 * {@code recall}, Kynkaanniemi et al. 2019). The sample counts are reported with the scores ({@code samples},
 * {@code real_samples}); the same seed gives the same scores.
 * <p>
 * The real images are a contiguous run of the dataset starting at a seed-derived offset (distinct images; datasets
 * sampled afresh are sampled), their features cached per dataset, count, seed and extractor, so scoring at every
 * sample interval of a run pays for them once.
 */
@Component(service = Metric.class)
@GanName("features")
public final class FeatureMetric implements Metric {

    private static final int CHUNK = 500;

    /** An installed extractor with its name. */
    record Named(String name, FeatureExtractor extractor) {
    }

    private final List<Named> extractors = new CopyOnWriteArrayList<>();
    private final Map<DataSource, Map<String, Extracted>> realCache = new WeakHashMap<>();

    /** Features as a double matrix, and class probabilities (null when the extractor is not a classifier). */
    record Extracted(INDArray features, double[][] probabilities) {
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addExtractor(FeatureExtractor extractor, Map<String, Object> properties) {
        extractors.add(new Named(String.valueOf(properties.get(GanComponent.NAME)), extractor));
    }

    void removeExtractor(FeatureExtractor extractor) {
        extractors.removeIf(n -> n.extractor() == extractor);
        synchronized (realCache) {
            realCache.clear();
        }
    }

    @Override
    public String description() {
        return "Frechet distance, KID, classifier score, precision/recall on a feature extractor's features "
                + "(Heusel 2017, Binkowski 2018, Salimans 2016, Kynkaanniemi 2019)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofInt("samples", 2000, 20, 1_000_000, "Generated samples scored"),
                OptionSpec.ofInt("realSamples", 0, 0, 1_000_000, "Real images compared with (0: as many as samples)"),
                OptionSpec.ofString("extractor", "auto", "Feature extractor by name; auto: the first installed one that supports the data shape"),
                OptionSpec.ofInt("k", 3, 1, 100, "Nearest neighbour defining the manifold radii of precision and recall"),
                OptionSpec.ofInt("kidBlocks", 10, 1, 1000, "Disjoint blocks of the KID estimate (its standard error needs 2)"),
                OptionSpec.ofInt("splits", 10, 1, 1000, "Splits of the classifier score"));
    }

    @Override
    public boolean supports(DataSource data) {
        return data.shape().isImage() && extractors.stream().anyMatch(n -> n.extractor().supports(data.shape()));
    }

    @Override
    public MetricResult evaluate(SampleSource generator, DataSource data, Path outputDir, String prefix, long seed,
            Options options) {
        Named fx = choose(options.getString("extractor"), data.shape());
        int n = options.getInt("samples");
        int nReal = options.getInt("realSamples") == 0 ? n : options.getInt("realSamples");
        Extracted generated = extract(fx.extractor(), generator.sample(n, seed), n);
        Extracted real = real(fx, data, nReal, seed);
        Map<String, Double> scores = new LinkedHashMap<>();
        scores.put("fd", FrechetDistance.of(generated.features().toDoubleMatrix(), real.features().toDoubleMatrix()));
        KernelDistance.Score kid = KernelDistance.of(generated.features(), real.features(), options.getInt("kidBlocks"));
        scores.put("kid", kid.kid());
        if (kid.blocks() > 1) {
            scores.put("kid_se", kid.standardError());
        }
        PrecisionRecall.Score pr = PrecisionRecall.of(real.features(), generated.features(), options.getInt("k"));
        scores.put("precision", pr.precision());
        scores.put("recall", pr.recall());
        if (generated.probabilities() != null) {
            ClassifierScore.Score cs = ClassifierScore.of(generated.probabilities(), options.getInt("splits"));
            scores.put("cs", cs.mean());
            scores.put("cs_std", cs.std());
            scores.put("cs_real", ClassifierScore.of(real.probabilities(), options.getInt("splits")).mean());
        }
        scores.put("samples", (double) n);
        scores.put("real_samples", (double) nReal);
        return new MetricResult(scores, List.of());
    }

    /** The named extractor, or the first one that supports the shape. */
    Named choose(String name, DataShape shape) {
        List<String> installed = new ArrayList<>();
        for (Named n : extractors) {
            installed.add(n.name());
            if ((name.equals("auto") || name.equals(n.name())) && n.extractor().supports(shape)) {
                return n;
            }
        }
        String which = name.equals("auto") ? "no feature extractor supports" : "feature extractor '" + name
                + "' is not installed or does not support";
        throw new IllegalArgumentException("metric 'features': " + which + " images of shape " + shape
                + "; installed extractors: " + (installed.isEmpty() ? "none" : String.join(", ", installed)));
    }

    private Extracted real(Named fx, DataSource data, int n, long seed) {
        String key = fx.name() + "/" + n + "/" + seed;
        synchronized (realCache) {
            Extracted cached = realCache.computeIfAbsent(data, d -> new LinkedHashMap<>()).get(key);
            if (cached != null) {
                return cached;
            }
        }
        INDArray images;
        long size = data.size();
        if (size != Long.MAX_VALUE && size >= n) {
            long start = Math.floorMod(seed * 0x9E3779B97F4A7C15L, size - n + 1);
            images = data.range(start, n).data();
        } else {
            images = data.sample(n, seed).data();
        }
        Extracted e = extract(fx.extractor(), images, n);
        synchronized (realCache) {
            // the cache may have been cleared meanwhile (an extractor went away)
            realCache.computeIfAbsent(data, d -> new LinkedHashMap<>()).put(key, e);
        }
        return e;
    }

    /** Features of {@code images} in chunks, as doubles. */
    static Extracted extract(FeatureExtractor extractor, INDArray images, int n) {
        List<INDArray> features = new ArrayList<>();
        List<INDArray> probabilities = new ArrayList<>();
        for (long from = 0; from < n; from += CHUNK) {
            long to = Math.min(n, from + CHUNK);
            FeatureExtractor.Features f = extractor.extract(images.get(NDArrayIndex.interval(from, to)));
            if (f.features().size(0) != to - from) {
                throw new IllegalStateException("feature extractor returned " + f.features().size(0) + " rows for "
                        + (to - from) + " images");
            }
            features.add(f.features().castTo(DataType.DOUBLE));
            if (f.probabilities() != null) {
                probabilities.add(f.probabilities().castTo(DataType.DOUBLE));
            }
        }
        INDArray all = features.size() == 1 ? features.get(0) : Nd4j.concat(0, features.toArray(new INDArray[0]));
        double[][] p = probabilities.size() == features.size() ? (probabilities.size() == 1 ? probabilities.get(0)
                : Nd4j.concat(0, probabilities.toArray(new INDArray[0]))).toDoubleMatrix() : null;
        return new Extracted(all, p);
    }
}
