package org.jgan.engine.internal.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The speed benchmarks' jgan models draw their batches from a fixed set of images made once
 * ({@link ArchitectureSpeedBenchmark#DATA_POOL}), as the PyTorch ports train on a fixed batch or one drawn with
 * {@code torch.rand}: no image is computed per draw on jgan's side alone.
 */
class BenchmarkDataTest {

    @ParameterizedTest
    @ValueSource(strings = {"dcgan", "sagan", "biggan", "stylegan", "stylegan2", "resnet", "r3gan", "dcgan-28",
            "penalty-conv"})
    void batchesComeFromAPoolMadeOnce(String benchmark) {
        Map<String, String> settings = switch (benchmark) {
            case "dcgan-28" -> DcganSpeedBenchmark.settings();
            case "penalty-conv" -> PenaltyBenchmark.convSettings();
            default -> ArchitectureSpeedBenchmark.settings(benchmark);
        };
        RunSpec spec = RunSpec.parse(settings, TestCatalog.create(), benchmark + "-bench");
        DataSource source = spec.datasetComponent().open(spec.dataset().options());
        assertEquals(Long.parseLong(ArchitectureSpeedBenchmark.DATA_POOL), source.size(),
                benchmark + ": images the batches are drawn from (Long.MAX_VALUE: a fresh image per draw)");
    }
}
