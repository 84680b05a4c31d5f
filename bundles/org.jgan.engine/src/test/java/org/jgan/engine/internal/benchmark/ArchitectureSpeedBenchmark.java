package org.jgan.engine.internal.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jgan.api.Side;
import org.jgan.engine.internal.ProcStatus;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.presets.internal.PresetFiles;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The harness of {@link DcganSpeedBenchmark} for the architectures of the SAGAN, BigGAN, StyleGAN and WGAN-GP
 * papers: time per iteration (all D steps and one G step of the preset, with its loss, regularizers and EMA; D and
 * G steps also timed apart) at 1 x 32 x 32, batch 32, the architecture's default widths, and the process's peak
 * memory, side by side with a PyTorch port of the same network and algorithm ({@code src/test/python/<name>_torch.py},
 * same parameter counts; run as {@link TorchReference} runs them). Peak resident memory is per process, so each
 * architecture runs in a JVM of its own, started by the test with the test class path.
 * <p>
 * {@code -Djgan.bench.architectures=a,b} chooses them (default all: {@code dcgan} (width 64, non-saturating, the
 * baseline), {@code sagan}, {@code biggan}, {@code stylegan}, {@code stylegan2} (StyleGAN with weight
 * demodulation), {@code resnet} (WGAN-GP's ResNet, 5 critic steps); {@code r3gan} (R1 + R2 every step, no PyTorch
 * port yet) only when named); {@code -Djgan.bench.warmup=N} and
 * {@code -Djgan.bench.iterations=N} the warm-up and measured iterations (default 150 and 30; the ResNet's 5 and 10);
 * {@code -Djgan.bench.profile=N} prints the N ops that take the most time and the replacement kernels' calls per
 * iteration ({@code GraphPlan.kernelCalls()}: which kernel ran which op); {@code -Djgan.bench.times=true} the
 * measured iterations' times in order; {@code -Djgan.bench.torch=false} skips
 * PyTorch; {@code -Djgan.bench.stack=false} runs D on each of a D step's batches in jgan and the ports alike (by
 * default both stack them where D's rows are independent, {@link #stack}); {@code -Djgan.bench.jvmArgs="..."} adds
 * options to each architecture's JVM ({@code {architecture}} in
 * them replaced by its name, e.g. {@code -XX:StartFlightRecording=filename=/tmp/{architecture}.jfr}).
 * <p>
 * jgan's JVM and the PyTorch port run at once: each warms up alone, then they alternate blocks of
 * {@code -Djgan.bench.block=B} measured iterations (default 5; each waits at a gate while the other runs), so that
 * the machine's drift (10-40% within minutes on the 2-core machines this project is measured on) falls on both
 * alike; {@code -Djgan.bench.block=0} runs one after the other.
 * {@code -Djgan.bench.rounds=R} repeats that R times for each architecture and prints the median of the rounds'
 * ratios with the rounds' own. Prints figures; asserts nothing about time.
 * <pre>
 * mvn -B -pl bundles/org.jgan.engine -Pbenchmark test -Dtest=ArchitectureSpeedBenchmark \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx512
 * </pre>
 */
@Tag("benchmark")
class ArchitectureSpeedBenchmark {

    /** The property that tells a measuring JVM ({@link Main}) to wait at a gate before each block of so many. */
    private static final String GATE = "jgan.bench.gate";

    static Map<String, String> settings(String architecture) {
        Map<String, String> raw = new HashMap<>(switch (architecture) {
            case "dcgan" -> Map.of("architecture", "dcgan", "architecture.channels", "64", "latent", "100");
            case "sagan" -> preset("sagan-32");
            case "biggan" -> preset("biggan-fashion");
            case "stylegan" -> preset("stylegan-fashion");
            case "stylegan2" -> withDemodulation(preset("stylegan-fashion"));
            case "resnet" -> preset("wgan-gp-resnet");
            case "r3gan" -> preset("r3gan-fashion32");
            default -> throw new IllegalArgumentException("jgan.bench.architectures: '" + architecture
                    + "'; expected dcgan, sagan, biggan, stylegan, stylegan2, resnet or r3gan");
        });
        raw.keySet().removeIf(k -> k.startsWith("dataset."));
        raw.putAll(Map.of("dataset", "test-images", "dataset.size", "32", "dataset.channels", "1",
                "dataset.classes", architecture.equals("biggan") ? "10" : "0", "dataset.pool", DATA_POOL,
                "batchSize", "32", "metrics", "none"));
        return raw;
    }

