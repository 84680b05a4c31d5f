package org.jgan.engine.internal.folder;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A run's full training state in one zip: counters, the configuration in effect, parameters, state buffers and
 * optimizer states. Written to a temporary file and renamed over the previous checkpoint, so a crash mid-write never
 * loses the last good one.
 * <p>
 * The format, entry by entry: {@code format} (the format version as decimal text, {@value #FORMAT} today; absent in
 * checkpoints written before it was introduced, which are version 1 and read the same way), {@code counters}
 * (iteration, discriminator steps and generator steps as three big-endian longs), {@code config.json} (the resolved
 * configuration; absent in the earliest checkpoints), and {@code arrays/KIND/NAME} for each array in ND4J's binary
 * format, KIND being {@code param}, {@code buffer}, {@code ema} or {@code opt} (the prefixes below; the model's
 * {@code TrainingState} writes and restores them, {@code Players} reads all but the optimizer state). A
 * checkpoint of a newer format than this runtime reads is refused, naming both versions.
 */
public record Checkpoint(long iteration, long dSteps, long gSteps, Map<String, INDArray> arrays, Map<String, String> config) {

    public static final String FILE = "checkpoint.zip";
    /** The entry of the resolved configuration the run trained with up to this checkpoint (since it was added). */
    static final String CONFIG = "config.json";
    /** The entry of the format version. */
    public static final String FORMAT_ENTRY = "format";
    /** The format version this runtime writes and the newest it reads. */
    public static final int FORMAT = 2;

    /** Prefix of the parameters' entries in {@link #arrays}. */
    public static final String PARAM = "param/";
    /** Prefix of the state buffers' entries (running statistics, spectral-norm vectors). */
    public static final String BUFFER = "buffer/";
    /** Prefix of the generator's averaged parameters. */
    public static final String EMA = "ema/";
    /** Prefix of the optimizers' state. */
    public static final String OPTIMIZER = "opt/";

    /** A checkpoint without a recorded configuration. */
    Checkpoint(long iteration, long dSteps, long gSteps, Map<String, INDArray> arrays) {
        this(iteration, dSteps, gSteps, arrays, null);
    }

    /** Frees the arrays of this checkpoint (copies of the model's): call it once it is written or restored. */
    public void free() {
        GraphMemory.close(arrays.values());
    }

    /** Writes {@code dir/checkpoint.zip} atomically (see {@link AtomicFile}). */
    public void write(Path dir) throws IOException {
        AtomicFile.write(dir.resolve(FILE), os -> {
            try (ZipOutputStream zip = new ZipOutputStream(os)) {
                zip.putNextEntry(new ZipEntry(FORMAT_ENTRY));
                zip.write(Integer.toString(FORMAT).getBytes(StandardCharsets.US_ASCII));
                zip.closeEntry();
                zip.putNextEntry(new ZipEntry("counters"));
                DataOutputStream data = new DataOutputStream(zip);
                data.writeLong(iteration);
                data.writeLong(dSteps);
                data.writeLong(gSteps);
                data.flush();
                zip.closeEntry();
                if (config != null) {
                    zip.putNextEntry(new ZipEntry(CONFIG));
                    zip.write(Json.write(config).getBytes(StandardCharsets.UTF_8));
                    zip.closeEntry();
                }
                for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
                    zip.putNextEntry(new ZipEntry("arrays/" + e.getKey()));
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    Nd4j.write(e.getValue(), new DataOutputStream(bytes));
                    zip.write(bytes.toByteArray());
                    zip.closeEntry();
                }
            }
        });
    }

    public static Checkpoint read(Path file) throws IOException {
        return read(file, name -> true);
    }

    /**
     * A checkpoint with only the arrays that sampling and scoring need: parameters, state buffers and EMA weights
     * (optimizer state is skipped unread).
     */
    public static Checkpoint readPlayers(Path file) throws IOException {
        return read(file, name -> !name.startsWith(OPTIMIZER));
    }

    private static Checkpoint read(Path file, java.util.function.Predicate<String> wanted) throws IOException {
        int format = 1;
        long[] counters = null;
        Map<String, String> config = null;
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        try (InputStream is = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(is)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().startsWith("arrays/") && !wanted.test(e.getName().substring("arrays/".length()))) {
                    continue;
                }
                byte[] content = zip.readAllBytes();
                if (e.getName().equals(FORMAT_ENTRY)) {
                    format = Integer.parseInt(new String(content, StandardCharsets.US_ASCII).trim());
                    if (format > FORMAT) {
                        throw new NewerFormat(format);
                    }
                } else if (e.getName().equals(CONFIG)) {
                    config = configOf(new String(content, StandardCharsets.UTF_8));
                } else if (e.getName().equals("counters")) {
                    DataInputStream data = new DataInputStream(new ByteArrayInputStream(content));
                    counters = new long[] {data.readLong(), data.readLong(), data.readLong()};
                } else if (e.getName().startsWith("arrays/")) {
                    arrays.put(e.getName().substring("arrays/".length()),
                            Nd4j.read(new DataInputStream(new ByteArrayInputStream(content))));
                }
            }
        } catch (NewerFormat e) {
            throw new IOException("checkpoint " + file + " has format " + e.format + "; this runtime reads formats 1 to "
                    + FORMAT + ": resume it with a newer jgan");
        } catch (IOException | RuntimeException e) {
            throw new IOException("checkpoint " + file + " is unreadable or corrupt: " + e.getMessage(), e);
        }
        if (counters == null) {
            throw new IOException("checkpoint " + file + " has no counters entry; expected a jgan checkpoint zip");
        }
        return new Checkpoint(counters[0], counters[1], counters[2], arrays, config);
    }

    private static Map<String, String> configOf(String json) {
        if (!(Json.read(json) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("entry " + CONFIG + " is not a JSON object");
        }
        Map<String, String> config = new java.util.TreeMap<>();
        m.forEach((k, v) -> config.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        return config;
    }

    /** A format entry newer than {@link #FORMAT}. */
    private static final class NewerFormat extends RuntimeException {
        final int format;

        NewerFormat(int format) {
            super(null, null, false, false);
            this.format = format;
        }
    }
}
