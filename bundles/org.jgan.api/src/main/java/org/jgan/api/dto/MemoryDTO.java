package org.jgan.api.dto;

import org.osgi.dto.DTO;

/**
 * The training runtime's memory: what the process occupies and what its runs hold.
 *
 * @since 1.1
 */
public class MemoryDTO extends DTO {

    /** Resident set size of the process (physical memory it occupies), in bytes. */
    public long residentBytes;
    /** Java heap in use, in bytes. */
    public long heapUsedBytes;
    /** Java heap reserved from the operating system, in bytes (part of the resident size once touched). */
    public long heapCommittedBytes;
    /** The most the Java heap may grow to, in bytes. */
    public long heapMaxBytes;
    /**
     * Native (off-heap) bytes of the ND4J arrays that the runs of this runtime hold now: parameters, state buffers,
     * optimizer state, EMA copies and the graphs' array caches. Finished runs hold none.
     */
    public long runsBytes;
    /**
     * All of the above as one line, e.g. {@code memory: resident 1.21 GB, Java heap 212 MB used of 6.00 GB (410 MB
     * committed), runs hold 12.3 MB of ND4J arrays}.
     */
    public String summary;
}
