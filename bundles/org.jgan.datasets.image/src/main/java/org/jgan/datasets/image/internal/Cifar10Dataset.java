package org.jgan.datasets.image.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.GanName;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.osgi.service.component.annotations.Component;

/**
 * CIFAR-10 in its binary version (Krizhevsky 2009, "Learning multiple layers of features from tiny images";
 * {@code cifar-10-binary.tar.gz}, folder {@code cifar-10-batches-bin}): {@code data_batch_1.bin} to
 * {@code data_batch_5.bin} (train, 50000 images) or {@code test_batch.bin} (test, 10000). Each file is a sequence of
 * 3073-byte records: one label byte in 0..9, then 3072 pixel bytes, the red, green and blue 32x32 planes in turn,
 * each row-major; which is already CHW, so records are read straight into the pixel array.
 *
 * <p>Shape {@code [3, 32, 32]}; labels one-hot over 10 classes.
 */
@Component(service = Dataset.class)
@GanName("cifar10")
public final class Cifar10Dataset implements Dataset {

    static final String DEFAULT_PATH = "/usr/share/datasets/cifar-10-batches-bin";
    static final String HINT = "no package provides CIFAR-10 here; extract cifar-10-binary.tar.gz from "
            + "https://www.cs.toronto.edu/~kriz/cifar.html and point option 'path' at its cifar-10-batches-bin folder";
    static final int SIDE = 32;
    static final int IMAGE_BYTES = 3 * SIDE * SIDE;
    static final int RECORD_BYTES = 1 + IMAGE_BYTES;
    static final int CLASSES = 10;

    @Override
    public String description() {
        return "CIFAR-10 binary version (Krizhevsky 2009): 32x32 RGB, 10 classes";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofString("path", DEFAULT_PATH, "Folder holding data_batch_1..5.bin and test_batch.bin"),
                OptionSpec.ofChoice("split", "train", List.of("train", "test"),
                        "train: data_batch_1..5.bin; test: test_batch.bin"),
                OptionSpec.ofBoolean("labels", true, "Return one-hot labels"));
    }

    @Override
    public DataSource open(Options options) {
        DataFolder folder = DataFolder.require(options.getString("path"), HINT);
        List<Path> files = new ArrayList<>();
        if (options.getString("split").equals("train")) {
            for (int b = 1; b <= 5; b++) {
                files.add(folder.file("data_batch_" + b + ".bin"));
            }
        } else {
            files.add(folder.file("test_batch.bin"));
        }
        return read(files, options.getBoolean("labels"));
    }

    /** Reads the records of {@code files}, in order. */
    static ByteImages read(List<Path> files, boolean withLabels) {
        long[] records = new long[files.size()];
        long total = 0;
        for (int f = 0; f < files.size(); f++) {
            records[f] = recordCount(files.get(f));
            total += records[f];
        }
        byte[] pixels = new byte[ByteImages.byteCount(String.join(", ", files.stream().map(Path::toString).toList()),
                total, 3, SIDE, SIDE)];
        int[] labels = new int[(int) total];
        int image = 0;
        for (int f = 0; f < files.size(); f++) {
            image = readFile(files.get(f), records[f], pixels, labels, image);
        }
        return new ByteImages((int) total, 3, SIDE, SIDE, pixels, withLabels ? labels : null, CLASSES);
    }

    private static long recordCount(Path file) {
        long length;
        try {
            length = Files.size(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e + ")", e);
        }
        if (length == 0 || length % RECORD_BYTES != 0) {
            throw new IllegalArgumentException(file + ": " + length + " bytes is not a whole number of CIFAR-10 "
                    + "records; expected a positive multiple of " + RECORD_BYTES + " (1 label byte + 3x32x32 pixels)");
        }
        return length / RECORD_BYTES;
    }

    /** Reads {@code count} records into image slots from {@code first}; returns the next free slot. */
    private static int readFile(Path file, long count, byte[] pixels, int[] labels, int first) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            for (int r = 0; r < count; r++) {
                int label = in.read();
                int got = in.readNBytes(pixels, (first + r) * IMAGE_BYTES, IMAGE_BYTES);
                if (label < 0 || got != IMAGE_BYTES) {
                    throw new IllegalArgumentException(file + ": ends inside record " + r + " (it changed while read)");
                }
                if (label >= CLASSES) {
                    throw new IllegalArgumentException(file + ": record " + r + " has label " + label
                            + "; expected 0..9 (is this the CIFAR-100 format?)");
                }
                labels[first + r] = label;
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e + ")", e);
        }
        return first + (int) count;
    }
}
