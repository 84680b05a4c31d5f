package org.jgan.engine.internal.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The memory a runtime lets its runs take, set by the system or framework property {@value #PROPERTY} (bytes, or
 * with a suffix k, m, g or t: {@code 12g}); unset or {@code auto}, 80% of the machine's physical memory. A run
 * whose parameters (with their gradients, optimizer state, the update's temporaries, the checkpoint's copy and EMA
 * copies) would not fit in what is left of it, or in the memory the machine has available, is refused before the
 * parameter that would not fit is allocated.
 */
public final class MemoryBudget {

    public static final String PROPERTY = "jgan.memoryBudget";

    /** No limit (tests and tools that build a model outside a runtime). */
    public static final MemoryBudget UNLIMITED = new MemoryBudget(Long.MAX_VALUE, "unlimited");

    private final long bytes;
    private final String source;

    private MemoryBudget(long bytes, String source) {
        this.bytes = bytes;
        this.source = source;
    }

    public static MemoryBudget of(long bytes, String source) {
        return new MemoryBudget(bytes, source);
    }

    /** The budget {@value #PROPERTY} sets, or 80% of physical memory (unlimited where that cannot be read). */
    public static MemoryBudget configured() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank() || value.trim().equals("auto")) {
            long physical = physicalMemory();
            return physical > 0 ? new MemoryBudget(physical / 10 * 8, "80% of physical memory; set " + PROPERTY
                    + " to change it") : UNLIMITED;
        }
        return new MemoryBudget(parse(value), PROPERTY + "=" + value.trim());
    }

    /**
     * Bytes from {@code 123}, {@code 800m}, {@code 1.5g}.
     *
     * @throws IllegalArgumentException naming the property and what is expected
     */
    public static long parse(String value) {
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
        return meminfo("MemTotal:");
    }

    /** MemAvailable of /proc/meminfo (what can be had without swapping, other processes counted), or 0. */
    static long availableMemory() {
        return meminfo("MemAvailable:");
    }

    private static long meminfo(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: no automatic budget
        }
        return 0;
    }

    public long bytes() {
        return bytes;
    }

    /**
     * What is left for a new run: the budget less what the process occupies now, and no more than the machine has
     * available (other processes take memory too).
     */
    public long left() {
        if (bytes == Long.MAX_VALUE) {
            return bytes;
        }
        long left = Math.max(0, bytes - ProcessMemory.resident());
        long available = availableMemory();
        return available > 0 ? Math.min(left, available) : left;
    }

    /**
     * The check a training run makes between iterations: when the process's resident size is over the budget, what
     * finished runs and past steps left is reclaimed once; when it is still over, the run must stop before the
     * operating system ends the whole process (and every run in it) for want of memory.
     *
     * @param resident the resident size now
     * @param reclaim  frees what can be freed and returns the resident size afterwards
     * @throws IllegalStateException naming the sizes, when the run must stop
     */
    public void guard(String run, long iteration, long resident, java.util.function.LongSupplier reclaim) {
        if (resident <= bytes) {
            return;
        }
        long after = reclaim.getAsLong();
        if (after > bytes) {
            throw new IllegalStateException("the runtime's resident size reached " + ByteSize.format(after)
                    + " while run '" + run + "' trained at iteration " + iteration + ", over the memory budget of "
                    + describe() + "; the run stops here so that the machine does not run out of memory (its last "
                    + "checkpoint is kept); expected a smaller network or batch, fewer runs at once, or a larger "
                    + "budget (-D" + PROPERTY + "=...)");
        }
    }

    public String describe() {
        return bytes == Long.MAX_VALUE ? source : ByteSize.format(bytes) + ": " + source;
    }
}
