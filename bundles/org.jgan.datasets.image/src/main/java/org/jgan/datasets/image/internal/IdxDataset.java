package org.jgan.datasets.image.internal;

import java.nio.file.Path;
import java.util.List;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.GanName;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.osgi.service.component.annotations.Component;

/**
 * Grey-scale images in the IDX format of MNIST (LeCun et al. 1998, "Gradient-based learning applied to document
 * recognition") and Fashion-MNIST (Xiao et al. 2017, "Fashion-MNIST: a novel image dataset for benchmarking machine
 * learning algorithms"): from the folder {@code path}, {@code train-images-idx3-ubyte} or
 * {@code t10k-images-idx3-ubyte} (option {@code split}), with or without {@code .gz}, and the twin
 * {@code *-labels-idx1-ubyte} file when {@code labels=true}. See {@link IdxFile} for the format and its checks.
 *
 * <p>Shape {@code [1, H, W]}: the native size, or {@code size x size} when {@code size > 0}. A larger size whose
 * margins are even is reached by zero padding on every side (byte 0, so -1 after scaling: MNIST's background),
 * which keeps the strokes exact (28 to 32 for the DCGAN layout); any other size by {@link Resampling}.
 * Labels are one-hot over {@code max(10, largest label + 1)} classes.
 */
@Component(service = Dataset.class)
@GanName("idx")
public final class IdxDataset implements Dataset {

    static final String DEFAULT_PATH = "/usr/share/datasets/fashion-mnist";
    static final String HINT = "`apt-get install dataset-fashion-mnist` provides Fashion-MNIST at " + DEFAULT_PATH;

    @Override
    public String description() {
        return "IDX image files, e.g. MNIST (LeCun et al. 1998) or Fashion-MNIST (Xiao et al. 2017), gzip or plain";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofString("path", DEFAULT_PATH, "Folder holding the *-idx3-ubyte(.gz) files"),
                OptionSpec.ofChoice("split", "train", List.of("train", "test"),
                        "train: train-*-ubyte files; test: t10k-*-ubyte files"),
                OptionSpec.ofBoolean("labels", true, "Read the labels file and return one-hot labels"),
                OptionSpec.ofInt("size", 0, 0, 4096,
                        "Output side length: 0 keeps the native size, otherwise pad (even margins) or resize"),
                OptionSpec.ofInt("limit", 0, 0, Integer.MAX_VALUE, "Use only the first N images of the file (0: "
                        + "all), e.g. a 2,000-image training set where D overfits (Zhao et al. 2020; Karras et al. "
                        + "2020)"));
    }

    @Override
    public DataSource open(Options options) {
        DataFolder folder = DataFolder.require(options.getString("path"), HINT);
        String prefix = options.getString("split").equals("train") ? "train" : "t10k";
        Path images = folder.file(prefix + "-images-idx3-ubyte", prefix + "-images-idx3-ubyte.gz");
        Path labels = options.getBoolean("labels")
                ? folder.file(prefix + "-labels-idx1-ubyte", prefix + "-labels-idx1-ubyte.gz")
                : null;
        ByteImages all = read(images, labels, options.getInt("size"));
        int limit = options.getInt("limit");
        if (limit > all.size()) {
            throw new IllegalArgumentException("dataset 'idx': option 'limit' is " + limit + " but " + images
                    + " holds " + all.size() + " images; expected at most " + all.size() + " (or 0 for all)");
        }
        return limit == 0 ? all : all.first(limit);
    }

    /**
     * Reads an image file and optionally its label file.
     *
     * @param size output side length, 0 for the native size
     */
    static ByteImages read(Path imagesPath, Path labelsPath, int size) {
        try (IdxFile images = IdxFile.images(imagesPath);
                IdxFile labels = labelsPath == null ? null : IdxFile.labels(labelsPath)) {
            int n = images.dim(0);
            if (labels != null && labels.dim(0) != n) {
                throw labels.fail("declares " + labels.dim(0) + " labels, but " + imagesPath + " declares " + n
                        + " images; expected one label per image");
            }
            ImageFit fit = ImageFit.of(images.dim(1), images.dim(2), size);
            byte[] pixels = readPixels(images, fit);
            int[] classes = labels == null ? null : readLabels(labels, n);
            int classCount = 0;
            if (classes != null) {
                for (int c : classes) {
                    classCount = Math.max(classCount, c + 1);
                }
                classCount = Math.max(10, classCount);
            }
            return new ByteImages(n, 1, fit.outH(), fit.outW(), pixels, classes, classCount);
        }
    }

    private static byte[] readPixels(IdxFile images, ImageFit fit) {
        int n = images.dim(0);
        int outSize = fit.outH() * fit.outW();
        byte[] pixels = new byte[ByteImages.byteCount(images.path().toString(), n, 1, fit.outH(), fit.outW())];
        byte[] image = fit.identity() ? null : new byte[fit.inH() * fit.inW()];
        for (int i = 0; i < n; i++) {
            if (image == null) {
                images.read(pixels, i * outSize, outSize, i);
            } else {
                images.read(image, 0, image.length, i);
                fit.apply(image, 0, pixels, i * outSize);
            }
        }
        images.requireEnd();
        return pixels;
    }

    private static int[] readLabels(IdxFile labels, int n) {
        byte[] raw = new byte[n];
        labels.read(raw, 0, n, 0);
        labels.requireEnd();
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            classes[i] = raw[i] & 0xFF;
        }
        return classes;
    }
}
