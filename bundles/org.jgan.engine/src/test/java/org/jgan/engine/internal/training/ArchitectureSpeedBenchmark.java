package org.jgan.engine.internal.training;

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
import org.jgan.api.Side;
import org.jgan.engine.internal.ProcStatus;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The harness of {@link DcganSpeedBenchmark} for the architectures of the SAGAN, BigGAN and StyleGAN papers: time
 * per iteration (all D steps and one G step of the preset, with its loss and regularizers; D and G steps also
 * timed apart) at 1 x 32 x 32, batch 32, the architecture's default widths, and the process's peak memory. Peak
 * resident memory is per process, so each architecture runs in a JVM of its own, started by the test with the
 * test class path: {@code -Djgan.bench.architectures=a,b} chooses them (default all: {@code dcgan} (width 64,
 * non-saturating, the baseline), {@code sagan}, {@code biggan}, {@code stylegan}, {@code stylegan2}: StyleGAN
 * with weight demodulation). Prints figures; asserts nothing about time.
 * <pre>
 * mvn -B -pl bundles/org.jgan.engine -am -Pbenchmark verify -Dtest=ArchitectureSpeedBenchmark \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx2
 * </pre>
 */
@Tag("benchmark")
class ArchitectureSpeedBenchmark {

    private static final int WARMUP = 3;
    private static final int MEASURED = 10;

    static Map<String, String> settings(String architecture) {
        Map<String, String> raw = new HashMap<>(switch (architecture) {
            case "dcgan" -> Map.of("architecture", "dcgan", "architecture.channels", "64", "latent", "100");
            case "sagan" -> preset("sagan-32");
            case "biggan" -> preset("biggan-fashion");
            case "stylegan" -> preset("stylegan-fashion");
            case "stylegan2" -> withDemodulation(preset("stylegan-fashion"));
            default -> throw new IllegalArgumentException("jgan.bench.architecture: '" + architecture
                    + "'; expected dcgan, sagan, biggan, stylegan or stylegan2");
        });
        raw.keySet().removeIf(k -> k.startsWith("dataset."));
        raw.putAll(Map.of("dataset", "test-images", "dataset.size", "32", "dataset.channels", "1",
                "dataset.classes", architecture.equals("biggan") ? "10" : "0", "batchSize", "32", "metrics", "none"));
        return raw;
    }

    private static Map<String, String> preset(String name) {
        return ModernArchitecturesTest.preset(name).settings();
    }

    private static Map<String, String> withDemodulation(Map<String, String> preset) {
        Map<String, String> m = new HashMap<>(preset);
        m.put("architecture.modulation", "demodulation");
        return m;
    }

    @Test
    void millisecondsPerIterationAndPeakMemory() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String architecture : System.getProperty("jgan.bench.architectures", "dcgan,sagan,biggan,stylegan,stylegan2")
                .split(",")) {
            List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
            for (String p : List.of("org.bytedeco.javacpp.platform.extension", "org.bytedeco.javacpp.cachedir")) {
                if (System.getProperty(p) != null) {
                    command.add("-D" + p + "=" + System.getProperty(p));
                }
            }
            command.addAll(List.of(Main.class.getName(), architecture.trim()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            for (String line : new String(process.getInputStream().readAllBytes()).split("\n")) {
                if (line.startsWith("jgan ")) {
                    System.out.println(line);
                }
            }
            process.waitFor();
        }
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
        List<Double> times = new ArrayList<>();
        List<Double> dTimes = new ArrayList<>();
        List<Double> gTimes = new ArrayList<>();
        for (int it = 0; it < WARMUP + MEASURED; it++) {
            long t0 = System.nanoTime();
            for (int k = 0; k < dSteps; k++) {
                m.discriminatorStep(it, k);
            }
            long t1 = System.nanoTime();
            m.generatorStep(it);
            long t2 = System.nanoTime();
            if (it >= WARMUP) {
                times.add((t2 - t0) / 1e6);
                dTimes.add((t1 - t0) / 1e6 / dSteps);
                gTimes.add((t2 - t1) / 1e6);
            }
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
        System.out.printf(Locale.ROOT, "jgan %s 1x32x32 batch 32, loss %s, regularizers '%s', %d D step(s) (G %d, D %d "
                + "parameters), native build linux-x86_64%s, %d threads: median %.1f ms/iteration (min %.1f, max %.1f, "
                + "%d measured; D step %.1f, G step %.1f); peak resident %d MB, of which Java heap at most %d MB%n",
                architecture,
                spec.loss().name(), spec.settings().regularizers(), dSteps, m.parameterCount(Side.GENERATOR),
                m.parameterCount(Side.DISCRIMINATOR),
                System.getProperty("org.bytedeco.javacpp.platform.extension", ""),
                Runtime.getRuntime().availableProcessors(), times.get(times.size() / 2), times.get(0),
                times.get(times.size() - 1), times.size(), dTimes.get(dTimes.size() / 2),
                gTimes.get(gTimes.size() / 2), ProcStatus.kilobytes("VmHWM") >> 10, heapPeak >> 20);
    }
}
