package org.jgan.sweep.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.felix.service.command.Descriptor;
import org.jgan.api.TrainingService;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code gan:sweep}: a thin adapter over {@link Sweep} and its launchers. The runtime script passes its own path
 * as the framework property {@value #SCRIPT}; the launchers start tasks through it. Runs and sweep folders are
 * relative to the runtime's working folder.
 */
@Component(service = SweepCommands.class, immediate = true, property = {"osgi.command.scope=gan",
    "osgi.command.function=sweep"})
public final class SweepCommands {

    static final String SCRIPT = "jgan.script";
    private static final Set<String> OPTIONS = Set.of("launcher", "parallel", "threads", "partition", "time", "cpus",
            "mem", "sbatch", "args");

    private final TrainingService training;
    private final String script;

    @Activate
    public SweepCommands(@Reference TrainingService training, BundleContext context) {
        this.training = training;
        this.script = context.getProperty(SCRIPT);
    }

    @Descriptor("Train a sweep (a grid of runs over seeds and settings, docs/sweeps.md): SPEC [launcher=local|slurm|manifest] "
            + "[parallel=N] [threads=1] [partition=P time=T cpus=N mem=M sbatch=PATH args='...']; 'check SPEC' "
            + "validates every run; 'status SPEC'; 'table SPEC'; 'task DIR I' trains line I of a sweep's manifest, "
            + "'crosstest DIR J' runs line J of its cross-tests (what the launchers run)")
    public String sweep(@Descriptor("SPEC [options] | check SPEC | status SPEC | table SPEC | task DIR I | "
            + "crosstest DIR J")
            String... args)
            throws IOException, InterruptedException {
        if (args.length == 0) {
            throw new IllegalArgumentException("gan:sweep: expected SPEC [launcher=local|slurm|manifest] [parallel=N], "
                    + "check SPEC, status SPEC, table SPEC, task DIR I or crosstest DIR J");
        }
        Path work = Path.of("").toAbsolutePath();
        switch (args[0]) {
            case "status":
                return Sweep.load(Path.of(one(args, "status SPEC")), work).status();
            case "table":
                return Sweep.load(Path.of(one(args, "table SPEC")), work).table();
            case "check": {
                Sweep sweep = Sweep.load(Path.of(one(args, "check SPEC")), work);
                sweep.validate(training::validate);
                StringBuilder sb = new StringBuilder();
                sweep.runs().forEach(r -> sb.append(r.manifestLine().replace('\t', ' ')).append('\n'));
                return sb.append("sweep ").append(sweep.spec().name()).append(": ").append(sweep.runs().size())
                        .append(" runs, every one valid; nothing was started\n").toString();
            }
            case "crosstest":
                if (args.length != 3 || !args[2].matches("\\d+")) {
                    throw new IllegalArgumentException("gan:sweep crosstest: expected DIR (a sweep's folder) and I (a "
                            + "line of its crosstests.tsv, from 0)");
                }
                return new SweepTask(training, System.out).crossTest(new SweepFolder(work,
                        Path.of(args[1]).toAbsolutePath()), Integer.parseInt(args[2]));
            case "task":
                if (args.length != 3 || !args[2].matches("\\d+")) {
                    throw new IllegalArgumentException("gan:sweep task: expected DIR (a sweep's folder) and I (a line "
                            + "of its manifest, from 0)");
                }
                Path dir = Path.of(args[1]).toAbsolutePath();
                return new SweepTask(training, System.out).execute(new SweepFolder(work, dir),
                        Integer.parseInt(args[2]));
            default:
                return launch(Sweep.load(Path.of(args[0]), work), options(Arrays.asList(args).subList(1, args.length)));
        }
    }

    private String launch(Sweep sweep, Map<String, String> o) throws IOException, InterruptedException {
        String launcher = o.getOrDefault("launcher", "local");
        if (!Set.of("local", "slurm", "manifest").contains(launcher)) {
            throw new IllegalArgumentException("gan:sweep: launcher is '" + launcher + "'; expected local, slurm or "
                    + "manifest");
        }
        int parallel = positive(o, "parallel", launcher.equals("local") ? 1 : 0);
        int threads = positive(o, "threads", 1);
        sweep.validate(training::validate);
        if (script == null || !Files.isExecutable(Path.of(script))) {
            throw new IllegalStateException("gan:sweep: the runtime script is not known (framework property " + SCRIPT
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

    private static String one(String[] args, String usage) {
        if (args.length != 2) {
            throw new IllegalArgumentException("gan:sweep " + args[0] + ": expected " + usage);
        }
        return args[1];
    }

    static Map<String, String> options(List<String> args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            String key = eq < 0 ? a : a.substring(0, eq);
            if (eq < 0 || !OPTIONS.contains(key)) {
                throw new IllegalArgumentException("gan:sweep: unexpected '" + a + "'; expected options "
                        + OPTIONS.stream().sorted().map(k -> k + "=").toList());
            }
            o.put(key, a.substring(eq + 1));
        }
        return o;
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
