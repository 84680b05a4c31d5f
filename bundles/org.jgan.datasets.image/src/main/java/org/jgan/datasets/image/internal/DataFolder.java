package org.jgan.datasets.image.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The local folder a dataset is read from. Nothing is downloaded at run time, so a missing folder or file is
 * reported with its path and {@code hint}, which says where the data comes from.
 */
record DataFolder(Path path, String hint) {

    /** The folder at {@code path}, which must exist. */
    static DataFolder require(String path, String hint) {
        if (path.isBlank()) {
            throw new IllegalArgumentException("no dataset folder given (option 'path'); " + hint);
        }
        Path folder = Path.of(path).toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": "
                    + (Files.exists(folder) ? "not a folder" : "no such folder") + "; " + hint);
        }
        return new DataFolder(folder, hint);
    }

    /** The first of {@code names} that exists in the folder as a regular file. */
    Path file(String... names) {
        for (String name : names) {
            Path file = path.resolve(name);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        String tried = Arrays.stream(names).map(n -> path.resolve(n).toString()).collect(Collectors.joining(" or "));
        throw new IllegalArgumentException(tried + ": no such file; " + hint);
    }
}
