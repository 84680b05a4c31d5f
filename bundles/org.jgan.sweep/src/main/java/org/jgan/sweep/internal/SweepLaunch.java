package org.jgan.sweep.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jgan.api.dto.ComponentDTO;

/**
 * Launching a sweep: every run validated, the sweep's folder written, then what is left to train handed to a
 * launcher (local JVMs, a Slurm job array, or only the manifest and job scripts).
 */
final class SweepLaunch {

    private final BiFunction<String, Map<String, String>, Map<String, String>> validate;
    private final Supplier<List<ComponentDTO>> components;
    private final String script;

    /**
     * @param validate   the engine's validation of a run's configuration ({@code TrainingService.validate})
     * @param components the installed components ({@code TrainingService.components}), for the evaluation's options
     * @param script     the runtime script the tasks are started with, or null when not known
     */
    SweepLaunch(BiFunction<String, Map<String, String>, Map<String, String>> validate,
            Supplier<List<ComponentDTO>> components, String script) {
        this.validate = validate;
        this.components = components;
        this.script = script;
    }

    /**
     * Refuses, before anything runs, an evaluation or cross-test option the runs would fail on once trained: an
     * unknown key, a metric that is not installed or an option it does not have, a count that is not an integer.
     * An unknown metric is reported as the engine reports unknown components, so that the runtime retries it while
     * plug-ins are still registering.
     */
    void checkAnalyses(SweepSpec spec) {
        if (spec.evaluate() != null) {
            Map<String, ComponentDTO> metrics = components.get().stream().filter(c -> "metric".equals(c.kind))
                    .collect(Collectors.toMap(c -> c.name, c -> c, (a, b) -> a, java.util.TreeMap::new));
            spec.evaluate().forEach((k, v) -> {
                if (k.equals("metrics")) {
                    Stream.of(v.split(",")).map(String::trim).filter(m -> !m.equals("auto") && !metrics.containsKey(m))
                            .findFirst().ifPresent(m -> {
                                throw new IllegalArgumentException("unknown metric '" + m + "' in the evaluate of sweep "
                                        + spec.name() + "; installed: " + String.join(", ", metrics.keySet()));
                            });
                } else if (k.startsWith("metric.") && k.split("\\.").length == 3) {
                    String[] f = k.split("\\.");
                    ComponentDTO m = metrics.get(f[1]);
                    if (m == null) {
                        throw new IllegalArgumentException("unknown metric '" + f[1] + "' in the evaluate of sweep "
                                + spec.name() + " (" + k + "); installed: " + String.join(", ", metrics.keySet()));
                    }
                    if (m.options.stream().noneMatch(o -> o.name.equals(f[2]))) {
                        throw new IllegalArgumentException("sweep " + spec.name() + ": evaluate option '" + k
                                + "' names no option of metric '" + f[1] + "'; expected one of " + m.options.stream()
                                        .map(o -> o.name).toList());
                    }
                } else if (!k.equals("seed")) {
                    throw new IllegalArgumentException("sweep " + spec.name() + ": evaluate option '" + k + "' is not "
                            + "one of gan:evaluate's; expected metrics, seed or metric.NAME.OPTION");
                }
            });
        }
        if (spec.crossTest() != null) {
            spec.crossTest().options().forEach((k, v) -> {
                if (!Set.of("samples", "seed").contains(k) || !v.matches("-?\\d+")) {
                    throw new IllegalArgumentException("sweep " + spec.name() + ": cross-test option '" + k + "=" + v
                            + "'; expected samples=N and seed=N (integers)");
                }
            });
        }
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
        checkAnalyses(sweep.spec());
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
