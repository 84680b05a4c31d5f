package org.jgan.presets.internal;

import java.util.Map;
import org.jgan.api.Preset;

/** A preset that is a fixed map of settings with a description. */
abstract class RecipePreset implements Preset {

    private final String description;
    private final Map<String, String> settings;

    RecipePreset(String description, Map<String, String> settings) {
        this.description = description;
        this.settings = Map.copyOf(settings);
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Map<String, String> settings() {
        return settings;
    }
}
