package org.jgan.api;

import java.io.IOException;
import java.nio.file.Path;
import org.osgi.annotation.versioning.ConsumerType;

/** Scores a generator against data, registered with {@value GanComponent#NAME}. */
@ConsumerType
public interface Metric extends GanComponent {

    /**
     * True when this metric can score generators trained on {@code data} (e.g. mixture metrics need a
     * {@link MixtureModel}).
     */
    boolean supports(DataSource data);

    /**
     * @param generator the generator to score
     * @param data      the data it was trained on
     * @param outputDir where plots go
     * @param prefix    file name prefix, e.g. {@code "iter-001000-"}
     * @param seed      seed of the evaluation, so scores are reproducible
     */
    MetricResult evaluate(SampleSource generator, DataSource data, Path outputDir, String prefix, long seed,
            Options options) throws IOException;
}
