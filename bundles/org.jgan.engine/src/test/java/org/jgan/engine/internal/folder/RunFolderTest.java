package org.jgan.engine.internal.folder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run folder's config.json gives back the run's configuration, so earlier runs can be explored. */
class RunFolderTest {

    @Test
    void configJsonRoundTripsTheResolvedConfiguration(@TempDir Path dir) throws IOException {
        RunSpec spec = RunSpec.parse(Map.of("dataset", "ring8", "regularizers", "r1", "regularizer.r1.every", "4",
                "lrD", "3e-4", "name", "old-run"), TestCatalog.create(), "x");
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("run", spec.name());
        doc.put("config", spec.resolved());
        doc.put("parameters", Map.of("generator", 10, "discriminator", 20));
        Path runDir = dir.resolve("old");
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("config.json"), Json.write(doc));
        RunSpec back = RunFolder.spec(runDir, TestCatalog.create());
        Map<String, String> expected = new HashMap<>(spec.resolved());
        expected.put("outputDir", runDir.toString());
        assertEquals(expected, back.resolved());
        assertEquals("old-run", back.name());
        assertEquals(runDir, RunFolder.find(runDir.toString()));
        assertNull(RunFolder.find(dir.resolve("missing").toString()));
    }

    @Test
    void aBrokenConfigJsonIsNamed(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"config\": {\"dataset\": \"ring8\"");
        IOException e = assertThrows(IOException.class, () -> RunFolder.spec(dir, TestCatalog.create()));
        assertTrue(e.getMessage().contains("config.json: malformed JSON: End of input at line 1 column 31")
                && e.getMessage().contains("expected a jgan run's config.json"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"run\": \"x\"}");
        e = assertThrows(IOException.class, () -> RunFolder.spec(dir, TestCatalog.create()));
        assertTrue(e.getMessage().endsWith("has no \"config\" object; expected a jgan run's config.json"), e.getMessage());
    }

    @Test
    void jsonReadsWhatItWrites() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("s", "tab\there \"q\" \\ \u0001");
        doc.put("n", 2.5);
        doc.put("list", List.of("a", 1.0, true));
        doc.put("empty", Map.of());
        doc.put("none", null);
        assertEquals(doc, Json.read(Json.write(doc)));
        // read strictly (Gson's lenient mode would take "[1, ]" as [1, null]), named in one line
        for (String bad : List.of("[1, ]", "{\"a\": 1} x", "{a: 1}", "")) {
            String message = assertThrows(IllegalArgumentException.class, () -> Json.read(bad)).getMessage();
            assertTrue(message.startsWith("malformed JSON: "), bad + ": " + message);
        }
        // every digit a double has (the hand-written writer kept 6 significant digits)
        assertEquals(List.of(0.1234567890123, 1.0E-4, 0.10000000149011612),
                ((Map<?, ?>) Json.read(Json.write(Map.of("x", List.of(0.1234567890123, 1e-4, (double) 0.1f)))))
                        .get("x"));
        assertEquals("{\n  \"f\": 0.3,\n  \"nan\": null\n}\n", Json.write(new java.util.TreeMap<>(
                Map.of("f", 0.3f, "nan", Double.NaN))));
    }
}
