package org.jgan.sweep.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * Launching a sweep: every run validated, the sweep's folder written, then what is left to train handed to a
 * launcher (local JVMs, a Slurm job array, or only the manifest and job scripts).
 */
final class SweepLaunch {

    private final BiFunction<String, Map<String, String>, Map<String, String>> validate;
    private final String script;

    /**
     * @param validate the engine's validation of a run's configuration ({@code TrainingService.validate})
     * @param script   the runtime script the tasks are started with, or null when not known
     */
    SweepLaunch(BiFunction<String, Map<String, String>, Map<String, String>> validate, String script) {
        this.validate = validate;
        this.script = script;
    }

    String launch(Sweep sweep, Map<String, String> o) throws IOException, InterruptedException {
        String launcher = o.getOrDefault("launcher", "local");
        if (!Set.of("local", "slurm", "manifest").contains(launcher)) {
            throw new IllegalArgumentException("gan:sweep: launcher is '" + launcher + "'; expected local, slurm or "
                    + "manifest");
        }
        int parallel = positive(o, "parallel", launcher.equals("local") ? 1 : 0);
        int threads = positive(o, "threads", 1);
        sweep.validate(validate);
        if (script == null || !Files.isExecutable(Path.of(script))) {
            throw new IllegalStateException("gan:sweep: the runtime script is not known (framework property "
                    + SweepCommands.SCRIPT
                    + "); expected the runtime started by runtime/jgan");
        }
        List<String> live = SlurmLauncher.live(sweep.folder(), "squeue");
        if (!live.isEmpty()) {
            throw new IllegalStateException("sweep " + sweep.spec().name() + ": Slurm job arrays " + String.join(", ",
                    live) + " of this sweep are still queued or running; expected them finished (runtime/jgan sweep "
                    + "status) or cancelled (scancel " + String.join(" ", live) + ") before it is launched again");
        }
        sweep.write();
        List<SweepRun> toDo = sweep.toDo();
        List<CrossPair> crossTests = sweep.crossTestsToDo();
        String name = sweep.spec().name();
        if (toDo.isEmpty() && crossTests.isEmpty()) {
            return "sweep " + name + ": nothing to train here; " + sweep.status();
        }
        int skipped = sweep.runs().size() - toDo.size();
        System.out.println("jgan: sweep " + name + ": " + sweep.runs().size() + " runs, " + toDo.size() + " to train"
                + (skipped > 0 ? " (" + skipped + " completed or being trained elsewhere)" : "")
                + (crossTests.isEmpty() ? "" : ", " + count(crossTests.size(), "cross-test") + " to run") + "; folder "
                + sweep.folder().dir());
        return switch (launcher) {
            case "manifest" -> manifest(sweep, toDo, crossTests);
            case "slurm" -> slurm(sweep, toDo, crossTests, o, parallel, threads);
            default -> local(sweep, toDo, crossTests, parallel, threads);
        };
    }

    private String local(Sweep sweep, List<SweepRun> toDo, List<CrossPair> crossTests, int parallel, int threads)
            throws IOException, InterruptedException {
        LocalLauncher local = new LocalLauncher(Path.of(script), sweep.folder(), parallel, threads, System.out);
        String name = sweep.spec().name();
        int failed = local.launch(name, toDo.stream().map(r -> LocalLauncher.train(sweep.folder(), r)).toList());
        // a cross-test runs once both its runs have completed; the others wait for the next sweep
        List<CrossPair> ready = crossTests.stream().filter(p -> Stream.of(p.a(), p.b()).allMatch(r -> RunState.of(
                sweep.folder().run(r.name())).phase() == RunState.Phase.COMPLETED)).toList();
        failed += local.launch(name, ready.stream().map(p -> LocalLauncher.crossTest(sweep.folder(), p)).toList());
        String table = sweep.table();
        String status = sweep.status();
        int waiting = crossTests.size() - ready.size();
        if (failed > 0 || waiting > 0) {
            System.out.print(table + status);
            throw new IllegalStateException("sweep " + name + ": " + (failed > 0 ? count(failed, "task") + " of "
                    + (toDo.size() + ready.size()) + " failed" : "") + (failed > 0 && waiting > 0 ? ", " : "")
                    + (waiting > 0 ? count(waiting, "cross-test") + " waiting for runs that did not complete" : "")
                    + "; expected every run completed (see the status above)");
        }
        return table + status;
    }

    private String slurm(Sweep sweep, List<SweepRun> toDo, List<CrossPair> crossTests, Map<String, String> o,
            int parallel, int threads) throws IOException, InterruptedException {
        List<String> extra = o.containsKey("args") ? Stream.of(o.get("args").trim().split("\\s+"))
                .filter(a -> !a.isEmpty()).toList() : List.of();
        SlurmLauncher slurm = new SlurmLauncher(o.getOrDefault("sbatch", "sbatch"), o.get("partition"), o.get("time"),
                positive(o, "cpus", threads), o.get("mem"), parallel, extra);
        String name = sweep.spec().name();
        StringBuilder sb = new StringBuilder();
        String runs = null;
        if (!toDo.isEmpty()) {
            runs = slurm.submit(name, Path.of(script), sweep.folder(), toDo.stream().map(SweepRun::index).toList(),
                    SlurmLauncher.Kind.TASK, null);
            sb.append("sweep ").append(name).append(": submitted job array ").append(runs).append(" (")
                    .append(count(toDo.size(), "task")).append(parallel > 0 ? ", at most " + parallel + " at once" : "")
                    .append(")\n");
        }
        if (!crossTests.isEmpty()) {
            String job = slurm.submit(name, Path.of(script), sweep.folder(), crossTests.stream().map(CrossPair::index)
                    .toList(), SlurmLauncher.Kind.CROSSTEST, runs);
            sb.append("sweep ").append(name).append(": submitted job array ").append(job).append(" (")
                    .append(count(crossTests.size(), "cross-test")).append(runs == null ? "" : ", after job " + runs)
                    .append(")\n");
        }
        return sb.append("follow it with runtime/jgan sweep status ").append(sweep.file()).append('\n').toString();
    }

    private String manifest(Sweep sweep, List<SweepRun> toDo, List<CrossPair> crossTests) throws IOException {
        Path job = SlurmLauncher.writeScript(Path.of(script), sweep.folder(), SlurmLauncher.Kind.TASK);
        String text = "sweep " + sweep.spec().name() + ": wrote " + sweep.folder().manifest() + " and " + job
                + "; runs still to train: " + SlurmLauncher.ranges(toDo.stream().map(SweepRun::index).toList());
        if (!sweep.crossTests().isEmpty()) {
            Path cross = SlurmLauncher.writeScript(Path.of(script), sweep.folder(), SlurmLauncher.Kind.CROSSTEST);
            text += "; " + sweep.folder().crossTests() + " and " + cross + ", cross-tests still to run: "
                    + SlurmLauncher.ranges(crossTests.stream().map(CrossPair::index).toList());
        }
        return text + "; nothing was started\n";
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    private static int positive(Map<String, String> o, String key, int absent) {
        if (!o.containsKey(key)) {
            return absent;
        }
        try {
            int v = Integer.parseInt(o.get(key));
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // falls through
        }
        throw new IllegalArgumentException("gan:sweep: " + key + " is '" + o.get(key) + "'; expected an integer of 1 or more");
    }
}
