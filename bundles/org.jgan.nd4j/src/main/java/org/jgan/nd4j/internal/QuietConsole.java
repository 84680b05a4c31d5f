package org.jgan.nd4j.internal;

import java.io.PrintStream;

/**
 * Standard output without SameDiff 1.0.0-M2.1's debugging line {@code Added differentiated op NAME}, which
 * {@code SameDiff.createGradFunction} prints with {@code System.out.println} for every op it differentiates (342
 * lines when an image run builds its graphs). Everything else passes through unchanged. Installed while this bundle
 * is active; {@code -Djgan.nd4j.verbose=true} leaves standard output alone.
 */
final class QuietConsole extends PrintStream {

    static final String NOISE = "Added differentiated op ";
    static final String VERBOSE = "jgan.nd4j.verbose";

    private final PrintStream original;

    private QuietConsole(PrintStream original) {
        super(original, true);
        this.original = original;
    }

    /** Puts the filter in front of System.out (unless verbose output is asked for); returns what to undo. */
    static Runnable install() {
        if (Boolean.getBoolean(VERBOSE) || System.out instanceof QuietConsole) {
            return () -> { };
        }
        QuietConsole quiet = new QuietConsole(System.out);
        System.setOut(quiet);
        return () -> {
            // only when nothing was put in front of the filter since
            if (System.out == quiet) {
                System.setOut(quiet.original);
            }
        };
    }

    @Override
    public void println(String x) {
        if (x != null && x.startsWith(NOISE)) {
            return;
        }
        super.println(x);
    }
}
