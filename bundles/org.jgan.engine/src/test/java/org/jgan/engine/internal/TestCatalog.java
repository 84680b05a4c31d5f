package org.jgan.engine.internal;

import org.jgan.datasets.mixture.internal.GridDataset;
import org.jgan.datasets.mixture.internal.RingDataset;
import org.jgan.datasets.mixture.internal.SubmanifoldDataset;
import org.jgan.losses.internal.MinimaxLoss;
import org.jgan.losses.internal.NonSaturatingLoss;
import org.jgan.metrics.mixture.internal.MixtureMetric;
import org.jgan.mlp.internal.MlpArchitecture;

/** A catalog holding the first plug-ins, as the service registry would. */
final class TestCatalog {

    private TestCatalog() {
    }

    static ComponentCatalog create() {
        ComponentCatalog c = new ComponentCatalog();
        c.add(Kind.ARCHITECTURE, "mlp", new MlpArchitecture(), "org.jgan.mlp", "0");
        c.add(Kind.LOSS, "nonsaturating", new NonSaturatingLoss(), "org.jgan.losses", "0");
        c.add(Kind.LOSS, "minimax", new MinimaxLoss(), "org.jgan.losses", "0");
        c.add(Kind.DATASET, "ring8", new RingDataset(), "org.jgan.datasets.mixture", "0");
        c.add(Kind.DATASET, "grid25", new GridDataset(), "org.jgan.datasets.mixture", "0");
        c.add(Kind.DATASET, "submanifold7", new SubmanifoldDataset(), "org.jgan.datasets.mixture", "0");
        c.add(Kind.METRIC, "mixture", new MixtureMetric(), "org.jgan.metrics.mixture", "0");
        return c;
    }
}
