package org.jgan.engine.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A run's full training state in one zip: counters, parameters, state buffers and optimizer states. Written to a
 * temporary file and renamed over the previous checkpoint, so a crash mid-write never loses the last good one.
 */
record Checkpoint(long iteration, long dSteps, long gSteps, Map<String, INDArray> arrays) {

    static final String FILE = "checkpoint.zip";

    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry("counters"));
            DataOutputStream data = new DataOutputStream(zip);
            data.writeLong(iteration);
            data.writeLong(dSteps);
            data.writeLong(gSteps);
            data.flush();
            zip.closeEntry();
            for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry("arrays/" + e.getKey()));
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                Nd4j.write(e.getValue(), new DataOutputStream(bytes));
                zip.write(bytes.toByteArray());
                zip.closeEntry();
            }
        }
        try {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static Checkpoint read(Path file) throws IOException {
        long[] counters = null;
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        try (InputStream is = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(is)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                byte[] content = zip.readAllBytes();
                if (e.getName().equals("counters")) {
                    DataInputStream data = new DataInputStream(new ByteArrayInputStream(content));
                    counters = new long[] {data.readLong(), data.readLong(), data.readLong()};
                } else if (e.getName().startsWith("arrays/")) {
                    arrays.put(e.getName().substring("arrays/".length()),
                            Nd4j.read(new DataInputStream(new ByteArrayInputStream(content))));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException("checkpoint " + file + " is unreadable or corrupt: " + e.getMessage(), e);
        }
        if (counters == null) {
            throw new IOException("checkpoint " + file + " has no counters entry; expected a jgan checkpoint zip");
        }
        return new Checkpoint(counters[0], counters[1], counters[2], arrays);
    }
}
