package org.jgan.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Decodes a TensorBoard event file with {@code src/test/python/read_events.py}: Debian's python3-protobuf and a
 * CRC-32C of its own, nothing shared with the writer. When python3-protobuf is missing it is installed with
 * {@code apt-get} (as root, as the sweep test installs Slurm); where it cannot be, the calling test is skipped,
 * except under {@code CI=true}, where that fails.
 */
public final class TfEventReader {

    /** One decoded line: kind (version, session, scalar, image), step, tag and the rest of the fields. */
    public record Item(String kind, long step, String tag, String[] fields) {

        public double value() {
            return Double.parseDouble(fields[0]);
        }
    }

    private TfEventReader() {
    }

    public static List<Item> read(Path eventFile) throws IOException, InterruptedException {
        String python = "/usr/bin/python3";
        if (!hasProtobuf(python) && Files.isExecutable(Path.of("/usr/bin/apt-get"))
                && "root".equals(System.getProperty("user.name"))) {
            // the lock timeout: the other test JVM (surefire runs two) may be installing it at the same moment
            List<String> install = List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install", "-y", "-q",
                    "python3-protobuf");
            if (run(install).exit != 0) {
                run(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "update", "-q"));
                run(install);
            }
        }
        if (!hasProtobuf(python)) {
            String why = "no /usr/bin/python3 with google.protobuf, and apt-get could not install python3-protobuf";
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        Result r = run(List.of(python, "src/test/python/read_events.py", eventFile.toString()));
        assertEquals(0, r.exit, "read_events.py on " + eventFile + ": " + r.err);
        List<Item> items = new ArrayList<>();
        for (String line : r.out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            switch (f[0]) {
                case "version" -> items.add(new Item("version", 0, f[1], new String[0]));
                case "session" -> items.add(new Item("session", Long.parseLong(f[1]), "", new String[] {f[2]}));
                case "scalar", "image" -> items.add(new Item(f[0], Long.parseLong(f[1]), f[2],
                        java.util.Arrays.copyOfRange(f, 3, f.length)));
                default -> fail("unexpected line from read_events.py: " + line);
            }
        }
        assertTrue(!items.isEmpty() && items.get(0).kind().equals("version"), "the file starts with its version");
        return items;
    }

    private static boolean hasProtobuf(String python) throws IOException, InterruptedException {
        return Files.exists(Path.of(python)) && run(List.of(python, "-c", "import google.protobuf")).exit == 0;
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("jgan-events-", ".out");
        Path err = Files.createTempFile("jgan-events-", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not end in 300 s; output so far: " + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
