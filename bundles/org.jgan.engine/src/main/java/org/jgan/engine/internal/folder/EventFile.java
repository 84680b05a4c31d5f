package org.jgan.engine.internal.folder;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file ({@code events.out.tfevents.<seconds>.<host>.<pid>} in the run folder), which
 * {@code tensorboard --logdir runs} reads beside every other run's.
 * <p>
 * The file is a sequence of TFRecords: the data's length (u64, little-endian), the masked CRC-32C of those 8 bytes
 * (u32), the data, the masked CRC-32C of the data (u32); a masked CRC is {@code ((crc >>> 15) | (crc << 17)) +
 * 0xa282ead8}. Each record's data is a {@code tensorboard.Event} protocol buffer (event.proto, summary.proto):
 * first {@code {wall_time, file_version: "brain.Event:2"}}; for a run resumed at iteration s, a
 * {@code session_log {status: START}} at step s + 1, which tells TensorBoard to drop what an earlier process wrote
 * for steps from there on (the iterations trained again); then {@code {wall_time, step, summary {value {tag,
 * simple_value}}}} for scalars and {@code summary {value {tag, image {height, width, colorspace,
 * encoded_image_string}}}} for PNG images. The protocol buffers are written field by field here (a handful of
 * fields; no protobuf library).
 */
public final class EventFile implements Closeable {

    /** The prefix TensorBoard looks for in a folder. */
    public static final String PREFIX = "events.out.tfevents.";
    private static final String FILE_VERSION = "brain.Event:2";
    private static final int SESSION_START = 1;

    private final Path file;
    private final OutputStream out;

    private EventFile(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Starts a new event file in {@code dir} (earlier ones stay: TensorBoard reads them in the order of their
     * names, which start with the time).
     *
     * @param resumedAt the iteration the run resumes from (0 for a fresh run)
     */
    public static EventFile create(Path dir, long resumedAt) throws IOException {
        long seconds = System.currentTimeMillis() / 1000;
        String base = PREFIX + seconds + "." + RunLock.host().replaceAll("[^A-Za-z0-9._-]", "_") + "."
                + ProcessHandle.current().pid();
        Path file = dir.resolve(base);
        for (int i = 1; Files.exists(file); i++) {
            // a second event file of this process in the same second (the model built again)
            file = dir.resolve(base + "." + i);
        }
        OutputStream out;
        try {
            out = new java.io.BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE));
        } catch (IOException e) {
            throw new IOException("could not write " + file + ": " + AtomicFile.reason(e), e);
        }
        EventFile events = new EventFile(file, out);
        events.record(event(0).string(3, FILE_VERSION));
        if (resumedAt > 0) {
            events.record(event(resumedAt + 1).message(7, new Proto().varint(1, SESSION_START)));
        }
        return events;
    }

    public Path file() {
        return file;
    }

    /** One event at {@code step} with a scalar per entry (tags as given; NaN values, skipped terms, left out). */
    public void scalars(long step, Map<String, Double> values) throws IOException {
        Proto summary = new Proto();
        for (Map.Entry<String, Double> e : values.entrySet()) {
            Double v = e.getValue();
            if (v != null && !v.isNaN()) {
                summary.message(1, new Proto().string(1, e.getKey()).fixed32(2, Float.floatToIntBits(v.floatValue())));
            }
        }
        if (summary.size() > 0) {
            record(event(step).message(5, summary));
        }
    }

    /** One event at {@code step} with a PNG image under {@code tag}. */
    public void image(long step, String tag, byte[] png) throws IOException {
        int[] header = pngHeader(png);
        Proto image = new Proto().varint(1, header[1]).varint(2, header[0]).varint(3, header[2]).bytes(4, png);
        record(event(step).message(5, new Proto().message(1, new Proto().string(1, tag).message(4, image))));
    }

    public void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            throw new IOException("could not write " + file + ": " + AtomicFile.reason(e), e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } catch (IOException e) {
            throw new IOException("could not write " + file + ": " + AtomicFile.reason(e), e);
        }
    }

    private static Proto event(long step) {
        Proto p = new Proto().fixed64(1, Double.doubleToLongBits(System.currentTimeMillis() / 1000.0));
        return step == 0 ? p : p.varint(2, step);
    }

    private void record(Proto event) throws IOException {
        byte[] data = event.toByteArray();
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(data.length);
        head.putInt(maskedCrc(head.array(), 0, 8));
        ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc(data, 0, data.length));
        try {
            out.write(head.array());
            out.write(data);
            out.write(tail.array());
        } catch (IOException e) {
            throw new IOException("could not write " + file + ": " + AtomicFile.reason(e), e);
        }
    }

    /** The CRC-32C (Castagnoli) of the bytes, masked as TFRecord does. */
    static int maskedCrc(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /**
     * Width, height and TensorBoard's colorspace (1 grey, 2 grey and alpha, 3 RGB, 4 RGBA) from a PNG's IHDR chunk.
     *
     * @throws IllegalArgumentException when the bytes are not a PNG
     */
    static int[] pngHeader(byte[] png) {
        if (png.length < 26 || (png[0] & 0xff) != 0x89 || png[1] != 'P' || png[2] != 'N' || png[3] != 'G') {
            throw new IllegalArgumentException("not a PNG image (" + png.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(png).order(ByteOrder.BIG_ENDIAN);
        int colorType = png[25];
        int colorspace = switch (colorType) {
            case 0 -> 1;
            case 4 -> 2;
            case 6 -> 4;
            default -> 3; // RGB, or a palette decoded to RGB
        };
        return new int[] {b.getInt(16), b.getInt(20), colorspace};
    }

    /** A protocol buffer message written field by field (proto3 wire format). */
    static final class Proto {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            key(field, 0);
            rawVarint(value);
            return this;
        }

        Proto fixed64(int field, long bits) {
            key(field, 1);
            for (int i = 0; i < 8; i++) {
                buf.write((int) (bits >>> (8 * i)));
            }
            return this;
        }

        Proto fixed32(int field, int bits) {
            key(field, 5);
            for (int i = 0; i < 4; i++) {
                buf.write(bits >>> (8 * i));
            }
            return this;
        }

        Proto bytes(int field, byte[] value) {
            key(field, 2);
            rawVarint(value.length);
            buf.writeBytes(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto value) {
            return bytes(field, value.toByteArray());
        }

        int size() {
            return buf.size();
        }

        byte[] toByteArray() {
            return buf.toByteArray();
        }

        private void key(int field, int wireType) {
            rawVarint(((long) field << 3) | wireType);
        }

        private void rawVarint(long v) {
            while ((v & ~0x7fL) != 0) {
                buf.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            buf.write((int) v);
        }
    }
}
