package org.jgan.api;

import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A named run recipe: run configuration keys and values (for example a paper's hyperparameters). Values given when
 * starting a run override the preset's. Registered with {@value GanComponent#NAME}.
 */
@ConsumerType
public interface Preset extends GanComponent {

    /** Run configuration keys and values. */
    Map<String, String> settings();
}
