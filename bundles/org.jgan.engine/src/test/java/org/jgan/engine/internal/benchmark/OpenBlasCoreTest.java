package org.jgan.engine.internal.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
    }

    @Test
    void openBlasesOwnChoiceStandsWhereItKnowsTheCpuOrTheCpuHasNothingBetter() {
        assertNull(TorchReference.coreTypeFor("Zen", Set.of("avx2", "fma")));
        assertNull(TorchReference.coreTypeFor("SapphireRapids", AVX512));
        assertNull(TorchReference.coreTypeFor("Prescott", Set.of("sse3")), "a CPU without AVX2");
        assertNull(TorchReference.coreTypeFor(null, AVX512), "OpenBLAS printed no core");
    }
}
