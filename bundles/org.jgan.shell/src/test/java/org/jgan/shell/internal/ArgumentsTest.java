package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArgumentsTest {

    @Test
    void presetThenSettings() {
        Arguments a = Arguments.parse(List.of("default", "lrD=2e-4", "regularizers=a,b"));
        assertEquals("default", a.preset());
        assertEquals(Map.of("lrD", "2e-4", "regularizers", "a,b"), a.settings());
        Arguments b = Arguments.parse(List.of("loss=minimax"));
        assertNull(b.preset());
    }

    @Test
    void onlyTheFirstArgumentMayBeAPreset() {
        assertEquals("argument 'oops' is not key=value; expected [preset] key=value ... (only the first argument may be a preset)",
                assertThrows(IllegalArgumentException.class, () -> Arguments.parse(List.of("default", "oops"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Arguments.parse(List.of("=3")));
    }

    @Test
    void aKeyGivenTwiceIsRefused() {
        assertEquals("setting 'lrD' is given twice ('1e-4' and '5'); expected each key once",
                assertThrows(IllegalArgumentException.class,
                        () -> Arguments.parse(List.of("lrD=1e-4", "lrD=5"))).getMessage());
    }

    @Test
    void headlessSettingsSplitOnSpacesAndSemicolons() {
        assertEquals(List.of("a=1", "b=2", "c=x,y"), HeadlessRunner.split(" a=1;b=2  c=x,y "));
        assertEquals(List.of(), HeadlessRunner.split(null));
    }
}
