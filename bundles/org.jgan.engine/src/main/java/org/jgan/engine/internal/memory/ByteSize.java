package org.jgan.engine.internal.memory;

import java.util.Locale;

/** Sizes of memory as people read them. */
public final class ByteSize {

    private ByteSize() {
    }

    /** Bytes in decimal units with three significant digits: 0 B, 950 kB, 12.3 MB, 1.21 GB. */
    public static String format(long b) {
        if (b < 1000) {
            return b + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB", "EB"};
        double v = b / 1000.0;
        int u = 0;
        while (v >= 999.5 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v >= 99.95 ? "%.0f %s" : v >= 9.995 ? "%.1f %s" : "%.2f %s", v, units[u]);
    }
}
