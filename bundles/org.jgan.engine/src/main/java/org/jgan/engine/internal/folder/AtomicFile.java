package org.jgan.engine.internal.folder;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Whole-file writes that either replace a run's state file completely or leave its previous version: the content
 * goes to a temporary file named after this process ({@code status.json.<pid>.tmp}), is forced to the disk, and is
 * renamed over the file. A failed write (a full disk) removes its temporary file and names the file.
 */
public final class AtomicFile {

    /** Writes a file's content to a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private static final String SUFFIX = ".tmp";

    private AtomicFile() {
    }

    public static void write(Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(file, out -> out.write(bytes));
    }

    /**
     * Replaces {@code file} with what {@code content} writes, or leaves it as it was.
     *
     * @throws IOException naming the file and the reason (e.g. "No space left on device")
     */
    public static void write(Path file, Content content) throws IOException {
        Path tmp = temporary(file);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                    OutputStream out = Channels.newOutputStream(channel)) {
                // a writer that closes its stream (a zip) must not close the channel before it is forced
                BufferedOutputStream buffered = new BufferedOutputStream(out, 1 << 16) {
                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                };
                content.writeTo(buffered);
                buffered.flush();
                channel.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the message below names the file; a leftover temporary is removed when the run starts again
            }
            throw new IOException("could not write " + file + ": " + reason(e) + "; its previous version is kept", e);
        }
    }

    /**
     * Writes a small JSON state file that must record the run's end even on a full disk: atomically, padded with
     * trailing blanks to at least {@value #RESERVE} bytes; when that fails for want of space, the new content
     * (padded to the old size) overwrites the old file in place, in the blocks it already has.
     *
     * @throws IOException naming the file when neither works
     */
    public static void writeReserving(Path file, String json) throws IOException {
        String padded = pad(json, RESERVE);
        try {
            write(file, padded);
        } catch (IOException atomic) {
            long size;
            try {
                size = Files.size(file);
            } catch (IOException gone) {
                throw atomic;
            }
            byte[] bytes = pad(json, (int) Math.min(size, Integer.MAX_VALUE)).getBytes(StandardCharsets.UTF_8);
            if (bytes.length != size) {
                throw atomic;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(bytes), 0);
                channel.force(true);
            } catch (IOException inPlace) {
                throw atomic;
            }
        }
    }

    /** Bytes kept for a state file, so that its last version fits in place on a full disk. */
    static final int RESERVE = 2048;

    /** The JSON with blanks before its final line break up to {@code size} bytes (as it is when already longer). */
    private static String pad(String json, int size) {
        String body = json.endsWith("\n") ? json.substring(0, json.length() - 1) : json;
        int length = body.getBytes(StandardCharsets.UTF_8).length + 1;
        return length >= size ? body + "\n" : body + " ".repeat(size - length) + "\n";
    }

    /** The temporary file of this process for {@code file}. */
    static Path temporary(Path file) {
        return file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + SUFFIX);
    }

    /**
     * Removes temporary files that a process which ended mid-write left in {@code dir} (only call it while holding
     * the folder's {@link RunLock}, when no other writer can be at work there).
     */
    public static void removeLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** The operating system's reason without the path it repeats, e.g. "No space left on device". */
    public static String reason(Exception e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
