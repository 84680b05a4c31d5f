package org.jgan.engine.internal.benchmark;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The instruction-set limits a benchmark runs under, printed at its start, so that a run on a CPU with AVX-512 can
 * stand in for one with AVX2 alone, every library on both sides held to AVX2 (docs/architectures.md, "AVX2 on an
 * AVX-512 CPU"):
 * <ul>
 * <li>oneDNN's highest ISA, {@code ONEDNN_MAX_CPU_ISA} or {@code DNNL_MAX_CPU_ISA}: read by each oneDNN in the
 * process (libnd4j's, the plans' own through {@code org.bytedeco.dnnl}, PyTorch's);</li>
 * <li>PyTorch's ATen kernels, {@code ATEN_CPU_CAPABILITY};</li>
 * <li>OpenBLAS's kernels, {@code OPENBLAS_CORETYPE} (ND4J's and PyTorch's);</li>
 * <li>HotSpot's vectors, {@code -XX:UseAVX} of this JVM, and of the JVMs {@link ArchitectureSpeedBenchmark} starts
 * where {@code -Djgan.bench.jvmArgs} sets it;</li>
 * <li>libnd4j's build, {@code -Dorg.bytedeco.javacpp.platform.extension} (the jgan lines print the one loaded).</li>
 * </ul>
 * Environment variables reach the JVM under test and the PyTorch scripts alike.
 */
final class IsaLimits {

    private static final Pattern USE_AVX = Pattern.compile("-XX:UseAVX=(\\d+)");

    private IsaLimits() {
    }

    /** Prints this process's limits (see {@link #describe}). */
    static void print() {
        System.out.println(describe(System.getenv(), useAvx(), System.getProperty("jgan.bench.jvmArgs", ""),
                System.getProperty("org.bytedeco.javacpp.platform.extension")));
    }

    /**
     * One line naming each limit set: {@code env} the environment, {@code useAvx} this JVM's {@code UseAVX} where set
     * on its command line (else null), {@code childJvmArgs} the arguments of the JVMs a benchmark starts,
     * {@code extension} the libnd4j build asked for (null: the platform's default).
     */
    static String describe(Map<String, String> env, String useAvx, String childJvmArgs, String extension) {
        List<String> limits = new ArrayList<>();
        String onednn = env.getOrDefault("ONEDNN_MAX_CPU_ISA", env.get("DNNL_MAX_CPU_ISA"));
        if (onednn != null) {
            limits.add("oneDNN at most " + onednn + " ("
                    + (env.containsKey("ONEDNN_MAX_CPU_ISA") ? "ONEDNN_MAX_CPU_ISA" : "DNNL_MAX_CPU_ISA") + ")");
        }
        if (env.get("ATEN_CPU_CAPABILITY") != null) {
            limits.add("PyTorch's ATen kernels " + env.get("ATEN_CPU_CAPABILITY") + " (ATEN_CPU_CAPABILITY)");
        }
        if (env.get("OPENBLAS_CORETYPE") != null) {
            limits.add("OpenBLAS's " + env.get("OPENBLAS_CORETYPE") + " kernels (OPENBLAS_CORETYPE)");
        }
        if (useAvx != null) {
            limits.add("this JVM's vectors -XX:UseAVX=" + useAvx);
        }
        Matcher child = USE_AVX.matcher(childJvmArgs == null ? "" : childJvmArgs);
        if (child.find()) {
            limits.add("its child JVMs' -XX:UseAVX=" + child.group(1) + " (-Djgan.bench.jvmArgs)");
        }
        if (extension != null && !extension.isBlank()) {
            limits.add("libnd4j's build " + extension);
        }
        return limits.isEmpty() ? "instruction sets: each library's own choice for this CPU (no limits set)"
                : "instruction sets: " + String.join(", ", limits);
    }

    /** This JVM's UseAVX where its command line set it, else null. */
    private static String useAvx() {
        try {
            VMOption o = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("UseAVX");
            return o.getOrigin() == VMOption.Origin.DEFAULT || o.getOrigin() == VMOption.Origin.ERGONOMIC ? null
                    : o.getValue();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