    /**
     * The synthetic images the benchmarks' jgan models draw their batches from ({@code test-images}' option
     * {@code pool}): a fixed set made once, as a training run reads a dataset held in memory. The PyTorch ports train on
     * one fixed random batch ({@code real = torch.rand(...)}) or draw one with {@code torch.rand} per iteration, at a
     * few microseconds; until 2026-12-06 jgan drew a fresh Gaussian blob per row, computed in Java on the training
     * thread (0.93 ms a D step at 32x32 and batch 32, 0.66 ms at 28x28, 1.3 ms at 28x28 and batch 64; rows of the pool
     * 0.08-0.19 ms), work in jgan's figures that the ports did not do.
     */
    static final String DATA_POOL = "1024";

    private static Map<String, String> preset(String name) {
        try {
            return PresetFiles.named(name).settings();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> withDemodulation(Map<String, String> preset) {
        Map<String, String> m = new HashMap<>(preset);
        m.put("architecture.modulation", "demodulation");
        return m;
    }

    /** The PyTorch port of an architecture: script and arguments after warm-up, measured and threads. */
    private static List<String> torchScript(String architecture) {
        return switch (architecture) {
            case "stylegan2" -> List.of("stylegan_torch.py", "demodulation");
            case "dcgan" -> List.of("dcgan_torch.py", "size=32", "batch=32");
            // the ports whose D's rows are independent stack D's two batches as jgan does, or neither does
            case "sagan", "biggan", "resnet" -> List.of(architecture + "_torch.py", "stack=" + (stack() ? 1 : 0));
            default -> List.of(architecture + "_torch.py");
        };
    }

    /**
     * Whether D steps run D once on the data batch and G(z) stacked where D's rows are independent (SAGAN, BigGAN, the
     * WGAN-GP ResNet), in jgan ({@code -Djgan.graph.stack}) and in the PyTorch ports ({@code stack=1}) alike, as
     * BigGAN-PyTorch and the WGAN-GP authors' ResNet code do: {@code -Djgan.bench.stack=false} turns it off in both.
     */
    private static boolean stack() {
        return !"false".equals(System.getProperty("jgan.bench.stack"));
    }

    /**
     * Warm-up iterations: 150 (the ResNet's 5, of about 6 s each), or {@code -Djgan.bench.warmup=N}. HotSpot's C2
     * compiler is still compiling the engine's Java code and ND4J's well into a run, and on these 2-core machines its
     * thread takes a core from ND4J's OpenMP threads (as in {@link DcganSpeedBenchmark}): StyleGAN2 with 15 warm-up
     * iterations ran 5 to 20 compilations in most measured iterations, 1,190 in one, and its iterations 15 to 35 took
     * 237 ms on average against 186 ms from the 55th on (2026-12-04). With 60, StyleGAN's iteration 121 (from 0) took
     * 1.4-2.3 times the median in each of six runs (2026-12-05): C2 compiled ND4J's
     * {@code NativeOpExecutioner.exec}, which a few ops call once an iteration, for 170 ms then. In one StyleGAN run
     * the JIT compiled for 4.8 s in the first 20 iterations, then 82-607 ms in each 20 up to the 140th, 17-75 ms in
     * those from the 140th to the 200th and 224-288 ms again from the 200th (the EMA's start in StyleGAN's recipe
     * brings new code). In one run each of StyleGAN and StyleGAN2 over 400 iterations, p90 was 1.22 and 1.44 times
     * the median for iterations 60 to 89, 1.17 and 1.07 for 150 to 179, 1.23 for both over 60 to 399. A training run
     * passes the compilations' peak in its first half minute at these sizes; the PyTorch port gets the same warm-up.
     * Each run prints the JIT's compilation time during its measured iterations (not while it waits at a gate).
     */
    private static int warmup(String architecture) {
        return Integer.getInteger("jgan.bench.warmup", architecture.equals("resnet") ? 5 : 150);
    }

    /** Measured iterations per block when jgan and PyTorch alternate ({@link #paced}); 0: one after the other. */
    private static int block() {
        return Integer.getInteger("jgan.bench.block", 5);
    }

    private static int measured(String architecture) {
        return Integer.getInteger("jgan.bench.iterations", architecture.equals("resnet") ? 10 : 30);
    }

    @Test
    void millisecondsPerIterationAndPeakMemory() throws Exception {
        IsaLimits.print();
        int rounds = Integer.getInteger("jgan.bench.rounds", 1);
        boolean torch = Boolean.parseBoolean(System.getProperty("jgan.bench.torch", "true"));
        List<String> ratios = new ArrayList<>();
        for (String name : System.getProperty("jgan.bench.architectures",
                "dcgan,sagan,biggan,stylegan,stylegan2,resnet").split(",")) {
            String architecture = name.trim();
            List<Double> rs = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                if (rounds > 1) {
                    System.out.println(architecture + ", round " + (round + 1) + " of " + rounds + ":");
                }
                if (torch && block() > 0) {
                    double[] medians = paced(architecture, block());
                    if (medians != null) {
                        rs.add(medians[0] / medians[1]);
                    }
                    continue;
                }
                Double jgan = jgan(architecture);
                Double reference = jgan == null || !torch ? null : pytorch(architecture);
                if (reference != null) {
                    rs.add(jgan / reference);
                }
            }
            if (!rs.isEmpty()) {
                ratios.add(String.format(Locale.ROOT, "%s %.2fx", architecture, DcganSpeedBenchmark.medianOfRounds(rs))
                        + (rs.size() > 1 ? rs.stream().map(r -> String.format(Locale.ROOT, "%.2f", r))
                                .collect(Collectors.joining(", ", " (rounds ", ")")) : ""));
            }
        }
        if (!ratios.isEmpty()) {
            System.out.println("jgan / pytorch, median time per iteration" + (rounds > 1 ? ", median of the rounds' ratios"
                    : "") + ": " + String.join(", ", ratios));
        }
    }

    /** Runs one architecture's measurement in a JVM of its own, prints its figures; its median, or null. */
    private static Double jgan(String architecture) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(jganCommand(architecture, 0)).redirectErrorStream(true).start();
        String[] lines = new String(process.getInputStream().readAllBytes()).split("\n");
        return jganFigures(architecture, List.of(lines), process.waitFor());
    }

