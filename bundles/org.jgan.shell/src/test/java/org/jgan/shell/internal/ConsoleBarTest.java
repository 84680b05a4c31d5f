package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.jgan.api.dto.RunStatusDTO;
import org.junit.jupiter.api.Test;

/** The bar is redrawn in place; log lines scroll above it; its width is the terminal's. */
class ConsoleBarTest {

    private static RunStatusDTO status(long it, String summary) {
        RunStatusDTO s = new RunStatusDTO();
        s.iteration = it;
        s.iterations = 100;
        s.summary = summary;
        return s;
    }

    @Test
    void logLinesScrollAboveABarRedrawnInPlace() {
        // the terminal: standard output and standard error both end up on it
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        PrintStream terminal = new PrintStream(screen, true, StandardCharsets.UTF_8);
        ConsoleBar bar = new ConsoleBar(terminal, 80);
        PrintStream log = bar.above(terminal);
        bar.show(status(25, "RUNNING   it 25/100 (25%)"));
        log.print("10:00:00 INFO Run - iter");
        log.println("ation 30 metrics {}");
        bar.show(status(50, "RUNNING   it 50/100 (50%)"));
        bar.end();
        String bar25 = "[######..................]  RUNNING   it 25/100 (25%)";
        String bar50 = "[############............]  RUNNING   it 50/100 (50%)";
        assertEquals("\r" + bar25 + "\033[K"           // drawn
                + "\r\033[K" + "10:00:00 INFO Run - iteration 30 metrics {}\n" // cleared, the whole log line
                + "\r" + bar25 + "\033[K"              // drawn again below it
                + "\r" + bar50 + "\033[K"              // redrawn in place
                + "\n", screen.toString(StandardCharsets.UTF_8));
        // once ended (the run finished, or Ctrl-C's hook prints), the bar is not drawn again
        bar.show(status(60, "STOPPING"));
        assertEquals(false, screen.toString(StandardCharsets.UTF_8).contains("STOPPING"));
    }

    @Test
    void aBarWiderThanTheTerminalIsCut() {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        ConsoleBar bar = new ConsoleBar(new PrintStream(screen, true, StandardCharsets.UTF_8), 40);
        bar.show(status(100, "COMPLETED it 100/100 (100%)  d_loss 1.0000  g_loss 1.0000"));
        assertEquals("\r[########################]  COMPLETED i\033[K", screen.toString(StandardCharsets.UTF_8));
        assertEquals(120, ConsoleBar.columns(null));
        assertEquals(120, ConsoleBar.columns("wide"));
        assertEquals(200, ConsoleBar.columns("200"));
    }
}
