package org.jgan.sweep.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launchers against stand-ins for the runtime script and sbatch (the real ones run in the smoke and Slurm tests). */
class LaunchersTest {

    @TempDir
    Path work;

    /**
     * Stands in for runtime/jgan: task I reads its manifest line, records start and end times, and completes its run,
     * or fails like the runtime when the run's name contains "bad".
     */
    private static final String FAKE_RUNTIME = """
            #!/usr/bin/env bash
            [ "$1 $2" = "sweep task" ] || { echo "unexpected: $*"; exit 9; }
            name=$(sed -n "$(($4 + 1))p" "$3/manifest.tsv" | cut -f2)
            echo "start $(date +%s%N) $name threads=$OMP_NUM_THREADS" >> times.txt
            sleep 0.6
            echo "end $(date +%s%N) $name" >> times.txt
            case "$name" in *bad*) echo "jgan: gan:sweep task $3 $4: run $name FAILED: boom"; exit 1;; esac
            mkdir -p "runs/$name"
            echo '{"state": "COMPLETED", "iteration": 5, "iterations": 5}' > "runs/$name/status.json"
            """;

    @Test
    void localTrainsEveryRunParallelAtATimeAndReportsFailures() throws Exception {
        Path script = executable("jgan", FAKE_RUNTIME);
        Sweep s = sweep("{\"name\": \"l\", \"grid\": {\"x\": {\"a\": {}, \"bad\": {}}}, \"seeds\": 3}");
        s.write();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        int failed = new LocalLauncher(script, s.folder(), 2, 3, new PrintStream(console, true, StandardCharsets.UTF_8))
                .launch("l", s.toDo().stream().map(r -> LocalLauncher.train(s.folder(), r)).toList());
        String out = console.toString(StandardCharsets.UTF_8);
        assertEquals(3, failed, out);
        assertTrue(out.contains("jgan: sweep l: l-a-s2 completed in "), out);
        assertTrue(out.contains("jgan: sweep l: l-bad-s3 failed after "), out);
        assertTrue(out.contains("(exit 1): gan:sweep task sweeps/l 5: run l-bad-s3 FAILED: boom"), out);
        List<String> times = Files.readAllLines(work.resolve("times.txt"));
        assertEquals(12, times.size());
        assertTrue(times.stream().filter(l -> l.startsWith("start")).allMatch(l -> l.endsWith("threads=3")), times.toString());
        assertEquals(2, maxOverlap(times), times.toString());
        assertEquals(3, s.toDo().size(), "only the failed runs are left to do");
        assertTrue(Files.readString(s.folder().log(5)).contains("FAILED: boom"));
    }

    @Test
    void slurmSubmitsTheRunsLeftAsOneArrayWhoseTasksRunTheirManifestLine() throws Exception {
        Path sbatch = executable("sbatch", "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > sbatch-args.txt\necho '4242;cluster'\n");
        Path script = executable("jgan", "#!/usr/bin/env bash\necho \"task $* in $(pwd) threads=$OMP_NUM_THREADS\"\n");
        Sweep s = sweep("{\"name\": \"sl\", \"grid\": {\"lrD\": [1, 2, 3, 4, 5]}}");
        s.write();
        List<SweepRun> left = List.of(s.runs().get(1), s.runs().get(2), s.runs().get(4));
        SlurmLauncher slurm = new SlurmLauncher(sbatch.toString(), "short", "01:00:00", 2, "4G", 2,
                List.of("--qos=low"));
        assertEquals("4242", slurm.submit("sl", script, s.folder(), left.stream().map(SweepRun::index).toList(),
                SlurmLauncher.Kind.TASK, null));
        assertEquals(List.of("--parsable", "--array=1-2,4%2", "--job-name=jgan-sl",
                "--output=" + s.folder().slurm().resolve("slurm-%A_%a.out"), "--cpus-per-task=2", "--partition=short",
                "--time=01:00:00", "--mem=4G", "--qos=low", s.folder().slurm().resolve("array.sh").toString()),
                Files.readAllLines(work.resolve("sbatch-args.txt")));
        assertTrue(Files.readString(s.folder().slurm().resolve("jobs")).matches("4242\t\\S+\t1-2,4\n"));
        // a task of the array (Slurm), then one of a Kubernetes Indexed Job
        assertEquals(0, task("SLURM_ARRAY_TASK_ID", "2", s));
        assertEquals("task sweep task sweeps/sl 2 in " + work + " threads=3\n",
                Files.readString(s.folder().log(2)));
        assertEquals(0, task("JOB_COMPLETION_INDEX", "4", s));
        assertTrue(Files.readString(s.folder().log(4)).startsWith("task sweep task sweeps/sl 4 "));
    }

    @Test
    void aRefusedSubmissionSaysWhatSbatchSaid() throws Exception {
        Path sbatch = executable("sbatch", "#!/usr/bin/env bash\necho 'sbatch: error: invalid partition specified: gpu'\nexit 1\n");
        Sweep s = sweep("{\"name\": \"r\", \"grid\": {\"lrD\": [1]}}");
        SlurmLauncher slurm = new SlurmLauncher(sbatch.toString(), "gpu", null, 1, null, 0, List.of());
        assertEquals("sweep r: sbatch refused the job array: sbatch: error: invalid partition specified: gpu",
                assertThrows(IllegalStateException.class, () -> slurm.submit("r", sbatch, s.folder(), List.of(0),
                        SlurmLauncher.Kind.TASK, null)).getMessage());
        assertEquals("0-3,5,7-8", SlurmLauncher.ranges(List.of(0, 1, 2, 3, 5, 7, 8)));
    }

    private int task(String variable, String index, Sweep s) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(s.folder().slurm().resolve("array.sh").toString()).directory(
                work.resolve("sweeps").toFile());
        pb.environment().remove("SLURM_ARRAY_TASK_ID");
        pb.environment().remove("JOB_COMPLETION_INDEX");
        pb.environment().put(variable, index);
        pb.environment().put("SLURM_CPUS_PER_TASK", "3");
        Process p = pb.inheritIO().start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the array task did not end within 20 s");
        return p.exitValue();
    }

    /** The most tasks that ran at once, from their start and end lines. */
    private static int maxOverlap(List<String> times) {
        record Event(long t, int d) {
        }
        List<Event> events = times.stream().map(l -> l.split(" "))
                .map(f -> new Event(Long.parseLong(f[1]), f[0].equals("start") ? 1 : -1))
                .sorted((a, b) -> a.t() != b.t() ? Long.compare(a.t(), b.t()) : Integer.compare(a.d(), b.d())).toList();
        int now = 0;
        int max = 0;
        for (Event e : events) {
            now += e.d();
            max = Math.max(max, now);
        }
        return max;
    }

    private Sweep sweep(String json) throws IOException {
        Path file = work.resolve("spec.json");
        Files.writeString(file, json);
        return Sweep.load(file, work);
    }

    private Path executable(String name, String text) throws IOException {
        Path p = work.resolve("bin").resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }
}
