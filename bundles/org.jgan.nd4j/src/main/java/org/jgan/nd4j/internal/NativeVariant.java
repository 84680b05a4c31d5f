package org.jgan.nd4j.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which build of the ND4J CPU natives to load: the fastest the CPU can run. The oneDNN builds run convolutions and
 * batch normalization through oneDNN; on a small DCGAN they are about 2.5x (AVX-512) and 2x (AVX2) faster than the
 * plain OpenBLAS build (docs/architectures.md, "Speed"). oneDNN AVX-512 needs avx512f, avx512bw and avx512vl;
 * oneDNN AVX2 needs avx2 and fma; any other x86-64 CPU gets the plain build.
 */
record NativeVariant(String extension, String reason) {

    /** JavaCPP system property that selects the native variant. */
    static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";
    /** Override: {@code auto} (default), {@code plain}, {@code onednn-avx2} or {@code onednn-avx512}. */
    static final String OVERRIDE = "jgan.nd4j.variant";

    /** The platform classifier the variant loads, e.g. {@code linux-x86_64-onednn-avx512}. */
    String classifier() {
        return "linux-x86_64" + extension;
    }

    static NativeVariant choose(String override, Set<String> cpuFlags) {
        String wanted = override == null ? "auto" : override.trim().toLowerCase(Locale.ROOT);
        switch (wanted) {
            case "plain":
                return new NativeVariant("", OVERRIDE + "=plain");
            case "onednn-avx512":
            case "onednn-avx2":
                return new NativeVariant("-" + wanted, OVERRIDE + "=" + wanted);
            case "auto":
                break;
            default:
                throw new IllegalArgumentException(OVERRIDE + " is '" + override
                        + "'; expected auto, plain, onednn-avx2 or onednn-avx512");
        }
        if (cpuFlags.contains("avx512f") && cpuFlags.contains("avx512bw") && cpuFlags.contains("avx512vl")) {
            return new NativeVariant("-onednn-avx512", "the CPU has AVX-512 (avx512f, avx512bw, avx512vl)");
        }
        if (cpuFlags.contains("avx2") && cpuFlags.contains("fma")) {
            return new NativeVariant("-onednn-avx2", "the CPU has AVX2 and FMA but lacks AVX-512");
        }
        return new NativeVariant("", "the CPU lacks AVX2/FMA" + (cpuFlags.isEmpty() ? " (no CPU flags readable)" : ""));
    }

    /** Flags of the first processor in {@code /proc/cpuinfo}; empty when unreadable (non-Linux). */
    static Set<String> cpuFlags(Path cpuinfo) {
        Set<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("flags")) {
                    int colon = line.indexOf(':');
                    for (String f : line.substring(colon + 1).trim().split("\\s+")) {
                        flags.add(f);
                    }
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
        return flags;
    }
}
