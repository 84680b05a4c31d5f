package org.jgan.engine.internal.memory;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** The resident size read from /proc is the one JavaCPP reports, without touching JavaCPP. */
class ProcessMemoryTest {

    @Test
    void residentSizeIsTheProcesssAsJavaCppSeesIt() {
        // the resident size moves while other threads (collections, ND4J's deallocators) free memory: JavaCPP's
        // reading must lie between two of ours taken around it, within 1 MB, in one of ten tries
        String seen = "";
        for (int attempt = 0; attempt < 10; attempt++) {
            long before = ProcessMemory.resident();
            long javacpp = Pointer.physicalBytes();
            long after = ProcessMemory.resident();
            assertTrue(before > 10_000_000L, "a JVM occupies more than 10 MB: " + before);
            long slack = 1_000_000L;
            if (javacpp >= Math.min(before, after) - slack && javacpp <= Math.max(before, after) + slack) {
                return;
            }
            seen += String.format(" [ours %d, JavaCPP's %d, ours %d]", before, javacpp, after);
        }
        fail("JavaCPP's resident size was never between two of ours:" + seen);
    }
}
