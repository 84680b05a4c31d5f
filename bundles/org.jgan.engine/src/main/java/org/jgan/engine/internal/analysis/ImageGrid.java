package org.jgan.engine.internal.analysis;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.jgan.engine.internal.folder.AtomicFile;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Writes a batch of NCHW images with pixels in [-1, 1] as one PNG grid. */
public final class ImageGrid {

    private ImageGrid() {
    }

    static Path write(INDArray images, Path file) throws IOException {
        int n = (int) images.size(0);
        int h = (int) images.size(2);
        int w = (int) images.size(3);
        int cols = (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        BufferedImage img = new BufferedImage(cols * (w + 1) + 1, rows * (h + 1) + 1, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < n; i++) {
            paint(img, images, i, 1 + (i % cols) * (w + 1), 1 + (i / cols) * (h + 1));
        }
        AtomicFile.write(file, out -> ImageIO.write(img, "png", out));
        return file;
    }

    /**
     * One grid row per batch in {@code rows} (each {@code [n_i, C, H, W]}), left-aligned; cells past the end of a
     * shorter row stay gray.
     */
    static Path writeRows(java.util.List<INDArray> rows, Path file) throws IOException {
        INDArray first = rows.get(0);
        int h = (int) first.size(2);
        int w = (int) first.size(3);
        int cols = 0;
        for (INDArray r : rows) {
            cols = Math.max(cols, (int) r.size(0));
        }
        BufferedImage img = new BufferedImage(cols * (w + 1) + 1, rows.size() * (h + 1) + 1, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, 0x808080);
            }
        }
        for (int row = 0; row < rows.size(); row++) {
            INDArray images = rows.get(row);
            for (int i = 0; i < images.size(0); i++) {
                paint(img, images, i, 1 + i * (w + 1), 1 + row * (h + 1));
            }
        }
        AtomicFile.write(file, out -> ImageIO.write(img, "png", out));
        return file;
    }

    /** Image i of an NCHW batch at (x0, y0); one channel is drawn as gray, three as RGB. */
    private static void paint(BufferedImage img, INDArray images, int i, int x0, int y0) {
        int c = (int) images.size(1);
        int h = (int) images.size(2);
        int w = (int) images.size(3);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = pixel(images.getDouble(i, 0, y, x));
                int g = c >= 3 ? pixel(images.getDouble(i, 1, y, x)) : r;
                int b = c >= 3 ? pixel(images.getDouble(i, 2, y, x)) : r;
                img.setRGB(x0 + x, y0 + y, (r << 16) | (g << 8) | b);
            }
        }
    }

    private static int pixel(double v) {
        return (int) Math.round(Math.max(0, Math.min(255, (v + 1) * 127.5)));
    }
}
