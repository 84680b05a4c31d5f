package org.jgan.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsTest {

    private static final List<OptionSpec> SPECS = List.of(
            OptionSpec.ofInt("hidden", 128, 1, 4096, "units"),
            OptionSpec.ofDouble("gamma", 2.0, 0, Double.POSITIVE_INFINITY, "weight"),
            OptionSpec.ofBoolean("anneal", false, "decay"),
            OptionSpec.ofChoice("act", "relu", List.of("relu", "tanh"), "activation"));

    @Test
    void defaultsFillInAndGivenValuesParse() {
        Options o = Options.resolve("architecture 'x'", SPECS, Map.of("hidden", "64", "anneal", "TRUE"));
        assertEquals(64, o.getInt("hidden"));
        assertEquals(2.0, o.getDouble("gamma"));
        assertEquals(true, o.getBoolean("anneal"));
        assertEquals("relu", o.getString("act"));
    }

    @Test
    void unknownOptionNamesTheComponentAndTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Options.resolve("architecture 'x'", SPECS, Map.of("width", "3")));
        assertEquals("architecture 'x': unknown option 'width'; known options: act, anneal, gamma, hidden",
                e.getMessage());
    }

    @Test
    void invalidValuesSayWhatIsExpected() {
        assertEquals("regularizer 'r': option 'gamma' has value '-1'; expected a number in [0, inf]",
                assertThrows(IllegalArgumentException.class,
                        () -> Options.resolve("regularizer 'r'", SPECS, Map.of("gamma", "-1"))).getMessage());
        assertEquals("c: option 'hidden' has value '0'; expected an integer in [1, 4096]",
                assertThrows(IllegalArgumentException.class,
                        () -> Options.resolve("c", SPECS, Map.of("hidden", "0"))).getMessage());
        assertEquals("c: option 'hidden' has value 'lots'; expected an integer in [1, 4096]",
                assertThrows(IllegalArgumentException.class,
                        () -> Options.resolve("c", SPECS, Map.of("hidden", "lots"))).getMessage());
        assertEquals("c: option 'act' has value 'gelu'; expected one of relu, tanh",
                assertThrows(IllegalArgumentException.class,
                        () -> Options.resolve("c", SPECS, Map.of("act", "gelu"))).getMessage());
        assertEquals("c: option 'anneal' has value 'yes'; expected true or false",
                assertThrows(IllegalArgumentException.class,
                        () -> Options.resolve("c", SPECS, Map.of("anneal", "yes"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Options.resolve("c", SPECS, Map.of("gamma", "NaN")));
    }

    @Test
    void dataShapeRejectsNonPositiveDimensionsAndBatches() {
        assertThrows(IllegalArgumentException.class, () -> new DataShape(1, 0, 28));
        DataShape s = new DataShape(1, 28, 28);
        assertEquals(784, s.size());
        assertEquals(List.of(-1L, 1L, 28L, 28L), java.util.Arrays.stream(s.batched(-1)).boxed().toList());
    }
}
