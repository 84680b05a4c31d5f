package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeVariantTest {

    @Test
    void avx512CpuGetsOneDnnAvx512() {
        NativeVariant v = NativeVariant.choose(null, Set.of("sse2", "avx2", "avx512f", "avx512bw", "avx512vl"));
        assertEquals("linux-x86_64-onednn-avx512", v.classifier());
    }

    @Test
    void avx2CpuGetsOneDnnAvx2() {
        NativeVariant v = NativeVariant.choose("auto", Set.of("sse2", "avx2", "fma"));
        assertEquals("linux-x86_64-onednn-avx2", v.classifier());
        assertTrue(v.reason().contains("lacks AVX-512"));
        // avx512f alone (without bw and vl) is not enough for the AVX-512 build
        assertEquals("linux-x86_64-onednn-avx2", NativeVariant.choose(null, Set.of("avx2", "fma", "avx512f")).classifier());
    }

    @Test
    void cpuWithoutAvx2GetsPlainBuild() {
        NativeVariant v = NativeVariant.choose("auto", Set.of("sse2", "avx"));
        assertEquals("linux-x86_64", v.classifier());
        assertTrue(v.reason().contains("lacks AVX2"));
        assertEquals("linux-x86_64", NativeVariant.choose("auto", Set.of()).classifier());
    }

    @Test
    void overrideWinsAndBadOverrideIsNamed() {
        assertEquals("", NativeVariant.choose("plain", Set.of("avx512f", "avx512bw", "avx512vl")).extension());
        assertEquals("-onednn-avx2", NativeVariant.choose("onednn-avx2", Set.of()).extension());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeVariant.choose("cuda", Set.of()));
        assertTrue(e.getMessage().contains("jgan.nd4j.variant is 'cuda'"), e.getMessage());
    }

    @Test
    void readsFlagsOfCpuinfo(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cpuinfo");
        Files.writeString(f, "processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512bw\n\nprocessor\t: 1\nflags : fpu\n");
        assertEquals(Set.of("fpu", "sse2", "avx512f", "avx512bw"), NativeVariant.cpuFlags(f));
        assertEquals(Set.of(), NativeVariant.cpuFlags(dir.resolve("missing")));
    }
}
