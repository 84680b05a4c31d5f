package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.TreeMap;
import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.api.Test;

/** help gan: one line per command, the first sentence of its description. */
class HelpCommandTest {

    public static final class Commands {
        @Descriptor("Cross-test two runs (Roth et al. 2017, section 5.5): each D on the other's samples. Writes a table")
        public String crosstest(String a, String b) {
            return "";
        }

        @Descriptor("List bundles that are not active (e.g. a variant that failed to resolve), with the reason")
        public String bundles() {
            return "";
        }

        @Descriptor("Show a run")
        public String progress(String run) {
            return "";
        }

        @Descriptor("Show a run's progress. Without a run: the only one going")
        public String progress() {
            return "";
        }
    }

    @Test
    void theFirstSentenceOfTheLongestDescription() {
        assertEquals("Cross-test two runs (Roth et al. 2017, section 5.5): each D on the other's samples",
                HelpCommand.describe(Commands.class, "crosstest"));
        assertEquals("List bundles that are not active (e.g. a variant that failed to resolve), with the reason",
                HelpCommand.describe(Commands.class, "bundles"));
        assertEquals("Show a run's progress", HelpCommand.describe(Commands.class, "progress"));
        Map<String, String> lines = new TreeMap<>(Map.of("stop", "Stop a run", "bundles", "List bundles"));
        assertEquals("gan:bundles      List bundles\ngan:stop         Stop a run\n"
                + "(help gan:NAME, e.g. help gan:start, shows a command's arguments)\n", HelpCommand.format(lines));
    }
}
