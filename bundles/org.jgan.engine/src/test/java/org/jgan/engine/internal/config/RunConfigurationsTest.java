package org.jgan.engine.internal.config;

import java.util.Map;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RunConfigurationsTest {

    @Test
    void frameworkAndComponentKeysAreNotRunSettings() {
        Map<String, Object> props = Map.of("service.pid", "org.jgan.run~x", "component.id", 7L,
                "felix.fileinstall.filename", "file:/w/load/org.jgan.run-ring.cfg", "$001.target", "(ready=true)",
                "lrD", "1e-3", "regularizers", new String[] {"roth", "clip"});
        assertEquals(Map.of("lrD", "1e-3", "regularizers", "roth,clip"), RunConfigurations.settings(props));
    }

    @Test
    void runIdComesFromNameThenFileThenPid() {
        assertEquals("abc", RunConfigurations.runId("org.jgan.run~x", Map.of("name", "abc")));
        assertEquals("ring", RunConfigurations.runId("org.jgan.run.1234",
                Map.of("felix.fileinstall.filename", "file:/w/load/org.jgan.run-ring.cfg")));
        assertEquals("x", RunConfigurations.runId("org.jgan.run~x", Map.of()));
    }
}
