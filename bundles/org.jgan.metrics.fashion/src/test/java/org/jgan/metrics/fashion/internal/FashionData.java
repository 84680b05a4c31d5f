package org.jgan.metrics.fashion.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jgan.api.DataSource;
import org.jgan.api.Options;
import org.jgan.datasets.image.internal.IdxDataset;

/** The real Fashion-MNIST of the Debian package, through the project's own IDX reader. */
final class FashionData {

    static final Path PATH = Path.of("/usr/share/datasets/fashion-mnist");

    private FashionData() {
    }

    static boolean present() {
        return Files.isDirectory(PATH);
    }

    static DataSource open(String split) {
        return open(split, 0);
    }

    static DataSource open(String split, int size) {
        IdxDataset idx = new IdxDataset();
        return idx.open(Options.resolve("dataset 'idx'", idx.options(), Map.of("path", PATH.toString(), "split", split,
                "size", Integer.toString(size))));
    }
}
