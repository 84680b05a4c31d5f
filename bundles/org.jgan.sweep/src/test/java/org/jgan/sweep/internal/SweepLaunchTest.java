package org.jgan.sweep.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.jgan.api.dto.ComponentDTO;
import org.jgan.api.dto.OptionDTO;
import org.junit.jupiter.api.Test;

/** The evaluation and cross-test options, checked before anything runs (the runs' settings: the engine's validation). */
class SweepLaunchTest {

    private final SweepLaunch launch = new SweepLaunch((p, s) -> s, () -> List.of(metric("mixture", "samples", "k"),
            metric("features", "samples")), null);

    @Test
    void evaluationOptionsMustNameInstalledMetricsAndTheirOptions() {
        launch.checkAnalyses(spec("\"evaluate\": {\"metrics\": \"mixture,features\", \"seed\": 3, "
                + "\"metric.mixture.samples\": 10000}"));
        launch.checkAnalyses(spec("\"evaluate\": {\"metrics\": \"auto\"}"));
        assertEquals("unknown metric 'fid' in the evaluate of sweep s; installed: features, mixture",
                refused("\"evaluate\": {\"metrics\": \"mixture,fid\"}"));
        assertEquals("sweep s: evaluate option 'metric.mixture.sample' names no option of metric 'mixture'; expected "
                + "one of [samples, k]", refused("\"evaluate\": {\"metric.mixture.sample\": 5}"));
        assertEquals("sweep s: evaluate option 'samples' is not one of gan:evaluate's; expected metrics, seed or "
                + "metric.NAME.OPTION", refused("\"evaluate\": {\"samples\": 5}"));
    }

    @Test
    void crossTestOptionsAreSamplesAndSeedAsIntegers() {
        String grid = "\"grid\": {\"m\": {\"a\": {}, \"b\": {}}}, ";
        launch.checkAnalyses(spec(grid + "\"crosstest\": {\"axis\": \"m\", \"pairs\": [[\"a\", \"b\"]], "
                + "\"options\": {\"samples\": 1000, \"seed\": 2}}"));
        assertEquals("sweep s: cross-test option 'samples=1e3'; expected samples=N and seed=N (integers)",
                refused(grid + "\"crosstest\": {\"axis\": \"m\", \"pairs\": [[\"a\", \"b\"]], \"options\": "
                        + "{\"samples\": 1e3}}"));
    }

    private String refused(String json) {
        return assertThrows(IllegalArgumentException.class, () -> launch.checkAnalyses(spec(json))).getMessage();
    }

    private static SweepSpec spec(String body) {
        return SweepSpec.parse("{\"name\": \"s\", " + body + "}", "s.json");
    }

    private static ComponentDTO metric(String name, String... options) {
        ComponentDTO c = new ComponentDTO();
        c.kind = "metric";
        c.name = name;
        c.options = java.util.Arrays.stream(options).map(o -> {
            OptionDTO d = new OptionDTO();
            d.name = o;
            return d;
        }).toList();
        return c;
    }
}