    /** The command of a JVM that measures the architecture ({@link Main}), paced in blocks of {@code block} if > 0. */
    private static List<String> jganCommand(String architecture, int block) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        for (String p : List.of("org.bytedeco.javacpp.platform.extension", "org.bytedeco.javacpp.cachedir",
                "jgan.bench.warmup", "jgan.bench.iterations", "jgan.bench.profile", "jgan.graph.executor",
                "jgan.bench.times")) {
            if (System.getProperty(p) != null) {
                command.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        // the JIT's thresholds and inlining as this JVM has them (the benchmark profile sets them as runtime/jgan does)
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:CompileThresholdScaling=") || arg.startsWith("-XX:CompileCommand=")
                    || arg.startsWith("-XX:InlineSmallCode=")) {
                command.add(arg);
            }
        }
        command.add("-Djgan.graph.stack=" + stack());
        if (block > 0) {
            command.add("-D" + GATE + "=" + block);
        }
        String jvmArgs = System.getProperty("jgan.bench.jvmArgs", "").trim();
        if (!jvmArgs.isEmpty()) {
            command.addAll(List.of(jvmArgs.replace("{architecture}", architecture).split("\\s+")));
        }
        command.addAll(List.of(Main.class.getName(), architecture));
        return command;
    }

    /** Prints a measuring JVM's report (from its first "jgan " line on); its median, or null (with its last lines). */
    private static Double jganFigures(String architecture, List<String> lines, int status) {
        Double jgan = null;
        boolean report = false;
        for (String line : lines) {
            report |= line.startsWith("jgan ");
            if (report) {
                System.out.println(line);
            }
            Double median = line.startsWith("jgan " + architecture + " ") ? median(line) : null;
            if (median != null) {  // the figures' line, not the iterations' (-Djgan.bench.times)
                jgan = median;
            }
        }
        if (jgan == null) {
            System.out.println("jgan " + architecture + ": no figures (exit status " + status + "); its last lines:");
            for (int i = Math.max(0, lines.size() - 15); i < lines.size(); i++) {
                System.out.println("  " + lines.get(i));
            }
        }
        return jgan;
    }

    /**
     * Runs jgan's JVM and the PyTorch port at once, each warmed up alone, then alternating blocks of {@code block}
     * measured iterations ({@link Paced}), so that the machine's drift over minutes falls on both alike; prints both
     * figures. Their medians, or null where either gave none. Both processes are ended after 30 minutes.
     */
    private static double[] paced(String architecture, int block) throws IOException, InterruptedException {
        Paced jgan = new Paced(new ProcessBuilder(jganCommand(architecture, block)).redirectErrorStream(true)
                .start());
        Paced torch = null;
        List<Process> started = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(jgan.process));
        Thread deadline = Paced.deadline(30, started);
        try {
            // jgan's warm-up alone, then PyTorch's alone
            boolean jganWaits = jgan.next();
            List<String> script = torchScript(architecture);
            Process p = jganWaits ? TorchReference.start(script.get(0), block, torchArgs(architecture)) : null;
            if (p != null) {
                started.add(p);
                torch = new Paced(p);
            }
            boolean torchWaits = torch != null && torch.next();
            if (!jganWaits) {
                System.out.println("jgan " + architecture + ": ended before its first gate; PyTorch not started");
            } else if (torch != null && !torchWaits) {
                System.out.println("pytorch reference: " + script.get(0) + " reached no gate: it ran alone, unpaced");
            }
            Paced.alternate(jgan, jganWaits, torch, torchWaits);
            Double j = jganFigures(architecture, jgan.lines, jgan.process.waitFor());
            Double t = null;
            if (torch != null) {
                int status = torch.process.waitFor();
                for (String line : torch.lines) {
                    if (line.startsWith("pytorch ")) {
                        System.out.println(line);
                        t = t == null ? median(line) : t;
                    }
                }
                if (t == null) {
                    System.out.println("pytorch reference: " + script.get(0) + " gave no figures (exit status "
                            + status + ")");
                }
            }
            return j == null || t == null ? null : new double[] {j, t};
        } finally {
            deadline.interrupt();
            started.forEach(Process::destroyForcibly);
        }
    }

    /** Runs the architecture's PyTorch port, prints its figures; its median, or null. */
    private static Double pytorch(String architecture) throws InterruptedException {
        String out = TorchReference.run(torchScript(architecture).get(0), torchArgs(architecture));
        Double torch = out == null ? null : median(out);
        if (torch != null) {
            System.out.println(out.trim());
        }
        return torch;
    }

    /** The PyTorch port's arguments: warm-up, measured, threads, then its script's own. */
    private static String[] torchArgs(String architecture) {
        List<String> script = torchScript(architecture);
        List<String> args = new ArrayList<>(List.of(String.valueOf(warmup(architecture)),
                String.valueOf(measured(architecture)), String.valueOf(Runtime.getRuntime().availableProcessors())));
        args.addAll(script.subList(1, script.size()));
        return args.toArray(new String[0]);
    }

    private static Double median(String line) {
        Matcher m = Pattern.compile("median ([0-9.]+) ms").matcher(line);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    /** Runs one architecture's measurement in this process. */
    public static final class Main {
        public static void main(String[] args) {
            measure(args[0]);
        }
    }

    static void measure(String architecture) {
        RunSpec spec = RunSpec.parse(settings(architecture), TestCatalog.create(), architecture + "-bench");
        GanModel m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        int dSteps = spec.settings().dSteps();
        int warmup = warmup(architecture);
        int measured = measured(architecture);
        int profileTop = Integer.getInteger("jgan.bench.profile", 0);
        OpProfile profile = new OpProfile();
        Map<String, Long> kernelsBefore = Map.of();
        List<Double> times = new ArrayList<>();
        List<Double> dTimes = new ArrayList<>();
        List<Double> gTimes = new ArrayList<>();
        int gate = Integer.getInteger(GATE, 0);
        // the JIT's compilation time in the measured iterations, where the JVM times it (not with -Xint)
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long jitMs = 0;
        for (int it = 0; it < warmup + measured; it++) {
            Paced.gate(it, warmup, gate);
            if (it == warmup && profileTop > 0) {
                m.listen(profile);
                kernelsBefore = GraphPlan.kernelCalls();
            }
            long jit0 = jitTimed ? jit.getTotalCompilationTime() : 0;
            long t0 = System.nanoTime();
            for (int k = 0; k < dSteps; k++) {
                m.discriminatorStep(it, k);
            }
            long t1 = System.nanoTime();
            m.generatorStep(it);
            long t2 = System.nanoTime();
            if (it >= warmup) {
                jitMs += jitTimed ? jit.getTotalCompilationTime() - jit0 : 0;
                times.add((t2 - t0) / 1e6);
                dTimes.add((t1 - t0) / 1e6 / dSteps);
                gTimes.add((t2 - t1) / 1e6);
            }
        }
        double mean = times.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        if (Boolean.getBoolean("jgan.bench.times")) {
            System.out.println("jgan " + architecture + " iterations in order, ms: " + times.stream()
                    .map(t -> String.format(Locale.ROOT, "%.0f", t)).collect(Collectors.joining(" ")));
        }
        Collections.sort(times);
        Collections.sort(dTimes);
        Collections.sort(gTimes);
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
            }
        }
        double median = times.get(times.size() / 2);
        double p90 = times.get((int) Math.ceil(0.9 * times.size()) - 1);
        System.out.printf(Locale.ROOT, "jgan %s 1x32x32 batch 32 (G %d, D %d parameters), loss %s, regularizers '%s', "
                + "%d D step(s)%s, native build linux-x86_64%s, %d threads: median %.1f ms/iteration (mean %.1f, "
                + "p90 %.1f = %.2fx the median, min %.1f, max %.1f, %d measured after %d; D step %.1f, G step %.1f; "
                + "JIT compiling %s during them); peak resident %d MB, of which Java heap at most %d MB; malloc: %s%n",
                architecture, m.parameterCount(Side.GENERATOR), m.parameterCount(Side.DISCRIMINATOR),
                spec.loss().name(), spec.settings().regularizers(), dSteps,
                m.critiquesStacked() ? " (D on both batches stacked)" : "",
                System.getProperty("org.bytedeco.javacpp.platform.extension", ""),
                Runtime.getRuntime().availableProcessors(), median, mean, p90, p90 / median, times.get(0),
                times.get(times.size() - 1), times.size(), warmup, dTimes.get(dTimes.size() / 2),
                gTimes.get(gTimes.size() / 2), jitTimed ? jitMs + " ms" : "not timed",
                ProcStatus.kilobytes("VmHWM") >> 10, heapPeak >> 20, ProcStatus.malloc());
        if (profileTop > 0) {
            System.out.print(profile.report(measured, profileTop));
            System.out.println(kernelReport(kernelsBefore, GraphPlan.kernelCalls(), measured));
        }
    }

    /** The replacement kernels' calls per measured iteration ({@link GraphPlan#kernelCalls}), by kind. */
    static String kernelReport(Map<String, Long> before, Map<String, Long> after, int iterations) {
        return "replacement kernels, calls per iteration: " + new TreeMap<>(after).entrySet().stream()
                .filter(e -> e.getValue() > before.getOrDefault(e.getKey(), 0L))
                .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(),
                        (e.getValue() - before.getOrDefault(e.getKey(), 0L)) / (double) iterations))
                .collect(Collectors.joining(", "));
    }
}
