package org.jgan.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Scores of one evaluation.
 *
 * @param scores named values, e.g. {@code modes=8}
 * @param files  files the metric wrote (plots)
 */
public record MetricResult(Map<String, Double> scores, List<Path> files) {
    public MetricResult {
        scores = Map.copyOf(scores);
        files = List.copyOf(files);
    }
}
