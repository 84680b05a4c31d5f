package org.jgan.engine.internal.folder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * The run folder's appended logs beside losses.csv ({@link LossLog}): history.csv (one row per change of a setting
 * or component: iteration, setting, from, to) and metrics.csv (one row per score: iteration, metric, value). Each
 * gets its header when the file is new; a failed write names the file and the reason (a full disk).
 */
public final class RunLogs {

    private RunLogs() {
    }

    /** A history.csv row: iteration, setting, old and new value (empty for none), CSV-quoted where needed. */
    public static String historyRow(long at, String setting, String from, String to) {
        return at + "," + CsvLog.field(setting) + "," + CsvLog.field(from) + "," + CsvLog.field(to) + "\n";
    }

    /** Appends rows of {@link #historyRow} to history.csv. */
    public static void appendHistory(Path history, CharSequence rows) throws IOException {
        String header = Files.exists(history) ? "" : "iteration,setting,from,to\n";
        append(history, header + rows);
    }

    /** Appends the scores of one evaluation to metrics.csv. */
    public static void appendMetrics(Path csv, long at, Map<String, Double> scores) throws IOException {
        StringBuilder sb = new StringBuilder(Files.exists(csv) ? "" : "iteration,metric,value\n");
        scores.forEach((k, v) -> sb.append(at).append(',').append(k).append(',').append(v).append('\n'));
        append(csv, sb.toString());
    }

    private static void append(Path file, String text) throws IOException {
        try {
            Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IOException("could not write " + file + ": " + AtomicFile.reason(e), e);
        }
    }
}
