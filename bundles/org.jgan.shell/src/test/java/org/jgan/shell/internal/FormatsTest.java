package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.jgan.api.dto.MemoryDTO;
import org.jgan.api.dto.RunStatusDTO;
import org.junit.jupiter.api.Test;

class FormatsTest {

    @Test
    void runsEndWithTheRuntimesMemory() {
        MemoryDTO m = new MemoryDTO();
        m.summary = "memory: resident 1.21 GB";
        assertEquals("no runs\nmemory: resident 1.21 GB\n", Formats.runs(List.of(), m));
        RunStatusDTO s = new RunStatusDTO();
        s.id = "ring";
        s.summary = "RUNNING   it 5/10 (50%)";
        assertEquals("RUN                          STATUS\nring                         RUNNING   it 5/10 (50%)\n"
                + "memory: resident 1.21 GB\n", Formats.runs(List.of(s), m));
    }
}
