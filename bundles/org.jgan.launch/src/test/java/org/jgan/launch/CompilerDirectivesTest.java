package org.jgan.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CompilerDirectives} in JVMs of their own, started as runtime/jgan starts the runtime's (with and without the
 * package opened): what HotSpot holds afterwards is read back through the public route, the platform MBean server's
 * {@code DiagnosticCommand} MBean ({@code compilerDirectivesPrint}), and the JVM's own standard output and error are
 * read at the file descriptors, where HotSpot's {@code -XX:CompilerDirectivesFile} prints its line.
 */
class CompilerDirectivesTest {

    private static final String OPENS = "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED";
    private static final String MARK = "--- directives ---";

    @TempDir
    Path dir;

    /** The child JVM: the activator's start as bnd's launcher calls it, then HotSpot's directives stack. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            new CompilerDirectives().start(null);
            System.out.println(MARK);
            Object print = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesPrint",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            System.out.println(print);
        }
    }

    private record Run(int status, String out, String err) {
        /** What the child printed before the directives stack. */
        String before() {
            int at = out.indexOf(MARK);
            return at < 0 ? out : out.substring(0, at);
        }

        String directives() {
            int at = out.indexOf(MARK);
            return at < 0 ? "" : out.substring(at + MARK.length());
        }

        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
        }
    }

    private Run child(String... jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the child JVM did not end within 120 s: " + command + "\n--- stdout:\n" + Files.readString(out)
                    + "\n--- stderr:\n" + Files.readString(err));
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** The block of HotSpot's directives print whose patterns ("matching: a, b") include {@code pattern}, or null. */
    private static String block(String directives, String pattern) {
        for (String block : directives.split("Directive:")) {
            for (String line : block.split("\n")) {
                if (line.strip().startsWith("matching: ")
                        && List.of(line.strip().substring("matching: ".length()).split(", ")).contains(pattern)) {
                    return block;
                }
            }
        }
        return null;
    }

    /** The flags line of the c1 or c2 section of a directive's block ("Enable:true Exclude:false ..."). */
    private static String flags(String block, String compiler) {
        String[] lines = block.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].strip().equals(compiler + " directives:")) {
                for (int j = i + 1; j < lines.length; j++) {
                    if (lines[j].contains("Exclude:")) {
                        return " " + lines[j].strip() + " ";
                    }
                }
            }
        }
        return "";
    }

    @Test
    void theStartLeavesTheFrameworkAndTheJdksAsmToC1WithoutALine() throws Exception {
        Run run = child(OPENS);
        assertEquals(0, run.status(), run::toString);
        assertEquals("", run.before(), "nothing on standard output before the directives are read back\n" + run);
        assertEquals("", run.err(), "nothing on standard error\n" + run);
        for (String pattern : List.of("org/apache/felix/*.*", "jdk/internal/org/objectweb/asm/*.*")) {
            String block = block(run.directives(), pattern);
            assertTrue(block != null, pattern + " among HotSpot's directives\n" + run);
            assertTrue(flags(block, "c2").contains(" Exclude:true "), pattern + ": C2 excluded\n" + block);
            assertTrue(flags(block, "c1").contains(" Exclude:false "), pattern + ": C1 not excluded\n" + block);
        }
        String fallback = block(run.directives(), "*.*");
        assertTrue(fallback != null && flags(fallback, "c2").contains(" Exclude:false "),
                "every other method as before: C2 allowed\n" + run);
    }

    @Test
    void withoutThePackageOpenedTheStartGoesOnQuietlyAndAddsNothing() throws Exception {
        Run run = child();
        assertEquals(0, run.status(), run::toString);
        assertEquals("", run.before(), run::toString);
        assertEquals("", run.err(), run::toString);
        assertFalse(run.directives().contains("org/apache/felix"), run::toString);
        assertTrue(run.directives().contains("matching: *.*"), "the directives were read back\n" + run);

        Run debug = child("-Djgan.debug=true");
        assertEquals(0, debug.status(), debug::toString);
        List<String> lines = debug.err().lines().toList();
        assertEquals(1, lines.size(), "one line with -Djgan.debug=true\n" + debug);
        assertTrue(lines.get(0).startsWith("jgan: compiler directives not added (")
                && lines.get(0).contains("--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"),
                debug::toString);
    }

    @Test
    void aFileThatHotSpotCannotReadIsOneLineAndTheStartGoesOn() throws Exception {
        Path missing = dir.resolve("no such directives.json");
        Run run = child(OPENS, "-D" + CompilerDirectives.PROPERTY + "=" + missing);
        assertEquals(0, run.status(), run::toString);
        assertEquals("", run.before(), run::toString);
        assertEquals(List.of("jgan: " + CompilerDirectives.PROPERTY + "=" + missing + ": Could not load file: "
                + missing + "; expected a file of HotSpot compiler directives; starting without them"),
                run.err().lines().toList(), run::toString);
        assertFalse(run.directives().contains("org/apache/felix"), run::toString);
        assertTrue(run.directives().contains("matching: *.*"), run::toString);
    }

    @Test
    void aFileOfTheUsersOwnIsAddedInsteadAndOffAddsNone() throws Exception {
        Path own = dir.resolve("my directives.json");
        Files.writeString(own, "[ { match: [\"org/example/*.*\"], c1: { Exclude: true } } ]\n");
        Run run = child(OPENS, "-D" + CompilerDirectives.PROPERTY + "=" + own);
        assertEquals(0, run.status(), run::toString);
        assertEquals("", run.before(), run::toString);
        assertEquals("", run.err(), run::toString);
        String block = block(run.directives(), "org/example/*.*");
        assertTrue(block != null && flags(block, "c1").contains(" Exclude:true "), run::toString);
        assertFalse(run.directives().contains("org/apache/felix"), "the file in place of the jar's\n" + run);

        Run off = child(OPENS, "-D" + CompilerDirectives.PROPERTY + "=off");
        assertEquals(0, off.status(), off::toString);
        assertEquals("", off.before() + off.err(), off::toString);
        assertFalse(off.directives().contains("org/apache/felix"), off::toString);
        assertTrue(off.directives().contains("matching: *.*"), off::toString);
    }
}
