package org.jgan.sweep.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A sweep read from its specification file: its runs, their validation, status and table. The launchers take it
 * from here ({@link LocalLauncher}, {@link SlurmLauncher}).
 *
 * @param text the file's text, as the sweep's folder keeps it
 */
public record Sweep(Path file, String text, SweepSpec spec, List<SweepRun> runs, List<CrossPair> crossTests,
        SweepFolder folder) {

    /** The marker below which a results file is written by hand (the results files of docs/results carry it). */
    static final String NOTES_MARK =
            "<!-- Written by hand below this line; the experiment scripts keep it when they rewrite the tables above. -->";

    /**
     * Reads and expands {@code file}; the sweep's folder is {@code sweeps/<name>} under {@code work}.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static Sweep load(Path file, Path work) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("sweep spec " + file + ": no such file; expected a JSON sweep "
                    + "specification (see docs/sweeps.md)");
        }
        SweepSpec spec = SweepSpec.parse(text, file.toString());
        List<SweepRun> runs = SweepRun.expand(spec, file.toString());
        return new Sweep(file, text, spec, runs, CrossPair.of(spec, runs), SweepFolder.of(work, spec.name()));
    }

    /** Writes the sweep's folder: the spec as launched, the manifest, the cross-tests. */
    public void write() throws IOException {
        folder.write(text, runs, crossTests);
    }

    /** The cross-tests without a result, or with one older than either run's status (a run trained again). */
    public List<CrossPair> crossTestsToDo() {
        return crossTests.stream().filter(p -> !current(p)).toList();
    }

    private boolean current(CrossPair p) {
        try {
            var result = Files.getLastModifiedTime(p.result(folder));
            for (SweepRun r : List.of(p.a(), p.b())) {
                Path status = folder.run(r.name()).resolve("status.json");
                if (Files.exists(status) && Files.getLastModifiedTime(status).compareTo(result) > 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException noResult) {
            return false;
        }
    }

    /**
     * Checks every run's configuration with {@code validate} (the engine's {@code gan:validate}) before anything
     * runs.
     *
     * @throws IllegalArgumentException naming the first run refused and the engine's reason
     */
    public void validate(BiFunction<String, Map<String, String>, Map<String, String>> validate) {
        for (SweepRun r : runs) {
            try {
                validate.apply(r.preset(), r.settings());
            } catch (IllegalArgumentException e) {
                // the engine's words first: the headless runner retries an "unknown ... installed: ..." while plug-ins
                // are still registering
                throw new IllegalArgumentException(e.getMessage() + " (sweep " + spec.name() + ", run " + r.name() + " "
                        + r.labels() + "; nothing was started)");
            }
        }
    }

    /** The runs still to train or evaluate, in manifest order; those another process is training are left out. */
    public List<SweepRun> toDo() {
        List<SweepRun> out = new ArrayList<>();
        for (SweepRun r : runs) {
            Path dir = folder.run(r.name());
            RunState s = RunState.of(dir);
            boolean evaluated = spec.evaluate() == null || RunState.evaluatedAt(dir, s.iteration());
            if (s.phase() != RunState.Phase.RUNNING && (s.phase() != RunState.Phase.COMPLETED || !evaluated)) {
                out.add(r);
            }
        }
        return out;
    }

    /** One line per run (index, name, state, iteration, error), then the count of each state and the Slurm jobs. */
    public String status() throws IOException {
        StringBuilder sb = new StringBuilder();
        Map<RunState.Phase, Integer> counts = new EnumMap<>(RunState.Phase.class);
        int width = runs.stream().mapToInt(r -> r.name().length()).max().orElse(4);
        for (SweepRun r : runs) {
            RunState s = RunState.of(folder.run(r.name()));
            counts.merge(s.phase(), 1, Integer::sum);
            String phase = s.phase().name().toLowerCase(Locale.ROOT);
            sb.append(String.format(Locale.ROOT, "%4d  %-" + width + "s  %-11s", r.index(), r.name(), phase));
            if (s.iterations() > 0) {
                sb.append(" it ").append(s.iteration()).append('/').append(s.iterations());
            }
            if (s.phase() == RunState.Phase.FAILED) {
                sb.append("  ").append(s.error());
            } else if (s.phase() == RunState.Phase.PENDING && Files.exists(folder.log(r.index()))) {
                sb.append("  last attempt: ").append(LocalLauncher.lastError(folder.log(r.index()), s));
            }
            sb.setLength(sb.toString().stripTrailing().length());
            sb.append('\n');
        }
        for (CrossPair p : crossTests) {
            boolean done = current(p);
            sb.append(String.format(Locale.ROOT, "  c%d  cross-test %s vs %s: %s%n", p.index(), p.a().name(),
                    p.b().name(), done ? "done" : "pending"));
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((p, n) -> parts.add(n + " " + p.name().toLowerCase(Locale.ROOT)));
        if (!crossTests.isEmpty()) {
            parts.add((crossTests.size() - crossTestsToDo().size()) + " of " + crossTests.size() + " cross-tests done");
        }
        sb.append("sweep ").append(spec.name()).append(": ").append(runs.size()).append(" runs: ")
                .append(String.join(", ", parts));
        Path jobs = folder.slurm().resolve("jobs");
        if (Files.exists(jobs)) {
            List<String> lines = Files.readAllLines(jobs);
            sb.append("; Slurm job arrays ").append(String.join(", ", lines.stream()
                    .map(l -> l.split("\t")[0]).toList()));
        }
        return sb.append('\n').toString();
    }

    /**
     * Writes table.md, table.csv and table.json in the sweep's folder, and the spec's results file when it names
     * one (the text below its marker kept).
     *
     * @return the Markdown table and where it was written
     */
    public String table() throws IOException {
        SweepTable t = SweepTable.of(spec, runs, crossTests, folder);
        Files.createDirectories(folder.dir());
        String md = t.markdown();
        SweepFolder.replace(folder.dir().resolve("table.md"), md);
        SweepFolder.replace(folder.dir().resolve("table.csv"), t.csv());
        SweepFolder.replace(folder.dir().resolve("table.json"), t.json());
        StringBuilder sb = new StringBuilder(md);
        sb.append("\nwritten: ").append(folder.dir().resolve("table.md")).append(", table.csv, table.json");
        if (spec.table().images() != null) {
            int copied = copyImages(folder.work().resolve(spec.table().images()));
            sb.append(", ").append(copied).append(" images in ").append(spec.table().images());
        }
        String results = spec.table().results();
        if (results != null) {
            Path file = folder.work().resolve(results);
            writeResults(file, md);
            sb.append(", ").append(results);
        }
        return sb.append('\n').toString();
    }

    /**
     * Copies each completed run's last picture of its samples (samples/iter-N-samples.png, else its mixture scatter
     * plot samples/iter-N-scatter.png) into {@code dir} as RUN.png; the number copied.
     */
    int copyImages(Path dir) throws IOException {
        Files.createDirectories(dir);
        int copied = 0;
        for (SweepRun r : runs) {
            Path samples = folder.run(r.name()).resolve("samples");
            if (RunState.of(folder.run(r.name())).phase() != RunState.Phase.COMPLETED || !Files.isDirectory(samples)) {
                continue;
            }
            Path last = null;
            try (var files = Files.list(samples)) {
                for (Path f : files.filter(f -> f.getFileName().toString().matches("iter-\\d+-(samples|scatter)\\.png"))
                        .sorted().toList()) {
                    // the highest iteration wins; at one iteration a scatter plot sorts after a grid
                    last = f;
                }
            }
            if (last != null) {
                Files.copy(last, dir.resolve(r.name() + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                copied++;
            }
        }
        return copied;
    }

    /** The results file: title, description, the command and date, the table; then what it held below the marker. */
    void writeResults(Path file, String table) throws IOException {
        String below = "";
        if (Files.exists(file)) {
            String old = Files.readString(file);
            int at = old.indexOf(NOTES_MARK);
            below = at < 0 ? "" : old.substring(at + NOTES_MARK.length()).replaceFirst("^\n", "");
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(spec.table().title() == null ? "Sweep " + spec.name() : spec.table().title()).append("\n\n");
        if (!spec.description().isBlank()) {
            sb.append(spec.description().strip()).append("\n\n");
        }
        sb.append("Generated by `runtime/jgan sweep table ").append(folder.work().relativize(this.file.toAbsolutePath().normalize())).append("` on ")
                .append(LocalDate.now(ZoneOffset.UTC)).append(".\n\n").append(table).append('\n').append(NOTES_MARK)
                .append('\n').append(below);
        Files.createDirectories(file.toAbsolutePath().getParent());
        SweepFolder.replace(file, sb.toString());
    }
}
