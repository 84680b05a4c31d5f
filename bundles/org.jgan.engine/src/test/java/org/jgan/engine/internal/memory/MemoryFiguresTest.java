package org.jgan.engine.internal.memory;

import org.jgan.api.dto.MemoryDTO;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How memory figures are read and shown: byte counts, the runtime's memory line, the budget's setting (the progress
 * line's mem field: ProgressLineTest). */
class MemoryFiguresTest {

    @Test
    void bytesHaveThreeSignificantDigits() {
        assertEquals("0 B", ByteSize.format(0));
        assertEquals("999 B", ByteSize.format(999));
        assertEquals("1.00 kB", ByteSize.format(1000));
        assertEquals("950 kB", ByteSize.format(950_000));
        assertEquals("1.00 MB", ByteSize.format(999_600));
        assertEquals("12.3 MB", ByteSize.format(12_345_678));
        assertEquals("1.21 GB", ByteSize.format(1_212_000_000));
        assertEquals("9.22 EB", ByteSize.format(Long.MAX_VALUE));
    }

    @Test
    void theRuntimesMemoryIsOneLine() {
        MemoryDTO m = ProcessMemory.snapshot(12_300_000);
        assertTrue(m.residentBytes > m.heapUsedBytes / 10 && m.heapMaxBytes >= m.heapCommittedBytes, m.toString());
        assertTrue(m.summary.matches("memory: resident [0-9.]+ [kMG]B, Java heap [0-9.]+ [kMG]?B used of [0-9.]+ [MG]B "
                + "\\([0-9.]+ [kMG]B committed\\), runs hold 12.3 MB of ND4J arrays"), m.summary);
    }

    @Test
    void theBudgetIsReadWithUnitsAndABadValueIsNamed() {
        assertEquals(123, MemoryBudget.parse("123"));
        assertEquals(800L << 20, MemoryBudget.parse("800m"));
        assertEquals(3L << 29, MemoryBudget.parse(" 1.5G "));
        assertEquals("jgan.memoryBudget is 'lots'; expected a positive number of bytes with an optional suffix k, m, "
                + "g or t (e.g. 12g), or auto", assertThrows(IllegalArgumentException.class,
                        () -> MemoryBudget.parse("lots")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryBudget.parse("-2g"));
        assertThrows(IllegalArgumentException.class, () -> MemoryBudget.parse("g"));
    }
}
