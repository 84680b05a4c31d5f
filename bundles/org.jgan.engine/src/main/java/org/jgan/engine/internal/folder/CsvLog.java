package org.jgan.engine.internal.folder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The run's per-iteration CSV logs ({@code losses.csv}, {@code metrics.csv}, {@code history.csv}): one header line,
 * then rows whose first field is the iteration, appended as the run goes. When a run resumes from a checkpoint the
 * logs are cut back to it, so each iteration is logged once and the files equal an uninterrupted run's.
 */
public final class CsvLog {

    private CsvLog() {
    }

    /**
     * Keeps the header and the leading complete rows whose iterations do not decrease and are at most {@code last};
     * drops the rest (rows of iterations after the checkpoint, a row cut short by a crash, rows of an earlier run
     * in the folder). Rewrites the file atomically, and only when something is dropped.
     *
     * @return the number of rows dropped
     */
    public static int cutBack(Path file, long last) throws IOException {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int headerEnd = text.indexOf('\n');
        if (headerEnd < 0) {
            // not even a complete header: start the log anew
            Files.delete(file);
            return 0;
        }
        int keep = headerEnd + 1;
        long previous = Long.MIN_VALUE;
        int dropped = 0;
        boolean cut = false;
        for (int start = keep; start < text.length(); ) {
            int end = text.indexOf('\n', start);
            if (!cut) {
                long iteration = end < 0 ? Long.MIN_VALUE : iteration(text.substring(start, end));
                if (end < 0 || iteration == Long.MIN_VALUE || iteration < previous || iteration > last) {
                    cut = true;
                } else {
                    previous = iteration;
                    keep = end + 1;
                }
            }
            if (cut) {
                dropped++;
            }
            start = end < 0 ? text.length() : end + 1;
        }
        if (keep < text.length()) {
            AtomicFile.write(file, text.substring(0, keep));
        }
        return dropped;
    }

    private static long iteration(String row) {
        int comma = row.indexOf(',');
        try {
            return Long.parseLong(comma < 0 ? row : row.substring(0, comma));
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }

    /**
     * A value as a CSV field: as it is, or in double quotes (with quotes doubled) when it holds a comma, a quote or
     * a line break (RFC 4180); null as an empty field.
     */
    public static String field(Object value) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
