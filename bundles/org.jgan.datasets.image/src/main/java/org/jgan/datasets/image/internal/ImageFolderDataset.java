package org.jgan.datasets.image.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.GanName;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.osgi.service.component.annotations.Component;

/**
 * A folder of PNG and JPEG files ({@code .png}, {@code .jpg}, {@code .jpeg}, any case), searched recursively in
 * the order of their relative paths; names starting with a dot are skipped. Each image is decoded by
 * {@code javax.imageio}, centre-cropped to a square and resampled to {@code size x size}, with 3 (RGB) or 1 (luma)
 * channels, as {@link SquareImage} describes. This is the layout of CelebA's {@code img_align_celeba} or of an
 * exported LSUN category.
 *
 * <p>With {@code labels=true} the classes are the immediate subfolders, sorted by name (torchvision's
 * {@code ImageFolder} layout): every image must lie inside one, at any depth, and every one must hold an image.
 */
@Component(service = Dataset.class)
@GanName("image-folder")
public final class ImageFolderDataset implements Dataset {

    static final String HINT = "point option 'path' at a folder of .png/.jpg/.jpeg images";

    @Override
    public String description() {
        return "A folder (recursive) of PNG/JPEG images, centre-cropped and resized to a square";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofString("path", "", "Folder of .png/.jpg/.jpeg images, searched recursively"),
                OptionSpec.ofInt("size", 64, 1, 4096, "Output side length: centre crop to a square, then resize"),
                OptionSpec.ofChoice("channels", "3", List.of("3", "1"), "3: RGB; 1: luma (ITU-R BT.601)"),
                OptionSpec.ofBoolean("labels", false, "One-hot labels from the immediate subfolder names"));
    }

    @Override
    public DataSource open(Options options) {
        DataFolder folder = DataFolder.require(options.getString("path"), HINT);
        return read(folder.path(), options.getInt("size"), Integer.parseInt(options.getString("channels")),
                options.getBoolean("labels"));
    }

    /** Decodes every image under {@code root}. */
    static ByteImages read(Path root, int size, int channels, boolean withLabels) {
        List<Path> files = imageFiles(root);
        int[] labels = withLabels ? classesOf(root, files) : null;
        int classes = 0;
        if (labels != null) {
            for (int c : labels) {
                classes = Math.max(classes, c + 1);
            }
        }
        int imageBytes = channels * size * size;
        byte[] pixels = new byte[ByteImages.byteCount(root.toString(), files.size(), channels, size, size)];
        for (int i = 0; i < files.size(); i++) {
            SquareImage.write(files.get(i), channels, size, pixels, i * imageBytes);
        }
        return new ByteImages(files.size(), channels, size, size, pixels, labels, classes);
    }

    /** The image files under {@code root}, sorted by relative path. */
    static List<Path> imageFiles(Path root) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> !hidden(root.relativize(p)) && isImageName(p) && Files.isRegularFile(p))
                    .sorted((a, b) -> key(root, a).compareTo(key(root, b)))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException(root + ": cannot list the folder (" + e + ")", e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(root + ": no .png, .jpg or .jpeg images in this folder or below; "
                    + HINT);
        }
        return files;
    }

    /** Class index of each file: its immediate subfolder of {@code root}, among all of them sorted by name. */
    private static int[] classesOf(Path root, List<Path> files) {
        TreeMap<String, Integer> classes = new TreeMap<>();
        try (Stream<Path> children = Files.list(root)) {
            children.filter(p -> Files.isDirectory(p) && !hidden(root.relativize(p)))
                    .forEach(p -> classes.put(p.getFileName().toString(), 0));
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException(root + ": cannot list the folder (" + e + ")", e);
        }
        List<String> names = new ArrayList<>(classes.keySet());
        for (int i = 0; i < names.size(); i++) {
            classes.put(names.get(i), i);
        }
        int[] labels = new int[files.size()];
        boolean[] used = new boolean[names.size()];
        for (int i = 0; i < files.size(); i++) {
            Path relative = root.relativize(files.get(i));
            if (relative.getNameCount() < 2) {
                throw new IllegalArgumentException(files.get(i) + ": lies directly in " + root
                        + "; with labels=true every image must be inside a class subfolder");
            }
            labels[i] = classes.get(relative.getName(0).toString());
            used[labels[i]] = true;
        }
        for (int c = 0; c < used.length; c++) {
            if (!used[c]) {
                throw new IllegalArgumentException(root.resolve(names.get(c)) + ": class folder holds no "
                        + ".png, .jpg or .jpeg images; remove it or add images (classes are the subfolders)");
            }
        }
        return labels;
    }

    private static boolean isImageName(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg");
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** Sort key: the relative path with '/' separators, the same on every platform. */
    private static String key(Path root, Path file) {
        return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }
}
