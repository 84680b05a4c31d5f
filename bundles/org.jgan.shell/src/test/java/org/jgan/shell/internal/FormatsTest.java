package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.jgan.api.dto.MemoryDTO;
import org.jgan.api.dto.RunStatusDTO;
import org.junit.jupiter.api.Test;

class FormatsTest {

    private static RunStatusDTO run(String id, String summary) {
        RunStatusDTO s = new RunStatusDTO();
        s.id = id;
        s.summary = summary;
        return s;
    }

    @Test
    void runsEndWithTheRuntimesMemoryThenTheRecordedRuns() {
        MemoryDTO m = new MemoryDTO();
        m.summary = "memory: resident 1.21 GB";
        assertEquals("no runs in this runtime\nmemory: resident 1.21 GB\n", Formats.runs(List.of(), m, List.of()));
        assertEquals("RUN                          STATUS\nring                         RUNNING   it 5/10 (50%)\n"
                + "memory: resident 1.21 GB\n", Formats.runs(List.of(run("ring", "RUNNING   it 5/10 (50%)")), m, List.of()));
        assertEquals("no runs in this runtime\nmemory: resident 1.21 GB\n\n"
                + "recorded in runs/ (earlier runtimes, other processes):\n"
                + "RUN                          RECORDED STATUS\n"
                + "old                          COMPLETED it 10/10 (100%)\n",
                Formats.runs(List.of(), m, List.of(run("old", "COMPLETED it 10/10 (100%)"))));
    }
}
