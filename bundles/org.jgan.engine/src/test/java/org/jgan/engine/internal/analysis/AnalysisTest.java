package org.jgan.engine.internal.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.RunFolder;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The latent grids of a run that generates points, not images: one clear line, not ND4J's shape error. */
class AnalysisTest {

    @Test
    void gridsOfAPointRunAreRefusedWithTheReason(@TempDir Path dir) throws Exception {
        ComponentCatalog catalog = TestCatalog.create();
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", "8",
                "outputDir", dir.toString()));
        RunSpec spec = RunSpec.parse(raw, catalog, "points");
        DataSource data = spec.datasetComponent().open(spec.dataset().options());
        GanModel m = new GanModel(spec, data);
        m.discriminatorStep(0, 0);
        m.generatorStep(0);
        var c = m.checkpoint(1);
        c.write(new RunFolder(dir).checkpoints());
        c.free();
        m.close();
        Analysis analysis = new Analysis(catalog, id -> spec);
        for (Runnable grid : new Runnable[] {() -> analysis.sample("points", 16, null),
                () -> analysis.interpolate("points", 2, 4, null, false),
                () -> analysis.arithmetic("points", "1 - 2 + 3", null, 1, 0)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, grid::run);
            assertEquals("run 'points' generates points of shape [2], not images; sample, interpolation and arithmetic "
                    + "grids are for image runs (its samples are plotted in samples/iter-*-scatter.png when the "
                    + "mixture metric runs)", e.getMessage());
        }
    }
}
