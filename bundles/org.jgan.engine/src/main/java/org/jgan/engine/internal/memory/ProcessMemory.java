package org.jgan.engine.internal.memory;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;
import org.jgan.api.dto.MemoryDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime process's memory as the operating system and the JVM see it, and giving back what finished runs
 * freed.
 */
public final class ProcessMemory {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessMemory.class);
    /** How long ND4J's deallocator threads get to free what a collection found, before the heap is trimmed. */
    private static final long DEALLOCATION_MILLIS = 200;
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /**
     * Resident size of this process, in bytes, as JavaCPP's {@code Pointer.physicalBytes()} counts it (and the
     * memory budget always has): its own resident memory, RssAnon of /proc/self/status (heap, native arrays,
     * stacks), without the resident pages of mapped files such as the native libraries. Read here rather than
     * through JavaCPP because touching JavaCPP's classes while the ND4J bundle initialises them on its loader
     * thread deadlocks on their class initialisation ({@code runtime/jgan exec 'gan:runs'} hung that way); JavaCPP
     * only where there is no /proc.
     */
    public static long resident() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("RssAnon:")) {
                    return Long.parseLong(line.substring("RssAnon:".length()).replace("kB", "").trim()) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return Pointer.physicalBytes();
    }

    /**
     * Returns what a finished run freed to the operating system: a garbage collection (ND4J frees an unreachable
     * array's native buffer only after one; closed arrays are freed already), a pause for ND4J's deallocator
     * threads, then glibc's {@code malloc_trim}, without which freed native memory stays in the process's heap
     * arenas and the resident size does not fall. Costs one full collection (tens of milliseconds on a small heap).
     */
    public static void reclaim() {
        System.gc();
        try {
            Thread.sleep(DEALLOCATION_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        trim();
    }

    /** {@link #reclaim} and the resident size afterwards. */
    public static long reclaimed() {
        reclaim();
        return resident();
    }

    /** glibc's malloc_trim through JavaCPP, which has it but keeps it private; false where it cannot be called. */
    static boolean trim() {
        try {
            Method m = Pointer.class.getDeclaredMethod("trimMemory");
            m.setAccessible(true);
            return Boolean.TRUE.equals(m.invoke(null));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("malloc_trim not available: {}", e.toString());
            return false;
        }
    }

    /** The process's memory now, with {@code runsBytes} as the ND4J arrays that live runs hold. */
    public static MemoryDTO snapshot(long runsBytes) {
        Runtime rt = Runtime.getRuntime();
        MemoryDTO m = new MemoryDTO();
        m.residentBytes = resident();
        m.heapUsedBytes = rt.totalMemory() - rt.freeMemory();
        m.heapCommittedBytes = rt.totalMemory();
        m.heapMaxBytes = rt.maxMemory();
        m.runsBytes = runsBytes;
        m.summary = "memory: resident " + ByteSize.format(m.residentBytes) + ", Java heap "
                + ByteSize.format(m.heapUsedBytes) + " used of " + ByteSize.format(m.heapMaxBytes) + " ("
                + ByteSize.format(m.heapCommittedBytes) + " committed), runs hold " + ByteSize.format(runsBytes)
                + " of ND4J arrays";
        return m;
    }
}
