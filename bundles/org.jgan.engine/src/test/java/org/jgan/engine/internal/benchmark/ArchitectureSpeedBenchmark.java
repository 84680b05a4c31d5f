package org.jgan.engine.internal.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jgan.api.Side;
import org.jgan.engine.internal.ProcStatus;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
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
 * {@code -Djgan.bench.iterations=N} the warm-up and measured iterations (default 20 and 30; the ResNet's 5 and 10);
 * {@code -Djgan.bench.profile=N} prints the N ops that take the most time; {@code -Djgan.bench.times=true} the
 * measured iterations' times in order; {@code -Djgan.bench.torch=false} skips
 * PyTorch; {@code -Djgan.bench.jvmArgs="..."} adds options to each architecture's JVM ({@code {architecture}} in
 * them replaced by its name, e.g. {@code -XX:StartFlightRecording=filename=/tmp/{architecture}.jfr});
 * {@code -Djgan.bench.rounds=R} runs jgan's JVM and the PyTorch port R times alternating for each architecture and
 * prints the median of the rounds' ratios with the rounds' own (this machine's speed drifts by 10-40% within
 * minutes). Prints figures; asserts nothing about time.
 * <pre>
 * mvn -B -pl bundles/org.jgan.engine -Pbenchmark test -Dtest=ArchitectureSpeedBenchmark \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx512
 * </pre>
 */
@Tag("benchmark")
class ArchitectureSpeedBenchmark {

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
                "dataset.classes", architecture.equals("biggan") ? "10" : "0", "batchSize", "32", "metrics", "none"));
        return raw;
    }

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
            default -> List.of(architecture + "_torch.py");
        };
    }

    private static int warmup(String architecture) {
        return Integer.getInteger("jgan.bench.warmup", architecture.equals("resnet") ? 5 : 20);
    }

    private static int measured(String architecture) {
        return Integer.getInteger("jgan.bench.iterations", architecture.equals("resnet") ? 10 : 30);
    }

    @Test
    void millisecondsPerIterationAndPeakMemory() throws Exception {
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
                Double jgan = jgan(architecture);
                Double reference = jgan == null || !torch ? null : pytorch(architecture);
                if (reference != null) {
                    rs.add(jgan / reference);
                }
            }
            if (!rs.isEmpty()) {
                List<Double> sorted = rs.stream().sorted().toList();
                ratios.add(String.format(Locale.ROOT, "%s %.2fx", architecture, sorted.get(sorted.size() / 2))
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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        for (String p : List.of("org.bytedeco.javacpp.platform.extension", "org.bytedeco.javacpp.cachedir",
                "jgan.bench.warmup", "jgan.bench.iterations", "jgan.bench.profile", "jgan.graph.executor",
                "jgan.bench.times")) {
            if (System.getProperty(p) != null) {
                command.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        String jvmArgs = System.getProperty("jgan.bench.jvmArgs", "").trim();
        if (!jvmArgs.isEmpty()) {
            command.addAll(List.of(jvmArgs.replace("{architecture}", architecture).split("\\s+")));
        }
        command.addAll(List.of(Main.class.getName(), architecture));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Double jgan = null;
        boolean report = false;
        String[] lines = new String(process.getInputStream().readAllBytes()).split("\n");
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
        int status = process.waitFor();
        if (jgan == null) {
            System.out.println("jgan " + architecture + ": no figures (exit status " + status + "); its last lines:");
            for (int i = Math.max(0, lines.length - 15); i < lines.length; i++) {
                System.out.println("  " + lines[i]);
            }
        }
        return jgan;
    }

    /** Runs the architecture's PyTorch port, prints its figures; its median, or null. */
    private static Double pytorch(String architecture) throws InterruptedException {
        List<String> script = torchScript(architecture);
        List<String> args = new ArrayList<>(List.of(String.valueOf(warmup(architecture)),
                String.valueOf(measured(architecture)), String.valueOf(Runtime.getRuntime().availableProcessors())));
        args.addAll(script.subList(1, script.size()));
        String out = TorchReference.run(script.get(0), args.toArray(new String[0]));
        Double torch = out == null ? null : median(out);
        if (torch != null) {
            System.out.println(out.trim());
        }
        return torch;
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
        List<Double> times = new ArrayList<>();
        List<Double> dTimes = new ArrayList<>();
        List<Double> gTimes = new ArrayList<>();
        for (int it = 0; it < warmup + measured; it++) {
            if (it == warmup && profileTop > 0) {
                m.listen(profile);
            }
            long t0 = System.nanoTime();
            for (int k = 0; k < dSteps; k++) {
                m.discriminatorStep(it, k);
            }
            long t1 = System.nanoTime();
            m.generatorStep(it);
            long t2 = System.nanoTime();
            if (it >= warmup) {
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
                + "%d D step(s), native build linux-x86_64%s, %d threads: median %.1f ms/iteration (mean %.1f, p90 %.1f "
                + "= %.2fx the median, min %.1f, max %.1f, %d measured; D step %.1f, G step %.1f); peak resident %d MB, "
                + "of which Java heap at most %d MB; malloc: %s%n",
                architecture, m.parameterCount(Side.GENERATOR), m.parameterCount(Side.DISCRIMINATOR),
                spec.loss().name(), spec.settings().regularizers(), dSteps,
                System.getProperty("org.bytedeco.javacpp.platform.extension", ""),
                Runtime.getRuntime().availableProcessors(), median, mean, p90, p90 / median, times.get(0),
                times.get(times.size() - 1), times.size(), dTimes.get(dTimes.size() / 2),
                gTimes.get(gTimes.size() / 2), ProcStatus.kilobytes("VmHWM") >> 10, heapPeak >> 20,
                ProcStatus.malloc());
        if (profileTop > 0) {
            System.out.print(profile.report(measured, profileTop));
        }
    }
}
