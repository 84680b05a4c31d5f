package org.jgan.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jgan.api.NumericsBackend;
import org.jgan.api.TrainingService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.service.ServiceExtension;

/** The SAGAN, BigGAN and StyleGAN bundles resolve inside Felix, register their architectures and presets. */
@ExtendWith(ServiceExtension.class)
class ModernArchitecturesFrameworkTest {

    @InjectService(timeout = 120_000, filter = "(ready=true)")
    NumericsBackend backend;

    @InjectService(timeout = 30_000)
    TrainingService training;

    @Test
    void architecturesAndPresetsAreRegisteredAndValidate() {
        Set<String> names = training.components().stream().map(c -> c.kind + ":" + c.name)
                .collect(Collectors.toSet());
        for (String expected : Set.of("architecture:sagan", "architecture:biggan", "architecture:stylegan",
                "preset:sagan-32", "preset:sagan-64", "preset:biggan-fashion", "preset:stylegan-fashion")) {
            assertTrue(names.contains(expected), expected + " missing from " + names);
        }
        Map<String, String> resolved = training.validate("biggan-fashion", Map.of("accumulate", "2"));
        assertEquals("biggan", resolved.get("architecture"));
        assertEquals("2", resolved.get("accumulate"));
        assertEquals("Infinity", resolved.get("architecture.truncation"));
    }
}
