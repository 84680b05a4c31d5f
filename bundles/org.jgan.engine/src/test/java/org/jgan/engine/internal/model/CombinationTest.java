package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every loss with every regularizer trains a step; annealing follows its schedule. */
class CombinationTest {

    @Test
    void everyLossWithEveryRegularizerTrainsAStep() {
        ComponentCatalog catalog = TestCatalog.create();
        List<String> regularizers = new ArrayList<>(List.of(""));
        for (Kind k : Kind.values()) {
            if (k.isRegularization()) {
                catalog.list(k).forEach(e -> regularizers.add(e.name()));
            }
        }
        for (ComponentCatalog.Entry loss : catalog.list(Kind.LOSS)) {
            for (String reg : regularizers) {
                Map<String, String> raw = new HashMap<>(Map.of("loss", loss.name(), "regularizers", reg,
                        "batchSize", "16", "architecture.hidden", "8", "dataset", "submanifold7", "dSteps", "2"));
                if (reg.equals("ada")) {
                    // ADA tunes diffaugment's probability
                    raw.put("regularizers", "diffaugment,ada");
                    raw.put("regularizer.diffaugment.adaptive", "true");
                }
                if (reg.equals("diffaugment") || reg.equals("ada")) {
                    // it augments images: small generated ones, through the MLP (which flattens them)
                    raw.put("dataset", "test-images");
                    raw.put("dataset.size", "8");
                    raw.put("dataset.channels", "3");
                }
                if (reg.equals("roth-f") && !loss.name().equals("fgan")) {
                    // roth-f follows the fgan loss's divergence; with another loss it must be named
                    raw.put("regularizer.roth-f.divergence", "js");
                }
                RunSpec spec = RunSpec.parse(raw, catalog, "combo");
                GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
                Map<String, Double> d = m.discriminatorStep(0, 0);
                Map<String, Double> g = m.generatorStep(0);
                String label = loss.name() + " + " + (reg.isEmpty() ? "nothing" : reg);
                assertTrue(Double.isFinite(d.get("d_loss")) && Double.isFinite(g.get("g_loss")), label + ": " + d + g);
                if (!reg.isEmpty() && catalog.find(Kind.PENALTY, reg).isPresent()) {
                    assertTrue(d.get("d_" + reg) > 0, label + " penalty value " + d);
                    assertEquals(d.get("d_adv") + d.get("d_" + reg), d.get("d_loss"), 1e-4, label);
                }
            }
        }
    }

    @Test
    void annealingDecaysTheWeightExponentiallyToItsFloor() {
        RunSpec spec = RunSpec.parse(Map.of("regularizers", "roth", "regularizer.roth.weight", "2",
                "regularizer.roth.anneal", "true", "regularizer.roth.decay", "0.01", "iterations", "1000",
                "architecture.hidden", "8"), TestCatalog.create(), "anneal");
        GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        RunSpec.RegularizerChoice roth = spec.regularizers().get(0);
        assertEquals(2.0, m.termWeight(roth, 0, 0), 1e-12);
        assertEquals(2.0 * 0.1, m.termWeight(roth, 500, 500), 1e-12);
        assertEquals(2.0 * 0.01, m.termWeight(roth, 1000, 1000), 1e-12);
        RunSpec lazy = RunSpec.parse(Map.of("regularizers", "r1", "regularizer.r1.every", "16",
                "architecture.hidden", "8"), TestCatalog.create(), "lazy");
        GanModel l = new GanModel(lazy, lazy.datasetComponent().open(lazy.dataset().options()));
        RunSpec.RegularizerChoice r1 = lazy.regularizers().get(0);
        assertEquals(16.0, l.termWeight(r1, 0, 0), 1e-12);
        assertEquals(0.0, l.termWeight(r1, 5, 5), 1e-12);
        assertEquals(16.0, l.termWeight(r1, 32, 32), 1e-12);
    }
}
