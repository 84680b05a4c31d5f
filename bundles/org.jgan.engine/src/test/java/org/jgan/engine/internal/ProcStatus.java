package org.jgan.engine.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's /proc/self/status and allocator settings, for the benchmarks' memory figures. */
public final class ProcStatus {

    private ProcStatus() {
    }

    /** A line of /proc/self/status in kB, e.g. VmHWM (peak resident set); -1 where unreadable. */
    public static long kilobytes(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** glibc's allocator settings this process started with, as config.json records them. */
    public static String malloc() {
        return Provenance.malloc(System.getenv());
    }
}
