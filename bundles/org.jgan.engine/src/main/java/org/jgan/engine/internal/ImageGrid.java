package org.jgan.engine.internal;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Writes a batch of NCHW images with pixels in [-1, 1] as one PNG grid. */
final class ImageGrid {

    private ImageGrid() {
    }

    static Path write(INDArray images, Path file) throws IOException {
        int n = (int) images.size(0);
        int c = (int) images.size(1);
        int h = (int) images.size(2);
        int w = (int) images.size(3);
        int cols = (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        BufferedImage img = new BufferedImage(cols * (w + 1) + 1, rows * (h + 1) + 1, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < n; i++) {
            int x0 = 1 + (i % cols) * (w + 1);
            int y0 = 1 + (i / cols) * (h + 1);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int r = pixel(images.getDouble(i, 0, y, x));
                    int g = c >= 3 ? pixel(images.getDouble(i, 1, y, x)) : r;
                    int b = c >= 3 ? pixel(images.getDouble(i, 2, y, x)) : r;
                    img.setRGB(x0 + x, y0 + y, (r << 16) | (g << 8) | b);
                }
            }
        }
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    private static int pixel(double v) {
        return (int) Math.round(Math.max(0, Math.min(255, (v + 1) * 127.5)));
    }
}
