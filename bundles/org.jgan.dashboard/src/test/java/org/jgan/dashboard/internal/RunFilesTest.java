package org.jgan.dashboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files of a run folder by name only: nothing outside the folder, nothing but the logs, documents and samples. */
class RunFilesTest {

    @Test
    void namedFilesOfTheFolderAndItsSamplesAreServedAndNothingElse(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("runs/r1"));
        Files.createDirectories(run.resolve("samples"));
        Files.createDirectories(run.resolve("checkpoints"));
        Files.writeString(run.resolve("config.json"), "{}");
        Files.writeString(run.resolve(".lock"), "pid 1");
        Files.writeString(run.resolve("checkpoints/checkpoint.zip"), "weights");
        Files.writeString(run.resolve("samples/iter-0000100-samples.png"), "png");
        Files.writeString(run.resolve("samples/iter-0000200-scatter.png"), "png");
        Files.writeString(run.resolve("samples/iter-0000200-samples.csv"), "1,2");
        Files.createDirectories(run.resolve("explore"));
        Files.createDirectories(run.resolve("eval"));
        Files.writeString(run.resolve("explore/samples-64-seed3.png"), "png");
        Files.writeString(run.resolve("explore/notes.txt"), "text");
        Files.writeString(run.resolve("eval/evaluation-100.json"), "{}");
        Files.writeString(dir.resolve("secret.txt"), "root:x:0:0");
        Files.writeString(dir.resolve("runs/config.json"), "{}");

        assertEquals(run.resolve("config.json").toRealPath(), RunFiles.resolve(run, "config.json"));
        assertEquals(run.resolve("samples/iter-0000100-samples.png").toRealPath(),
                RunFiles.resolve(run, "samples/iter-0000100-samples.png"));
        assertEquals(run.resolve("explore/samples-64-seed3.png").toRealPath(),
                RunFiles.resolve(run, "explore/samples-64-seed3.png"));
        assertEquals(run.resolve("eval/evaluation-100.json").toRealPath(), RunFiles.resolve(run, "eval/evaluation-100.json"));
        for (String bad : List.of("../secret.txt", "../config.json", "/etc/passwd", "samples/../config.json",
                "samples/../../secret.txt", "samples/..%2fconfig.json", ".lock", "checkpoints/checkpoint.zip",
                "losses.csv" /* listed but absent */, "config.json/", "CONFIG.JSON", "samples/", "samples/x.png",
                "", "samples/iter-0000100-samples.png/..", "explore/notes.txt", "explore/../config.json",
                "eval/../../secret.txt", "explore/.hidden.png", "checkpoints/x.png")) {
            assertNull(RunFiles.resolve(run, bad), bad);
        }
        assertEquals(List.of("samples/iter-0000100-samples.png", "samples/iter-0000200-scatter.png"),
                RunFiles.samples(run), "the images, oldest first");
    }

    @Test
    void earlierEvaluationsAndExplorationsAreListedByName(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        assertEquals(List.of(), RunFiles.evaluations(run), "no eval/ folder yet");
        Files.createDirectories(run.resolve("eval"));
        Files.createDirectories(run.resolve("explore/sub"));
        Files.writeString(run.resolve("eval/evaluation-iter-0012000.txt"), "FD 12");
        Files.writeString(run.resolve("eval/evaluation-iter-0002000.txt"), "FD 20");
        Files.writeString(run.resolve("eval/evaluation-iter-0002000.json"), "{}");
        Files.writeString(run.resolve("eval/.hidden.txt"), "x");
        Files.writeString(run.resolve("explore/mixing-layer4-seed1-5.png"), "png");
        Files.writeString(run.resolve("explore/notes.txt"), "text");
        Files.createSymbolicLink(run.resolve("explore/link.png"), Files.writeString(dir.resolve("outside.png"), "x"));
        assertEquals(List.of("eval/evaluation-iter-0002000.txt", "eval/evaluation-iter-0012000.txt"),
                RunFiles.evaluations(run), "the readable results, oldest iteration first");
        assertEquals(List.of("explore/mixing-layer4-seed1-5.png"), RunFiles.explorations(run),
                "the grids; no link, folder or other file");
        for (String name : RunFiles.evaluations(run)) {
            assertEquals(run.resolve(name).toRealPath(), RunFiles.resolve(run, name), "a listed name is served: " + name);
        }
    }

    @Test
    void aLinkOutOfTheFolderIsNotFollowed(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(run.resolve("samples"));
        Path secret = Files.writeString(dir.resolve("secret.txt"), "root:x:0:0");
        Files.createSymbolicLink(run.resolve("history.csv"), secret);
        Files.createSymbolicLink(run.resolve("samples/iter-0000001-samples.png"), secret);
        assertNull(RunFiles.resolve(run, "history.csv"));
        assertNull(RunFiles.resolve(run, "samples/iter-0000001-samples.png"));
    }

    @Test
    void runIdsInAPathArePlainNames() {
        for (String ok : List.of("r1", "roth-5.1-s3", "a_b")) {
            assertEquals(true, RunFiles.plainName(ok), ok);
        }
        for (String bad : List.of("..", ".hidden", "a/b", "", "a b", "%2e%2e")) {
            assertEquals(false, RunFiles.plainName(bad), bad);
        }
    }
}
