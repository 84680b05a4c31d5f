package org.jgan.engine.internal.folder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {

    private static long leftovers(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    @Test
    void aFailedWriteKeepsThePreviousVersionRemovesItsTemporaryAndNamesTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        AtomicFile.write(f, "{\"v\": 1}\n");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(f, out -> {
            out.write("{\"v\": 2".getBytes());
            throw new IOException("No space left on device");
        }));
        assertEquals("could not write " + f + ": No space left on device; its previous version is kept", e.getMessage());
        assertEquals("{\"v\": 1}\n", Files.readString(f));
        assertEquals(0, leftovers(dir), "temporary files left behind");
    }

    @Test
    void leftoversOfAnEndedWriterAreRemoved(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("status.json.4242.tmp"), "{\"sta");
        Files.writeString(dir.resolve("status.json"), "{}");
        AtomicFile.removeLeftovers(dir);
        assertEquals(0, leftovers(dir));
        assertTrue(Files.exists(dir.resolve("status.json")));
    }

    @Test
    void stateFilesKeepRoomForTheirLastVersion(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("status.json");
        AtomicFile.writeReserving(f, "{\"state\": \"RUNNING\"}\n");
        assertEquals(AtomicFile.RESERVE, Files.size(f));
        assertEquals(Map.of("state", "RUNNING"), Json.read(Files.readString(f)));
        assertTrue(Files.readString(f).endsWith(" \n"));
    }
}
