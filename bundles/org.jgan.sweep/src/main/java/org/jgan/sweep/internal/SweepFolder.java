package org.jgan.sweep.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A sweep's folder, {@code sweeps/<name>} beside {@code runs/} in the folder the sweep was started from (the
 * working folder; on a cluster, one the nodes share):
 *
 * <pre>
 * spec.json      the specification as launched (tasks read their evaluation from it)
 * manifest.tsv   one line per run: index, name, then [preset] key=value ... separated by tabs
 * logs/task-I.log  the console of the task that trained run I (appended by every attempt)
 * slurm/array.sh   the job script of a Slurm submission; slurm/jobs: one line per submission (job id, time, indices)
 * table.md, table.csv, table.json   written by gan:sweep table
 * </pre>
 *
 * The runs themselves train in {@code runs/<run name>} of the working folder, as any run.
 */
public record SweepFolder(Path work, Path dir) {

    public static SweepFolder of(Path work, String name) {
        return new SweepFolder(work, work.resolve("sweeps").resolve(name));
    }

    /** The folder relative to the working folder, as tasks name it: {@code sweeps/<name>} (names have no spaces). */
    public String relativeDir() {
        return work.relativize(dir).toString();
    }

    public Path spec() {
        return dir.resolve("spec.json");
    }

    public Path manifest() {
        return dir.resolve("manifest.tsv");
    }

    public Path log(int index) {
        return dir.resolve("logs").resolve("task-" + index + ".log");
    }

    /** One line per cross-test: index, run A, run B. */
    public Path crossTests() {
        return dir.resolve("crosstests.tsv");
    }

    public Path crossTestLog(int index) {
        return dir.resolve("logs").resolve("crosstest-" + index + ".log");
    }

    public Path slurm() {
        return dir.resolve("slurm");
    }

    public Path run(String name) {
        return work.resolve("runs").resolve(name);
    }

    /**
     * Writes the spec as launched, the manifest and the cross-tests (each replaced whole, never left half-written).
     */
    public void write(String specText, List<SweepRun> runs, List<CrossPair> crossTests) throws IOException {
        Files.createDirectories(dir.resolve("logs"));
        replace(spec(), specText);
        StringBuilder sb = new StringBuilder();
        runs.forEach(r -> sb.append(r.manifestLine()).append('\n'));
        replace(manifest(), sb.toString());
        if (!crossTests.isEmpty()) {
            StringBuilder c = new StringBuilder();
            crossTests.forEach(p -> c.append(p.manifestLine()).append('\n'));
            replace(crossTests(), c.toString());
        }
    }

    /** Line {@code index} of crosstests.tsv: the names of runs A and B. */
    public List<String> crossTest(int index) throws IOException {
        List<String> lines = Files.exists(crossTests()) ? Files.readAllLines(crossTests(), StandardCharsets.UTF_8)
                : List.of();
        if (index < 0 || index >= lines.size()) {
            throw new IllegalArgumentException("sweep " + dir + ": no cross-test " + index + " in " + crossTests());
        }
        String[] f = lines.get(index).split("\t");
        if (f.length != 3 || !f[0].equals(Integer.toString(index))) {
            throw new IllegalArgumentException("sweep " + dir + ": line " + (index + 1) + " of " + crossTests()
                    + " is not 'index<TAB>run A<TAB>run B'");
        }
        return List.of(f[1], f[2]);
    }

    /** Manifest line {@code index}: its run's name and arguments. */
    public Entry entry(int index) throws IOException {
        List<String> lines = Files.readAllLines(manifest(), StandardCharsets.UTF_8);
        if (index < 0 || index >= lines.size()) {
            throw new IllegalArgumentException("sweep " + dir + ": no run " + index + " in " + manifest() + "; expected 0 to "
                    + (lines.size() - 1));
        }
        String[] f = lines.get(index).split("\t");
        if (f.length < 2 || !f[0].equals(Integer.toString(index))) {
            throw new IllegalArgumentException("sweep " + dir + ": line " + (index + 1) + " of " + manifest()
                    + " is not 'index<TAB>name<TAB>arguments'");
        }
        return new Entry(index, f[1], new ArrayList<>(Arrays.asList(f).subList(2, f.length)));
    }

    /** A manifest line: the run's index, name and [preset] key=value arguments. */
    public record Entry(int index, String name, List<String> arguments) {
    }

    static void replace(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void append(Path file, String line) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
