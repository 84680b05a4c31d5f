package org.jgan.engine.internal.memory;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** The resident size read from /proc is the one JavaCPP reports, without touching JavaCPP. */
class ProcessMemoryTest {

    @Test
    void residentSizeIsTheProcesssAsJavaCppSeesIt() {
        long ours = ProcessMemory.resident();
        long javacpp = Pointer.physicalBytes();
        assertTrue(ours > 10_000_000L, "a JVM occupies more than 10 MB: " + ours);
        assertTrue(Math.abs(ours - javacpp) < 32_000_000L, "ours " + ours + ", JavaCPP's " + javacpp);
    }
}
