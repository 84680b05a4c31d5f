package org.jgan.datasets.image.internal;

import static org.jgan.datasets.image.internal.Formats.open;
import static org.jgan.datasets.image.internal.Formats.scaled;
import static org.jgan.datasets.image.internal.Formats.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image-folder reader on PNG and JPEG files generated with javax.imageio. */
class ImageFolderDatasetTest {

    @TempDir
    Path dir;

    static final int RED = 0xFF0000;
    static final int GREEN = 0x00FF00;
    static final int BLUE = 0x0000FF;

    static int rgb(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }

    static Path save(Path file, BufferedImage image) throws IOException {
        Files.createDirectories(file.getParent());
        String format = file.toString().endsWith(".png") ? "png" : "jpg";
        assertTrue(ImageIO.write(image, format, file.toFile()), "no ImageIO writer for " + format);
        return file;
    }

    static BufferedImage solid(int w, int h, int colour) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, colour);
            }
        }
        return image;
    }

    ByteImages openFolder(Map<String, String> options) {
        Map<String, String> all = new HashMap<>(options);
        all.put("path", dir.toString());
        return (ByteImages) open(new ImageFolderDataset(), all);
    }

    static int[] rgbAt(ByteImages data, int i, int y, int x) {
        return new int[] {data.pixel(i, 0, y, x), data.pixel(i, 1, y, x), data.pixel(i, 2, y, x)};
    }

    /**
     * A 4x4 square of four 2x2 blocks: top-left red 0, 40, 80, 120 (mean 60), top-right green, bottom-left blue,
     * bottom-right (10, 20, 30); drawn at {@code (dx, dy)} inside a {@code w x h} red image.
     */
    static BufferedImage blocks(int w, int h, int dx, int dy) {
        BufferedImage image = solid(w, h, RED);
        int[][] topLeft = {{0, 40}, {80, 120}};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                int colour = y < 2 ? (x < 2 ? rgb(topLeft[y][x], 0, 0) : GREEN) : (x < 2 ? BLUE : rgb(10, 20, 30));
                image.setRGB(dx + x, dy + y, colour);
            }
        }
        return image;
    }

    @Test
    void wideAndTallImagesAreCentreCroppedThenAreaAveraged() throws IOException {
        save(dir.resolve("a-wide.png"), blocks(6, 4, 1, 0));
        save(dir.resolve("b-tall.png"), blocks(4, 6, 0, 1));
        ByteImages data = openFolder(Map.of("size", "2"));
        assertEquals(new DataShape(3, 2, 2), data.shape());
        assertEquals(2, data.size());
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(new int[] {60, 0, 0}, rgbAt(data, i, 0, 0));
            assertArrayEquals(new int[] {0, 255, 0}, rgbAt(data, i, 0, 1));
            assertArrayEquals(new int[] {0, 0, 255}, rgbAt(data, i, 1, 0));
            assertArrayEquals(new int[] {10, 20, 30}, rgbAt(data, i, 1, 1));
        }
        // Scaled: 0 -> -1, 255 -> 1, 60 -> 60/127.5 - 1.
        float[] x = data.sample(1, 0).data().data().asFloat();
        assertArrayEquals(new float[] {scaled(60), -1f, -1f, scaled(10), -1f, 1f, -1f, scaled(20),
            -1f, -1f, 1f, scaled(30)}, x, 0f);
    }

    @Test
    void enlargingInterpolatesBetweenPixelCentres() throws IOException {
        BufferedImage image = solid(2, 2, 0);
        image.setRGB(1, 0, rgb(200, 0, 0));
        image.setRGB(1, 1, rgb(200, 0, 0));
        save(dir.resolve("x.png"), image);
        ByteImages data = openFolder(Map.of("size", "4"));
        for (int y = 0; y < 4; y++) {
            int[] row = new int[4];
            for (int x = 0; x < 4; x++) {
                row[x] = data.pixel(0, 0, y, x);
            }
            assertArrayEquals(new int[] {0, 50, 150, 200}, row);
        }
    }

    @Test
    void oneChannelIsBt601Luma() throws IOException {
        BufferedImage image = solid(2, 2, RED);
        image.setRGB(1, 0, GREEN);
        image.setRGB(0, 1, BLUE);
        image.setRGB(1, 1, 0xFFFFFF);
        save(dir.resolve("x.png"), image);
        ByteImages data = openFolder(Map.of("size", "2", "channels", "1"));
        assertEquals(new DataShape(1, 2, 2), data.shape());
        // round(0.299 * 255) = 76, round(0.587 * 255) = 150, round(0.114 * 255) = 29
        assertEquals(76, data.pixel(0, 0, 0, 0));
        assertEquals(150, data.pixel(0, 0, 0, 1));
        assertEquals(29, data.pixel(0, 0, 1, 0));
        assertEquals(255, data.pixel(0, 0, 1, 1));
    }

    @Test
    void greyPngsKeepTheirValues() throws IOException {
        BufferedImage grey8 = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        grey8.getRaster().setSample(0, 0, 0, 128);
        grey8.getRaster().setSample(1, 0, 0, 64);
        save(dir.resolve("a.png"), grey8);
        BufferedImage grey16 = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(0, 0, 0, 128 * 257);
        grey16.getRaster().setSample(1, 0, 0, 65535);
        save(dir.resolve("b.png"), grey16);
        ByteImages one = openFolder(Map.of("size", "2", "channels", "1"));
        assertEquals(128, one.pixel(0, 0, 0, 0));
        assertEquals(64, one.pixel(0, 0, 0, 1));
        assertEquals(0, one.pixel(0, 0, 1, 1));
        assertEquals(128, one.pixel(1, 0, 0, 0));
        assertEquals(255, one.pixel(1, 0, 0, 1));
        ByteImages three = openFolder(Map.of("size", "2"));
        assertArrayEquals(new int[] {128, 128, 128}, rgbAt(three, 0, 0, 0));
        assertArrayEquals(new int[] {64, 64, 64}, rgbAt(three, 0, 0, 1));
    }

    @Test
    void jpegOfASolidColourDecodesNearThatColour() throws IOException {
        save(dir.resolve("x.jpg"), solid(16, 16, rgb(200, 100, 50)));
        save(dir.resolve("y.JPEG"), solid(16, 16, rgb(200, 100, 50)));
        ByteImages data = openFolder(Map.of("size", "8"));
        assertEquals(2, data.size());
        for (int i = 0; i < 2; i++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    int[] p = rgbAt(data, i, y, x);
                    assertTrue(Math.abs(p[0] - 200) <= 3 && Math.abs(p[1] - 100) <= 3 && Math.abs(p[2] - 50) <= 3,
                            java.util.Arrays.toString(p));
                }
            }
        }
    }

    @Test
    void subfolderNamesSortedAreTheClasses() throws IOException {
        save(dir.resolve("dogs/sub/c.png"), solid(3, 3, BLUE));
        save(dir.resolve("cats/b.jpg"), solid(8, 8, GREEN));
        save(dir.resolve("cats/a.png"), solid(3, 3, RED));
        save(dir.resolve(".thumbs/d.png"), solid(3, 3, 0));
        Files.writeString(dir.resolve("cats/notes.txt"), "not an image");
        ByteImages data = openFolder(Map.of("size", "3", "labels", "true"));
        assertEquals(3, data.size());
        assertEquals(2, data.classes());
        assertArrayEquals(new int[] {255, 0, 0}, rgbAt(data, 0, 1, 1)); // cats/a.png
        assertEquals(0, data.label(0));
        assertEquals(0, data.label(1)); // cats/b.jpg
        assertArrayEquals(new int[] {0, 0, 255}, rgbAt(data, 2, 1, 1)); // dogs/sub/c.png
        assertEquals(1, data.label(2));

        Batch batch = data.sample(16, 3);
        float[][] oneHot = batch.labels().toFloatMatrix();
        float[] flat = batch.data().data().asFloat();
        for (int i = 0; i < 16; i++) {
            boolean dog = flat[i * 27 + 2 * 9] == 1f; // blue plane saturated only for the dog
            assertArrayEquals(dog ? new float[] {0, 1} : new float[] {1, 0}, oneHot[i], 0f);
        }
        assertEquals(batch.data(), data.sample(16, 3).data());
        assertEquals(batch.labels(), data.sample(16, 3).labels());
        assertNull(openFolder(Map.of("size", "3")).sample(2, 0).labels());
    }

    @Test
    void labelsNeedEveryImageInAClassFolderAndEveryClassFolderToHoldOne() throws IOException {
        Path loose = save(dir.resolve("loose.png"), solid(2, 2, RED));
        save(dir.resolve("cats/a.png"), solid(2, 2, RED));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> openFolder(Map.of("labels", "true")));
        assertTrue(e.getMessage().startsWith(loose + ": lies directly in "), e.getMessage());

        Files.delete(loose);
        Files.createDirectories(dir.resolve("dogs"));
        e = assertThrows(IllegalArgumentException.class, () -> openFolder(Map.of("labels", "true")));
        assertTrue(e.getMessage().startsWith(dir.resolve("dogs") + ": class folder holds no "), e.getMessage());
    }

    @Test
    void anEmptyFolderIsAClearError() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> openFolder(Map.of()));
        assertEquals(dir + ": no .png, .jpg or .jpeg images in this folder or below; point option 'path' at a "
                + "folder of .png/.jpg/.jpeg images", e.getMessage());
        Files.writeString(dir.resolve("readme.txt"), "x");
        e = assertThrows(IllegalArgumentException.class, () -> openFolder(Map.of()));
        assertTrue(e.getMessage().startsWith(dir + ": no .png"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> open(new ImageFolderDataset(), Map.of()));
        assertTrue(e.getMessage().startsWith("no dataset folder given (option 'path')"), e.getMessage());
    }

    @Test
    void corruptImagesAreNamed() throws IOException {
        save(dir.resolve("a-good.png"), solid(2, 2, RED));
        // A PNG signature and IHDR start, then garbage.
        byte[] png = java.util.Arrays.copyOf(Files.readAllBytes(dir.resolve("a-good.png")), 40);
        for (int i = 20; i < 40; i++) {
            png[i] = (byte) 0xEE;
        }
        Path bad = write(dir.resolve("b-bad.png"), png);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> openFolder(Map.of()));
        assertTrue(e.getMessage().startsWith(bad + ": cannot decode the image"), e.getMessage());

        Files.delete(bad);
        Path text = write(dir.resolve("c.jpg"), "hello, not a JPEG".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        e = assertThrows(IllegalArgumentException.class, () -> openFolder(Map.of()));
        assertTrue(e.getMessage().startsWith(text + ": "), e.getMessage());
    }

    @Test
    void shapeFollowsTheOptions() throws IOException {
        save(dir.resolve("a.png"), solid(100, 70, GREEN));
        DataSource data = openFolder(Map.of());
        assertEquals(new DataShape(3, 64, 64), data.shape());
        assertArrayEquals(new long[] {5, 3, 64, 64}, data.sample(5, 1).data().shape());
        assertEquals(0, data.classes());
    }
}
