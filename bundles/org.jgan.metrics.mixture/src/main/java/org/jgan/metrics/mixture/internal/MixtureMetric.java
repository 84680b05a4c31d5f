package org.jgan.metrics.mixture.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.api.GanName;
import org.jgan.api.Metric;
import org.jgan.api.MetricResult;
import org.jgan.api.MixtureModel;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.SampleSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.osgi.service.component.annotations.Component;

/**
 * Modes covered and fraction of high-quality samples for mixture datasets (VEEGAN, Srivastava et al. 2017;
 * PacGAN, Lin et al. 2018), and a scatter plot PNG of data against generated points. {@code modes} counts a mode
 * with one high-quality sample, as the published evaluation code does; {@code modes_strict} with
 * {@code minPerMode} (see {@link ModeCoverage}).
 */
@Component(service = Metric.class)
@GanName("mixture")
public final class MixtureMetric implements Metric {

    @Override
    public String description() {
        return "Modes covered (modes: >= 1 sample as published; modes_strict: >= minPerMode) and high-quality fraction (within k std of a mode) for Gaussian mixtures, with a scatter plot";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofInt("samples", 2500, 1, 10_000_000, "Generated samples scored"),
                OptionSpec.ofDouble("k", 3.0, 1e-6, 1e6, "A sample is high quality within k standard deviations of a mode"),
                OptionSpec.ofInt("minPerMode", 20, 1, 10_000_000, "High-quality samples a mode needs to count in modes_strict (modes counts one, as published)"),
                OptionSpec.ofBoolean("plot", true, "Write a scatter plot PNG"));
    }

    @Override
    public boolean supports(DataSource data) {
        return data instanceof MixtureModel;
    }

    @Override
    public MetricResult evaluate(SampleSource generator, DataSource data, Path outputDir, String prefix, long seed,
            Options options) throws IOException {
        MixtureModel mixture = (MixtureModel) data;
        int n = options.getInt("samples");
        double[][] generated = rows(generator.sample(n, seed));
        ModeCoverage c = ModeCoverage.of(generated, mixture.means(), mixture.stddev(), options.getDouble("k"),
                options.getInt("minPerMode"));
        Map<String, Double> scores = Map.of("modes", (double) c.modesCovered(), "modes_strict",
                (double) c.modesStrict(), "modes_total", (double) mixture.means().length, "high_quality",
                c.highQuality());
        if (!options.getBoolean("plot")) {
            return new MetricResult(scores, List.of());
        }
        Path file = outputDir.resolve(prefix + "scatter.png");
        double[][] real = rows(data.sample(Math.min(n, 2000), seed ^ 0x5DEECE66DL).data());
        ScatterPlot.write(file, real, generated, mixture.means(), String.format(Locale.ROOT,
                "%s modes %d/%d (>= 1 sample), strict %d/%d (>= %d), high quality %.1f%%",
                prefix.replaceAll("-$", ""), c.modesCovered(), mixture.means().length, c.modesStrict(),
                mixture.means().length, options.getInt("minPerMode"), 100 * c.highQuality()));
        return new MetricResult(scores, List.of(file));
    }

    private static double[][] rows(INDArray a) {
        INDArray flat = a.reshape(a.size(0), -1);
        return flat.toDoubleMatrix();
    }
}
