package org.jgan.engine.internal.catalog;

import java.util.Locale;
import org.jgan.api.AdversarialLoss;
import org.jgan.api.Architecture;
import org.jgan.api.Dataset;
import org.jgan.api.FeatureExtractor;
import org.jgan.api.GanComponent;
import org.jgan.api.GradientPenalty;
import org.jgan.api.InputTransform;
import org.jgan.api.Metric;
import org.jgan.api.Model;
import org.jgan.api.ParameterConstraint;
import org.jgan.api.Preset;
import org.jgan.api.Regularizer;
import org.jgan.api.Reparametrization;

/** The kinds of plug-in components, with the service interface of each. */
public enum Kind {
    ARCHITECTURE(Architecture.class),
    LOSS(AdversarialLoss.class),
    REGULARIZER(Regularizer.class),
    PENALTY(GradientPenalty.class),
    CONSTRAINT(ParameterConstraint.class),
    REPARAMETRIZATION(Reparametrization.class),
    INPUT_TRANSFORM(InputTransform.class),
    DATASET(Dataset.class),
    METRIC(Metric.class),
    FEATURE_EXTRACTOR(FeatureExtractor.class),
    MODEL(Model.class),
    PRESET(Preset.class);

    final Class<? extends GanComponent> type;

    Kind(Class<? extends GanComponent> type) {
        this.type = type;
    }

    /** Lower-case name used in messages and the shell, e.g. {@code loss}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** True for the kinds a run lists under {@code regularizers=}. */
    public boolean isRegularization() {
        return this == REGULARIZER || this == PENALTY || this == CONSTRAINT || this == REPARAMETRIZATION
                || this == INPUT_TRANSFORM;
    }
}
