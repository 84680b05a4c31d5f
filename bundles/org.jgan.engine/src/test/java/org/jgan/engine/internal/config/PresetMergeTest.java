package org.jgan.engine.internal.config;

import java.util.Map;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PresetMergeTest {

    private static final Map<String, String> ROTH = Map.of("loss", "fgan", "loss.divergence", "kl",
            "regularizers", "roth,clip", "regularizer.roth.gamma", "2", "regularizer.clip.c", "0.1", "lrD", "2e-4");

    @Test
    void optionsOfReplacedComponentsAreDropped() {
        assertEquals(Map.of("loss", "fgan", "loss.divergence", "kl", "regularizers", "roth,clip",
                "regularizer.clip.c", "0.1", "lrD", "2e-4"),
                PresetMerge.withoutReplacedOptions(ROTH, Map.of("regularizers", "clip")));
        assertEquals(Map.of("loss", "fgan", "regularizers", "roth,clip", "regularizer.roth.gamma", "2",
                "regularizer.clip.c", "0.1", "lrD", "2e-4"),
                PresetMerge.withoutReplacedOptions(ROTH, Map.of("loss", "hinge")));
    }

    @Test
    void unchangedChoicesKeepTheirOptions() {
        assertEquals(ROTH, PresetMerge.withoutReplacedOptions(ROTH, Map.of("loss", "fgan", "lrD", "1e-4")));
        assertEquals(ROTH, PresetMerge.withoutReplacedOptions(ROTH, Map.of()));
    }
}
