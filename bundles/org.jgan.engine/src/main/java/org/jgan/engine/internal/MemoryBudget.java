package org.jgan.engine.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The memory a runtime lets its runs take, set by the system or framework property {@value #PROPERTY} (bytes, or
 * with a suffix k, m, g or t: {@code 12g}); unset or {@code auto}, 90% of the machine's physical memory. A run
 * whose parameters (with their gradients, optimizer state and EMA copies) would not fit in what is left of it is
 * refused before the parameter that would not fit is allocated.
 */
final class MemoryBudget {

    static final String PROPERTY = "jgan.memoryBudget";

    /** No limit (tests and tools that build a model outside a runtime). */
    static final MemoryBudget UNLIMITED = new MemoryBudget(Long.MAX_VALUE, "unlimited");

    private final long bytes;
    private final String source;

    private MemoryBudget(long bytes, String source) {
        this.bytes = bytes;
        this.source = source;
    }

    static MemoryBudget of(long bytes, String source) {
        return new MemoryBudget(bytes, source);
    }

    /** The budget {@value #PROPERTY} sets, or 90% of physical memory (unlimited where that cannot be read). */
    static MemoryBudget configured() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank() || value.trim().equals("auto")) {
            long physical = physicalMemory();
            return physical > 0 ? new MemoryBudget(physical / 10 * 9, "90% of physical memory; set " + PROPERTY
                    + " to change it") : UNLIMITED;
        }
        return new MemoryBudget(parse(value), PROPERTY + "=" + value.trim());
    }

    /**
     * Bytes from {@code 123}, {@code 800m}, {@code 1.5g}.
     *
     * @throws IllegalArgumentException naming the property and what is expected
     */
    static long parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (!v.isEmpty() && "kmgt".indexOf(v.charAt(v.length() - 1)) >= 0) {
            unit = 1L << (10 * ("kmgt".indexOf(v.charAt(v.length() - 1)) + 1));
            v = v.substring(0, v.length() - 1);
        }
        try {
            double n = Double.parseDouble(v);
            if (n > 0 && n * unit < Long.MAX_VALUE) {
                return (long) (n * unit);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(PROPERTY + " is '" + value + "'; expected a positive number of bytes with "
                + "an optional suffix k, m, g or t (e.g. 12g), or auto");
    }

    /** MemTotal of /proc/meminfo in bytes, or 0 where it cannot be read. */
    static long physicalMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: no automatic budget
        }
        return 0;
    }

    long bytes() {
        return bytes;
    }

    /** What is left for a new run: the budget less what the process occupies now. */
    long left() {
        return bytes == Long.MAX_VALUE ? bytes : Math.max(0, bytes - ProcessMemory.resident());
    }

    String describe() {
        return bytes == Long.MAX_VALUE ? source : ProgressLine.bytes(bytes) + ": " + source;
    }
}
