package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * java.util.logging's console lines go through the stream the progress bar draws above, while the bar is up, and
 * back to JUL's own console handler afterwards. Without it, ConsoleHandler keeps writing to the standard error
 * stream it captured when it was created, across the bar's line.
 */
class JulConsoleTest {

    @Test
    void julConsoleLinesGoThroughTheGivenStreamAndBackAfterwards() {
        Logger root = Logger.getLogger("");
        Handler[] before = root.getHandlers();
        ConsoleHandler console = new ConsoleHandler();
        root.addHandler(console);
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream above = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            try (JulConsole c = JulConsole.to(above)) {
                assertTrue(Arrays.stream(root.getHandlers()).noneMatch(h -> h instanceof ConsoleHandler),
                        "JUL's console handler is out while the bar is up");
                Logger.getLogger("org.apache.aries.spifly").warning("a provider could not be registered");
            }
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertTrue(out.contains("WARNING: a provider could not be registered"), out);
            List<Handler> after = Arrays.asList(root.getHandlers());
            assertTrue(after.contains(console), "JUL's console handler is back");
            assertEquals(before.length + 1, after.size(), "and nothing else was left behind");
            Logger.getLogger("org.apache.aries.spifly").warning("after the bar");
            assertTrue(!bytes.toString(StandardCharsets.UTF_8).contains("after the bar"), "no more lines go there");
        } finally {
            root.removeHandler(console);
        }
    }
}
