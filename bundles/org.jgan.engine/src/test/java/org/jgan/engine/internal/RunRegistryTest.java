package org.jgan.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Field;
import java.util.Map;
import org.jgan.api.NumericsBackend;
import org.junit.jupiter.api.Test;

class RunRegistryTest {

    private static void setBackend(RunRegistry r, NumericsBackend b) throws Exception {
        Field f = RunRegistry.class.getDeclaredField("backend");
        f.setAccessible(true);
        f.set(r, b);
    }

    @Test
    void startingWithoutUsableNd4jSaysWhy() throws Exception {
        RunRegistry r = new RunRegistry();
        TestCatalog.fill(r.catalog());
        // an invalid setting is refused first, without waiting for ND4J (a headless run exits at once)
        assertEquals("setting: option 'lrD' has value 'NaN'; expected a number in [1.0E-12, 10]",
                assertThrows(IllegalArgumentException.class, () -> r.start(null, Map.of("lrD", "NaN"))).getMessage());
        assertEquals("the ND4J numerics backend is not available yet (bundle org.jgan.nd4j not started or still "
                + "loading); expected a NumericsBackend service",
                assertThrows(IllegalStateException.class, () -> r.start(null, Map.of())).getMessage());
        setBackend(r, new NumericsBackend() {
            public String description() {
                return "unavailable";
            }

            public String failure() {
                return "ND4J failed to load: java.lang.UnsatisfiedLinkError: no jnind4jcpu";
            }
        });
        assertEquals("ND4J failed to load: java.lang.UnsatisfiedLinkError: no jnind4jcpu; expected ND4J natives for "
                + "this CPU in bundle org.jgan.nd4j",
                assertThrows(IllegalStateException.class, () -> r.start(null, Map.of())).getMessage());
    }

    @Test
    void unknownRunsAreNamed() {
        RunRegistry r = new RunRegistry();
        assertEquals("unknown run 'x'; runs: none",
                assertThrows(IllegalArgumentException.class, () -> r.status("x")).getMessage());
    }
}
