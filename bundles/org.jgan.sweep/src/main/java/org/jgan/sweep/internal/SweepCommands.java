package org.jgan.sweep.internal;

import java.io.IOException;
import java.nio.file.Path;
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
                new SweepLaunch(training::validate, training::components, script).checkAnalyses(sweep.spec());
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
                return new SweepLaunch(training::validate, training::components, script).launch(Sweep.load(Path.of(args[0]), work),
                        options(Arrays.asList(args).subList(1, args.length)));
        }
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

}
