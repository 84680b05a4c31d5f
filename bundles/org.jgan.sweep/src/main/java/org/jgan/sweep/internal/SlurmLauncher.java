package org.jgan.sweep.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The Slurm launcher: writes {@code slurm/array.sh}, whose task I runs {@code runtime/jgan sweep task DIR I} in the
 * working folder, and submits the runs still to train as one job array ({@code sbatch --array=0-3,7%K}). The job id
 * is recorded in {@code slurm/jobs}. The same script serves a Kubernetes Indexed Job, which sets
 * {@code JOB_COMPLETION_INDEX} instead of {@code SLURM_ARRAY_TASK_ID}.
 *
 * @param throttle at most this many tasks at once ({@code %K}), or 0 for Slurm's own limit
 * @param extra    further sbatch arguments, as given
 */
record SlurmLauncher(String sbatch, String partition, String time, int cpus, String mem, int throttle,
        List<String> extra) {

    /** What an array's tasks do: train manifest lines, or cross-test lines of crosstests.tsv. */
    enum Kind {
        TASK("array.sh", "task", "trains and evaluates line I of manifest.tsv"),
        CROSSTEST("crosstest.sh", "crosstest", "cross-tests the two runs of line I of crosstests.tsv");

        final String file;
        final String command;
        final String what;

        Kind(String file, String command, String what) {
            this.file = file;
            this.command = command;
            this.what = what;
        }
    }

    /** The job script of {@code kind}: one line per array task. */
    static String script(Path script, SweepFolder folder, Kind kind) {
        String dir = folder.dir().toString();
        return """
                #!/usr/bin/env bash
                # A jgan sweep's job array task (written by gan:sweep): %s, I
                # from Slurm (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX).
                set -euo pipefail
                cd %s
                index="${SLURM_ARRAY_TASK_ID:-${JOB_COMPLETION_INDEX:?neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set}}"
                export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-${OMP_NUM_THREADS:-1}}"
                exec %s sweep %s %s "$index" >> %s/logs/%s-"$index".log 2>&1
                """.formatted(kind.what, quote(folder.work().toString()), quote(script.toString()), kind.command,
                quote(folder.relativeDir()), quote(dir), kind.command);
    }

    /** Writes {@code slurm/array.sh} or {@code crosstest.sh} (executable); also what a Kubernetes Indexed Job runs. */
    static Path writeScript(Path script, SweepFolder folder, Kind kind) throws IOException {
        Files.createDirectories(folder.slurm());
        Files.createDirectories(folder.dir().resolve("logs"));
        Path job = folder.slurm().resolve(kind.file);
        SweepFolder.replace(job, script(script, folder, kind));
        Files.setPosixFilePermissions(job, PosixFilePermissions.fromString("rwxr-xr-x"));
        return job;
    }

    /** The sbatch command line that submits array tasks {@code indices} of {@code kind}. */
    List<String> command(String sweep, SweepFolder folder, List<Integer> indices, Kind kind, String after) {
        List<String> cmd = new ArrayList<>(List.of(sbatch, "--parsable",
                "--array=" + ranges(indices) + (throttle > 0 ? "%" + throttle : ""),
                "--job-name=jgan-" + sweep + (kind == Kind.TASK ? "" : "-crosstest"),
                "--output=" + folder.slurm().resolve("slurm-%A_%a.out"), "--cpus-per-task=" + cpus));
        if (after != null) {
            // a cross-test needs both its runs; it checks that they completed and fails alone when not
            cmd.add("--dependency=afterany:" + after);
        }
        if (partition != null) {
            cmd.add("--partition=" + partition);
        }
        if (time != null) {
            cmd.add("--time=" + time);
        }
        if (mem != null) {
            cmd.add("--mem=" + mem);
        }
        cmd.addAll(extra);
        cmd.add(folder.slurm().resolve(kind.file).toString());
        return cmd;
    }

    /**
     * Writes the job script and submits tasks {@code indices} of {@code kind} as one array, after job {@code after}
     * when not null.
     *
     * @return the job id Slurm gave
     * @throws IllegalStateException with sbatch's message when it refuses
     */
    String submit(String sweep, Path script, SweepFolder folder, List<Integer> indices, Kind kind, String after)
            throws IOException, InterruptedException {
        writeScript(script, folder, kind);
        List<String> cmd = command(sweep, folder, indices, kind, after);
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(folder.work().toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("sweep " + sweep + ": cannot run '" + sbatch + "' (" + e.getMessage()
                    + "); expected Slurm's sbatch on the PATH, or sbatch=PATH");
        }
        // sbatch answers at once or fails: its output is read to the end, then its status
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("sweep " + sweep + ": sbatch refused the job array: "
                    + output.replace('\n', ' '));
        }
        String[] lines = output.split("\n");
        String id = lines[lines.length - 1].split(";")[0].trim();
        SweepFolder.append(folder.slurm().resolve("jobs"), id + "\t" + Instant.now() + "\t" + ranges(indices)
                + (kind == Kind.TASK ? "" : "\tcross-tests"));
        return id;
    }

    /**
     * The job arrays of this sweep recorded in {@code slurm/jobs} that {@code squeue} still lists (queued or
     * running); empty when none, or when there is no squeue to ask (the run folders' locks still keep one trainer per
     * run).
     */
    static List<String> live(SweepFolder folder, String squeue) throws InterruptedException {
        Path jobs = folder.slurm().resolve("jobs");
        List<String> ids;
        try {
            ids = Files.exists(jobs) ? Files.readAllLines(jobs).stream().map(l -> l.split("\t")[0]).toList() : List.of();
        } catch (IOException e) {
            return List.of();
        }
        if (ids.isEmpty()) {
            return List.of();
        }
        try {
            // every job squeue lists (asking for ids Slurm has forgotten would fail the whole query); %F: the
            // array's job id, one line per task still listed
            Process p = new ProcessBuilder(squeue, "-h", "-o", "%F").redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.lines().map(String::trim).filter(ids::contains).distinct().toList();
        } catch (IOException noSqueue) {
            return List.of();
        }
    }

    /** Indices as Slurm's array syntax: 0-3,5,7-9. */
    static String ranges(List<Integer> indices) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < indices.size(); i++) {
            int start = indices.get(i);
            int end = start;
            while (i + 1 < indices.size() && indices.get(i + 1) == end + 1) {
                end = indices.get(++i);
            }
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(start);
            if (end > start) {
                sb.append('-').append(end);
            }
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
