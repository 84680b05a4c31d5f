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
            + "validates every run; 'status SPEC'; 'table SPEC'; 'task DIR I' trains line I of a sweep's manifest "
            + "(what the launchers run)")
    public String sweep(@Descriptor("SPEC [options] | check SPEC | status SPEC | table SPEC | task DIR I")
            String... args)
            throws IOException, InterruptedException {
        if (args.length == 0) {
            throw new IllegalArgumentException("gan:sweep: expected SPEC [launcher=local|slurm] [parallel=N], "
                    + "check SPEC, status SPEC, table SPEC or task DIR I");
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
        sweep.folder().write(sweep.text(), sweep.runs());
        List<SweepRun> toDo = sweep.toDo();
        String name = sweep.spec().name();
        if (toDo.isEmpty()) {
            return "sweep " + name + ": every run has completed (" + sweep.runs().size() + "); nothing to do\n"
                    + sweep.status();
        }
        int skipped = sweep.runs().size() - toDo.size();
        System.out.println("jgan: sweep " + name + ": " + sweep.runs().size() + " runs, " + toDo.size() + " to train"
                + (skipped > 0 ? " (" + skipped + " completed or being trained elsewhere)" : "") + "; folder "
                + sweep.folder().dir());
        if (launcher.equals("manifest")) {
            Path job = SlurmLauncher.writeScript(Path.of(script), sweep.folder());
            return "sweep " + name + ": wrote " + sweep.folder().manifest() + " and " + job + "; runs still to train: "
                    + SlurmLauncher.ranges(toDo.stream().map(SweepRun::index).toList()) + "; nothing was started\n";
        }
        if (launcher.equals("slurm")) {
            List<String> extra = new ArrayList<>(o.containsKey("args") ? List.of(o.get("args").trim().split("\\s+"))
                    : List.of());
            SlurmLauncher slurm = new SlurmLauncher(o.getOrDefault("sbatch", "sbatch"), o.get("partition"),
                    o.get("time"), positive(o, "cpus", threads), o.get("mem"), parallel, extra);
            String job = slurm.submit(name, Path.of(script), sweep.folder(), toDo);
            return "sweep " + name + ": submitted job array " + job + " (" + toDo.size() + (toDo.size() == 1 ? " task" : " tasks") + (parallel > 0
                    ? ", at most " + parallel + " at once" : "") + "); follow it with runtime/jgan sweep status "
                    + sweep.file() + "\n";
        }
        int failed = new LocalLauncher(Path.of(script), sweep.folder(), parallel, threads, System.out)
                .launch(name, toDo);
        String table = sweep.table();
        String status = sweep.status();
        if (failed > 0) {
            throw new IllegalStateException("sweep " + name + ": " + failed + " of " + toDo.size() + " runs failed; "
                    + "see runtime/jgan sweep status " + sweep.file() + "\n" + status);
        }
        return table + status;
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
