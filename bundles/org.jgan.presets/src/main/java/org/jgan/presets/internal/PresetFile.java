package org.jgan.presets.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.jgan.api.Preset;

/**
 * A preset read from a data file {@code presets/NAME.cfg}: lines {@code key = value} in the format of
 * {@link Properties} (UTF-8), the same keys as a run configuration, plus {@code description}; comments
 * ({@code #}) say where the recipe comes from. The file's name is the preset's name.
 *
 * @param name        the preset's name (the file name without {@code .cfg})
 * @param description one line for the shell's listing
 * @param settings    the run settings the preset stands for
 */
public record PresetFile(String name, String description, Map<String, String> settings) implements Preset {

    /** The key of the description line; every other key is a run setting. */
    static final String DESCRIPTION = "description";

    public PresetFile {
        settings = Map.copyOf(settings);
    }

    /**
     * Reads a preset file.
     *
     * @param file what to name the file in messages
     * @throws IllegalArgumentException naming the file and what is wrong: no description, no settings, an empty key
     *                                  or value, or text that is not a properties file
     */
    public static PresetFile read(String name, String file, InputStream in) throws IOException {
        Properties p = new Properties();
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("preset file " + file + ": " + e.getMessage()
                    + "; expected lines key = value");
        }
        Map<String, String> settings = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            String value = p.getProperty(key).trim();
            if (key.isBlank() || value.isEmpty()) {
                throw new IllegalArgumentException("preset file " + file + ": setting '" + key + "' has no value; "
                        + "expected key = value");
            }
            settings.put(key, value);
        }
        String description = settings.remove(DESCRIPTION);
        if (description == null) {
            throw new IllegalArgumentException("preset file " + file + " has no description line; expected "
                    + "'description = one line for the listing'");
        }
        if (settings.isEmpty()) {
            throw new IllegalArgumentException("preset file " + file + " has no settings; expected lines "
                    + "key = value of a run configuration");
        }
        return new PresetFile(name, description, settings);
    }
}
