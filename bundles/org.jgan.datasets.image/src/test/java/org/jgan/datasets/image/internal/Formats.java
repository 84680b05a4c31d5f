package org.jgan.datasets.image.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.Options;

/** Writers of small files in the real formats, and shared test steps. */
final class Formats {

    private Formats() {
    }

    static DataSource open(Dataset d, Map<String, String> options) {
        return d.open(Options.resolve("dataset", d.options(), options));
    }

    /** An IDX file: big-endian magic, sizes, then the bytes. */
    static byte[] idx(int magic, int[] sizes, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * sizes.length + data.length);
        b.putInt(magic);
        for (int s : sizes) {
            b.putInt(s);
        }
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Path write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** The float a byte becomes: x / 127.5 - 1, rounded once. */
    static float scaled(int v) {
        return (float) (v / 127.5 - 1.0);
    }
}
