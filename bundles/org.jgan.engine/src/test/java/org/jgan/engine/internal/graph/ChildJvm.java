package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test's main class in a JVM of its own, on this JVM's class path and with its JavaCPP platform extension and
 * cache folder: for what a process does once (oneDNN reads its instruction set limit once, a library loads once).
 */
final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * The child's output (standard output and error) once it has exited with 0; an assertion error with what it
     * printed when it exits otherwise or runs past {@code seconds}.
     *
     * @param env environment variables to set, or to remove where the value is null
     * @param what how the failure messages name the child
     */
    static String run(Class<?> main, Map<String, String> env, String what, int seconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), "-Xmx1g"));
        for (String p : List.of("org.bytedeco.javacpp.platform.extension", "org.bytedeco.javacpp.cachedir")) {
            if (System.getProperty(p) != null) {
                command.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        command.add(main.getName());
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        env.forEach((k, v) -> {
            if (v == null) {
                b.environment().remove(k);
            } else {
                b.environment().put(k, v);
            }
        });
        // its output to a file, so that a full pipe cannot stall it
        Path log = Files.createTempFile("jgan-child-", ".log");
        try {
            Process p = b.redirectOutput(log.toFile()).start();
            boolean ended = p.waitFor(seconds, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (!ended) {
                throw new AssertionError(what + " ran past " + seconds + " s; it printed: " + out);
            }
            assertEquals(0, p.exitValue(), what + "'s exit: " + out);
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
