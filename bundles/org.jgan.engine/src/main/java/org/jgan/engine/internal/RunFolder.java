package org.jgan.engine.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run known only by its output folder (for example one trained by an earlier runtime): its configuration as the
 * folder's {@code config.json} recorded it, parsed again against the installed components.
 */
final class RunFolder {

    private RunFolder() {
    }

    /** The folder of run {@code id}: {@code id} itself when it is a run folder, else {@code runs/<id>}; or null. */
    static Path find(String id) {
        for (Path dir : new Path[] {Path.of(id), Path.of("runs", id)}) {
            if (Files.isRegularFile(dir.resolve("config.json"))) {
                return dir;
            }
        }
        return null;
    }

    static RunSpec spec(Path dir, ComponentCatalog catalog) throws IOException {
        Path file = dir.resolve("config.json");
        Object doc;
        try {
            doc = Json.read(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage() + "; expected a jgan run's config.json", e);
        }
        if (!(doc instanceof Map<?, ?> top) || !(top.get("config") instanceof Map<?, ?> config)) {
            throw new IOException(file + " has no \"config\" object; expected a jgan run's config.json");
        }
        Map<String, String> raw = new LinkedHashMap<>();
        config.forEach((k, v) -> raw.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        // the folder is where the run is now, wherever it was written
        raw.put("outputDir", dir.toString());
        return RunSpec.parse(raw, catalog, dir.getFileName().toString());
    }
}
