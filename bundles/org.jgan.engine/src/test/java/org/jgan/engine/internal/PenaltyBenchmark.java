package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cost of each gradient penalty per iteration relative to the unregularized iteration (one D and one G step),
 * MLP discriminator. Prints figures; asserts nothing about time. Run with
 * {@code mvn -B -pl bundles/org.jgan.engine -am -Pbenchmark test -Dtest=PenaltyBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class PenaltyBenchmark {

    private static final int WARMUP = 30;
    private static final int MEASURED = 100;

    @Test
    void penaltyCostRelativeToUnregularized() {
        Map<String, String> base = Map.of("dataset", "ring8", "batchSize", "64", "architecture.hidden", "128");
        double plain = medianMillis(base, "", 1);
        System.out.printf(Locale.ROOT, "%-22s %8.2f ms/iteration  1.00x%n", "none", plain);
        for (String p : List.of("roth", "r1", "r2", "wgan-gp", "dragan")) {
            for (int every : new int[] {1, 16}) {
                double ms = medianMillis(base, p, every);
                System.out.printf(Locale.ROOT, "%-22s %8.2f ms/iteration  %.2fx%n", p + " every " + every, ms,
                        ms / plain);
            }
        }
    }

    private static double medianMillis(Map<String, String> base, String penalty, int every) {
        Map<String, String> raw = new java.util.HashMap<>(base);
        raw.put("regularizers", penalty);
        if (!penalty.isEmpty()) {
            raw.put("regularizer." + penalty + ".every", Integer.toString(every));
        }
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "bench");
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
        // lazy penalties: the mean over whole periods is the cost that matters, not the median step
        if (every > 1) {
            return times.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        }
        Collections.sort(times);
        return times.get(times.size() / 2);
    }
}
