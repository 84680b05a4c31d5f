package org.jgan.engine.internal.folder;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * losses.csv: a header of loss names and one row per iteration, each value under its name's column. When a
 * swapped loss or regularizer brings new names, they are appended as columns and the earlier rows get empty
 * cells for them (the file is rewritten once); names that are gone get empty cells from then on.
 */
public final class LossLog implements java.io.Closeable {
    private final Path file;
    private final List<String> columns = new java.util.ArrayList<>();
    private BufferedWriter w;

    public LossLog(Path file, List<String> names, boolean fresh) throws IOException {
        this.file = file;
        if (fresh || !Files.exists(file)) {
            columns.addAll(names);
            w = Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            w.write("iteration," + String.join(",", columns) + "\n");
        } else {
            String[] header = Files.readAllLines(file).stream().findFirst().orElse("iteration").split(",", -1);
            columns.addAll(List.of(header).subList(1, header.length));
            w = Files.newBufferedWriter(file, StandardOpenOption.APPEND);
            ensure(names);
        }
    }

    /** Adds columns for names not logged before, rewriting the rows so far with empty cells for them. */
    private void ensure(java.util.Collection<String> names) throws IOException {
        List<String> added = names.stream().filter(n -> !columns.contains(n)).toList();
        if (added.isEmpty()) {
            return;
        }
        w.close();
        List<String> lines = Files.readAllLines(file);
        columns.addAll(added);
        StringBuilder sb = new StringBuilder("iteration," + String.join(",", columns) + "\n");
        String pad = ",".repeat(added.size());
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            sb.append(line).append(pad).append('\n');
        }
        AtomicFile.write(file, sb.toString());
        w = Files.newBufferedWriter(file, StandardOpenOption.APPEND);
    }

    public void append(long iteration, Map<String, Double> values) throws IOException {
        ensure(values.keySet());
        StringBuilder sb = new StringBuilder().append(iteration);
        for (String c : columns) {
            Double v = values.get(c);
            // a lazy term skipped at this step, or a term no longer in the run: an empty cell
            sb.append(',').append(v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", v));
        }
        try {
            w.write(sb.append('\n').toString());
        } catch (IOException e) {
            throw named(e);
        }
    }

    public void flush() throws IOException {
        try {
            w.flush();
        } catch (IOException e) {
            throw named(e);
        }
    }

    private IOException named(IOException e) {
        return new IOException("could not write " + file + ": " + AtomicFile.reason(e), e);
    }

    @Override
    public void close() throws IOException {
        try {
            w.close();
        } catch (IOException e) {
            throw named(e);
        }
    }
}
