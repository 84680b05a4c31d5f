package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExploreArgumentsTest {

    private static final Set<String> KEYS = Set.of("seed", "variants", "noise", "mode");

    @Test
    void wordsAndTypedOptions() {
        ExploreArguments a = ExploreArguments.parse("gan:arithmetic", List.of("12,31", "-", "3", "variants=4",
                "noise=0.5", "seed=-7"), KEYS);
        assertEquals("12,31 - 3", a.words());
        assertEquals(4, a.intValue("variants", 8));
        assertEquals(0.5, a.doubleValue("noise", 0.25));
        assertEquals(-7L, a.seed());
        ExploreArguments none = ExploreArguments.parse("gan:sample", List.of(), KEYS);
        assertNull(none.seed(), "no seed: the run's own sample batch");
        assertEquals(8, none.intValue("variants", 8));
        assertEquals("linear", none.choice("mode", "linear", Set.of("linear", "spherical")));
    }

    @Test
    void badOptionsAreNamed() {
        assertEquals("gan:sample: unknown option 'count'; expected one of mode, noise, seed, variants",
                assertThrows(IllegalArgumentException.class,
                        () -> ExploreArguments.parse("gan:sample", List.of("count=3"), KEYS)).getMessage());
        ExploreArguments a = ExploreArguments.parse("gan:x", List.of("variants=two", "seed=1.5", "noise=x"), KEYS);
        assertEquals("gan:x: variants is 'two'; expected an integer",
                assertThrows(IllegalArgumentException.class, () -> a.intValue("variants", 8)).getMessage());
        assertEquals("gan:x: seed is '1.5'; expected an integer",
                assertThrows(IllegalArgumentException.class, a::seed).getMessage());
        assertEquals("gan:x: noise is 'x'; expected a number",
                assertThrows(IllegalArgumentException.class, () -> a.doubleValue("noise", 0)).getMessage());
    }
}
