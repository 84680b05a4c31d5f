package org.jgan.datasets.image.internal;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * One IDX file of unsigned bytes (LeCun et al. 1998, the MNIST format), plain or gzip-compressed (recognised by
 * the gzip magic bytes {@code 1f 8b}, not by the file name). Big-endian header: the magic number
 * {@code 0x00 0x00 type ndims} (type {@code 0x08} = unsigned byte), then {@code ndims} 32-bit sizes, then the data
 * in row-major order: {@code 0x00000803 n rows cols} for images, {@code 0x00000801 n} for labels.
 */
final class IdxFile implements AutoCloseable {

    static final int IMAGES = 0x00000803;
    static final int LABELS = 0x00000801;

    private final Path path;
    private final boolean gzip;
    private final DataInputStream in;
    private final int[] dims;
    private final long expectedBytes;

    private IdxFile(Path path, int magic, String kind) {
        this.path = path;
        BufferedInputStream raw;
        try {
            raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        } catch (IOException e) {
            throw fail("cannot open (" + e + ")");
        }
        long fileSize;
        try {
            fileSize = Files.size(path);
            raw.mark(2);
            this.gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            this.in = new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16)
                    : raw);
            this.dims = header(magic, kind);
        } catch (EOFException e) {
            closeQuietly(raw);
            throw fail("truncated: the gzip header is incomplete");
        } catch (IOException e) {
            closeQuietly(raw);
            throw fail("cannot read (" + e + ")");
        } catch (RuntimeException e) {
            closeQuietly(raw);
            throw e;
        }
        long bytes = 1;
        for (int d : dims) {
            bytes *= d;
        }
        this.expectedBytes = 4 + 4L * dims.length + bytes;
        if (!gzip && fileSize != expectedBytes) {
            closeQuietly(raw);
            throw fail("file has " + fileSize + " bytes, but its header declares " + describe() + " ("
                    + expectedBytes + " bytes)" + (fileSize < expectedBytes ? ": truncated" : ""));
        }
    }

    private int[] header(int magic, String kind) throws IOException {
        int rank = magic & 0xFF;
        int[] sizes = new int[rank];
        try {
            int actual = in.readInt();
            if (actual != magic) {
                throw fail(String.format(Locale.ROOT, "not an IDX %s file (magic 0x%08x, expected 0x%08x)", kind,
                        actual, magic));
            }
            for (int i = 0; i < rank; i++) {
                sizes[i] = in.readInt();
            }
        } catch (EOFException e) {
            throw fail("truncated: shorter than the " + (4 + 4 * rank) + "-byte IDX " + kind + " header");
        }
        for (int d : sizes) {
            if (d < 1) {
                throw fail("header declares sizes " + Arrays.toString(sizes) + "; expected positive sizes");
            }
        }
        return sizes;
    }

    /** Opens an image file and reads its header, {@code [n, rows, cols]}. */
    static IdxFile images(Path path) {
        return new IdxFile(path, IMAGES, "image");
    }

    /** Opens a label file and reads its header, {@code [n]}. */
    static IdxFile labels(Path path) {
        return new IdxFile(path, LABELS, "label");
    }

    Path path() {
        return path;
    }

    /** Sizes from the header: {@code [n, rows, cols]} or {@code [n]}. */
    int dim(int i) {
        return dims[i];
    }

    /**
     * Reads the next {@code length} data bytes, the {@code item}-th record of the file.
     *
     * @throws IllegalArgumentException naming the file when it ends early
     */
    void read(byte[] into, int offset, int length, long item) {
        int got;
        try {
            got = in.readNBytes(into, offset, length);
        } catch (EOFException e) {
            got = -1; // a truncated gzip stream ends with an exception instead of a short read
        } catch (IOException e) {
            throw fail("cannot read record " + item + " (" + e + ")");
        }
        if (got != length) {
            throw fail("truncated: its header declares " + describe() + " (" + expectedBytes
                    + (gzip ? " bytes uncompressed" : " bytes") + "), but the data ends inside record " + item);
        }
    }

    /** Checks that no data follows what the header declares. */
    void requireEnd() {
        int next;
        try {
            next = in.read();
        } catch (EOFException e) {
            throw fail("truncated: the gzip stream ends before its end-of-stream trailer");
        } catch (IOException e) {
            throw fail("cannot read past the declared data (" + e + ")");
        }
        if (next != -1) {
            throw fail("more data than its header declares (" + describe() + ", " + expectedBytes
                    + (gzip ? " bytes uncompressed)" : " bytes)"));
        }
    }

    /** An {@link IllegalArgumentException} that names this file. */
    IllegalArgumentException fail(String what) {
        return new IllegalArgumentException(path + ": " + what);
    }

    private String describe() {
        return dims.length == 3 ? dims[0] + " images of " + dims[1] + "x" + dims[2] : dims[0] + " labels";
    }

    @Override
    public void close() {
        closeQuietly(in);
    }

    private static void closeQuietly(InputStream stream) {
        try {
            stream.close();
        } catch (IOException e) {
            // nothing was written, so nothing can be lost by a failed close
        }
    }
}
