package org.jgan.engine.internal.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link IsaLimits}: the line naming the instruction-set limits a benchmark runs under. */
class IsaLimitsTest {

    @Test
    void everyLimitOfTheAvx2StandIn() {
        Map<String, String> env = Map.of("DNNL_MAX_CPU_ISA", "AVX2", "ATEN_CPU_CAPABILITY", "avx2",
                "OPENBLAS_CORETYPE", "Haswell", "PATH", "/usr/bin");
        assertEquals("instruction sets: oneDNN at most AVX2 (DNNL_MAX_CPU_ISA), PyTorch's ATen kernels avx2 "
                + "(ATEN_CPU_CAPABILITY), OpenBLAS's Haswell kernels (OPENBLAS_CORETYPE), this JVM's vectors "
                + "-XX:UseAVX=2, its child JVMs' -XX:UseAVX=2 (-Djgan.bench.jvmArgs), libnd4j's build -onednn-avx2",
                IsaLimits.describe(env, "2", "-Xss4m -XX:UseAVX=2", "-onednn-avx2"));
    }

    @Test
    void oneDnnsNewNameIsReadBeforeTheOld() {
        assertEquals("instruction sets: oneDNN at most AVX512_CORE (ONEDNN_MAX_CPU_ISA)", IsaLimits.describe(
                Map.of("ONEDNN_MAX_CPU_ISA", "AVX512_CORE", "DNNL_MAX_CPU_ISA", "AVX2"), null, "", null));
    }

    @Test
    void noLimitsSaysSo() {
        assertEquals("instruction sets: each library's own choice for this CPU (no limits set)",
                IsaLimits.describe(Map.of("PATH", "/usr/bin"), null, "-Xss4m", ""));
    }
}
