package org.jgan.shell.internal;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.jgan.api.dto.RunStatusDTO;

/**
 * The progress bar of {@code runtime/jgan run} on a terminal: one line redrawn in place ({@code \r}, the line, then
 * erase-to-end-of-line), with the iteration, percentage, rate, ETA, losses and scores of the run's progress line.
 * Log lines (standard error) go through {@link #above}, which clears the bar, prints the line and draws the bar
 * again below it, so the log scrolls above a bar that stays at the bottom. Used only when runtime/jgan finds
 * both outputs to be a terminal; elsewhere the run logs plain progress lines and no escape sequence is written.
 */
final class ConsoleBar {

    private static final String ERASE = "\033[K";
    private static final int BAR = 24;

    private final PrintStream terminal;
    private final int columns;
    private String shown = "";
    /** Ended (the run finished, or the shutdown hook took over the console): nothing is drawn any more. */
    private boolean ended;

    ConsoleBar(PrintStream terminal, int columns) {
        this.terminal = terminal;
        this.columns = Math.max(40, columns);
    }

    /** The bar's text for a status: {@code [#########...............]  RUNNING it 3120/5000 (62%) ...}. */
    static String text(RunStatusDTO s) {
        double f = s.iterations <= 0 ? 0 : Math.min(1, (double) s.iteration / s.iterations);
        int full = (int) Math.round(f * BAR);
        return "[" + "#".repeat(full) + ".".repeat(BAR - full) + "]  " + s.summary;
    }

    /** Draws the bar for this status in place. */
    synchronized void show(RunStatusDTO s) {
        if (ended) {
            return;
        }
        String line = text(s);
        line = line.length() >= columns ? line.substring(0, columns - 1) : line;
        if (!line.equals(shown)) {
            shown = line;
            draw();
        }
    }

    /** Ends the bar's line (before other output to the terminal), leaving the last bar on screen. */
    synchronized void end() {
        ended = true;
        if (!shown.isEmpty()) {
            terminal.print('\n');
            terminal.flush();
            shown = "";
        }
    }

    private void draw() {
        terminal.print("\r" + shown + ERASE);
        terminal.flush();
    }

    /**
     * A stream for the log whose every line is printed above the bar: the bar's line is cleared, the line written
     * to {@code log}, the bar drawn again.
     */
    PrintStream above(PrintStream log) {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                line.write(b);
                if (b == '\n') {
                    emit();
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                for (int i = 0; i < len; i++) {
                    write(b[off + i]);
                }
            }

            @Override
            public void flush() {
                // a partial line waits for its end: a bar drawn between its halves would split it
            }

            private void emit() {
                synchronized (ConsoleBar.this) {
                    if (!shown.isEmpty()) {
                        terminal.print("\r" + ERASE);
                        terminal.flush();
                    }
                    log.print(line.toString(StandardCharsets.UTF_8));
                    log.flush();
                    line.reset();
                    if (!shown.isEmpty()) {
                        draw();
                    }
                }
            }
        }, true, StandardCharsets.UTF_8);
    }

    /** The terminal's width from the launcher ({@code jgan.console.columns}), 120 when it did not say. */
    static int columns(String property) {
        try {
            return property == null ? 120 : Integer.parseInt(property.trim());
        } catch (NumberFormatException e) {
            return 120;
        }
    }
}
