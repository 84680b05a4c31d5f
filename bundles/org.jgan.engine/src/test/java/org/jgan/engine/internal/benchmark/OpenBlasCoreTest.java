package org.jgan.engine.internal.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The OpenBLAS core type the PyTorch reference gets where OpenBLAS does not know the CPU ({@link TorchReference}). */
class OpenBlasCoreTest {

    /** The AVX-512 flags of /proc/cpuinfo that OpenBLAS's SkylakeX kernels need. */
    private static final Set<String> AVX512 = Set.of("sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw",
            "avx512dq", "avx512vl");

    @Test
    void aCpuOpenBlasFellBackOnGetsTheKernelsOfItsFeatures() {
        // Emerald Rapids (family 6 model 207) under Debian 12's OpenBLAS 0.3.21: Prescott, though it has BF16
        Set<String> emerald = new java.util.HashSet<>(AVX512);
        emerald.add("avx512_bf16");
        emerald.add("amx_tile");
        assertEquals("Cooperlake", TorchReference.coreTypeFor("Prescott", emerald));
        assertEquals("SkylakeX", TorchReference.coreTypeFor("Prescott", AVX512));
        assertEquals("Haswell", TorchReference.coreTypeFor("Prescott", Set.of("sse3", "avx", "avx2", "fma")));
        // BF16 without the rest of AVX-512 that Cooperlake's kernels use: AVX2's
        assertEquals("Haswell", TorchReference.coreTypeFor("Prescott", Set.of("avx2", "fma", "avx512_bf16")));
        assertEquals("Sandybridge", TorchReference.coreTypeFor("Prescott", Set.of("sse3", "avx")));
    }

    @Test
    void keepsOpenBlasChoiceWhereItKnowsTheCpuOrTheCpuHasNothingBetter() {
        assertNull(TorchReference.coreTypeFor("Zen", Set.of("avx2", "fma")));
        assertNull(TorchReference.coreTypeFor("SapphireRapids", AVX512));
        assertNull(TorchReference.coreTypeFor("Prescott", Set.of("sse3", "ssse3")), "a CPU without AVX");
        assertNull(TorchReference.coreTypeFor(null, AVX512), "OpenBLAS printed no core");
    }

    /** What OpenBLAS 0.3.21 printed under PyTorch on Emerald Rapids with OPENBLAS_VERBOSE=2, and /proc/cpuinfo there. */
    @Test
    void readsTheCoreOpenBlasPrintedAndTheFirstProcessorsFlags() {
        assertEquals("Prescott", TorchReference.detectedCore("Core: Prescott\n"));
        assertEquals("Cooperlake", TorchReference.detectedCore("Core not found: \nCore: Cooperlake\n"));
        assertNull(TorchReference.detectedCore("no BLAS messages\n"));
        Map<String, String> cpu = TorchReference.cpuInfo(List.of("processor\t: 0", "vendor_id\t: GenuineIntel",
                "cpu family\t: 6", "model\t\t: 207", "model name\t: Intel(R) Xeon(R) Processor",
                "flags\t\t: fpu sse3 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16 amx_tile", "",
                "processor\t: 1", "model\t\t: 999", "flags\t\t: fpu"));
        assertEquals("207", cpu.get("model"), "the first processor's model");
        assertEquals("Intel(R) Xeon(R) Processor", cpu.get("model name"));
        Set<String> flags = Set.of(cpu.get("flags").split("\\s+"));
        assertEquals("Cooperlake", TorchReference.coreTypeFor(TorchReference.detectedCore("Core: Prescott"), flags));
    }
}
