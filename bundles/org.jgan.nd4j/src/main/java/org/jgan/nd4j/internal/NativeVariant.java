package org.jgan.nd4j.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which build of the ND4J CPU natives to load. oneDNN with AVX-512 is about 2.5x faster than the plain OpenBLAS
 * build on a small DCGAN on the project's machines (docs/performance.md), but only runs on CPUs with AVX-512.
 */
record NativeVariant(String extension, String reason) {

    /** JavaCPP system property that selects the native variant. */
    static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";
    /** Override: {@code auto} (default), {@code plain} or {@code onednn-avx512}. */
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
                return new NativeVariant("-onednn-avx512", OVERRIDE + "=onednn-avx512");
            case "auto":
                break;
            default:
                throw new IllegalArgumentException(OVERRIDE + " is '" + override
                        + "'; expected auto, plain or onednn-avx512");
        }
        if (cpuFlags.contains("avx512f") && cpuFlags.contains("avx512bw") && cpuFlags.contains("avx512vl")) {
            return new NativeVariant("-onednn-avx512", "the CPU has AVX-512 (avx512f, avx512bw, avx512vl)");
        }
        return new NativeVariant("", "the CPU lacks AVX-512" + (cpuFlags.isEmpty() ? " (no CPU flags readable)" : ""));
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
