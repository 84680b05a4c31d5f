package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Time per iteration (one D step and one G step) of the DCGAN at 28x28, batch 64, base width 64, non-saturating
 * loss, with whichever ND4J native build this JVM loaded. Prints figures; asserts nothing about time. Run with
 * {@code mvn -B -pl bundles/org.jgan.engine -Pbenchmark test -Dtest=DcganSpeedBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}, adding {@code -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx512}
 * for the oneDNN build (surefire hands Maven's user properties to the test JVM).
 */
@Tag("benchmark")
class DcganSpeedBenchmark {

    /**
     * The first iterations are slower (about 1 s against 0.3 s with oneDNN): the process's resident memory grows by
     * about 290 MB per iteration until the first garbage collection frees the native buffers of earlier steps
     * (seen after 12 iterations, at about 4 GB), and from then on the freed memory is reused.
     */
    private static final int WARMUP = 20;
    private static final int MEASURED = 30;

    @Test
    void millisecondsPerIteration() {
        Map<String, String> raw = Map.of("architecture", "dcgan", "architecture.channels", "64", "dataset",
                "test-images", "dataset.size", "28", "dataset.channels", "1", "batchSize", "64", "latent", "100",
                "metrics", "none");
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "dcgan-bench");
        GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        List<Double> times = new ArrayList<>();
        for (int it = 0; it < WARMUP + MEASURED; it++) {
            long t0 = System.nanoTime();
            m.discriminatorStep(it, 0);
            m.generatorStep(it);
            if (it >= WARMUP) {
                times.add((System.nanoTime() - t0) / 1e6);
            }
        }
        Collections.sort(times);
        String extension = System.getProperty("org.bytedeco.javacpp.platform.extension", "");
        Object blas = Nd4j.getExecutioner().getEnvironmentInformation().get("blas.vendor");
        System.out.printf(Locale.ROOT, "dcgan 28x28 batch 64 channels 64 (G %d, D %d parameters), native build "
                + "linux-x86_64%s, BLAS %s, %d threads: median %.1f ms/iteration (min %.1f, max %.1f, %d measured)%n",
                m.parameterCount(org.jgan.api.Side.GENERATOR), m.parameterCount(org.jgan.api.Side.DISCRIMINATOR),
                extension, blas, Runtime.getRuntime().availableProcessors(), times.get(times.size() / 2),
                times.get(0), times.get(times.size() - 1), times.size());
    }
}
