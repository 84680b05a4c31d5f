package org.jgan.shell.internal;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;

/**
 * Routes what java.util.logging prints on the console (SPI Fly's and other libraries' warnings) through another
 * stream for a while, e.g. {@link ConsoleBar#above}, and back on {@link #close}. JUL's {@link ConsoleHandler} writes
 * to the standard error stream it found when it was created, so replacing {@code System.err} alone does not reach
 * it: its lines would break the progress bar's line.
 */
final class JulConsole implements AutoCloseable {

    private final Logger root = Logger.getLogger("");
    private final List<Handler> consoles = new ArrayList<>();
    private final Handler through;

    private JulConsole(PrintStream out) {
        for (Handler h : root.getHandlers()) {
            if (h instanceof ConsoleHandler) {
                consoles.add(h);
            }
        }
        Handler first = consoles.isEmpty() ? null : consoles.get(0);
        through = new StreamHandler(out, first != null && first.getFormatter() != null ? first.getFormatter()
                : new SimpleFormatter()) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }

            @Override
            public synchronized void close() {
                // the stream is not this handler's to close
                flush();
            }
        };
        if (first != null) {
            through.setLevel(first.getLevel());
        }
    }

    /** From now on JUL's console lines go to {@code out} (nothing changes when JUL has no console handler). */
    static JulConsole to(PrintStream out) {
        JulConsole c = new JulConsole(out);
        if (!c.consoles.isEmpty()) {
            c.consoles.forEach(c.root::removeHandler);
            c.root.addHandler(c.through);
        }
        return c;
    }

    /** JUL's console handlers as they were. */
    @Override
    public void close() {
        if (!consoles.isEmpty()) {
            root.removeHandler(through);
            consoles.forEach(root::addHandler);
        }
    }
}
