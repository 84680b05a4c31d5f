package org.jgan.datasets.image.internal;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * One image file decoded by {@code javax.imageio}, centre-cropped to a square (side {@code min(width, height)},
 * offset {@code floor((width - side) / 2)}, likewise vertically) and resampled by {@link Resampling} to
 * {@code size x size} (area average when shrinking, bilinear when enlarging).
 *
 * <p>Channels: RGB in sRGB as {@code BufferedImage.getRGB} gives it (alpha is ignored), or for one channel the
 * luma {@code Y = 0.299 R + 0.587 G + 0.114 B} of ITU-R BT.601 (PIL's {@code convert("L")}). Grey-scale files are
 * read from the raster directly, because {@code getRGB} would pass them through Java's linear grey colour space and
 * change their values; for three channels the grey value is repeated.
 */
final class SquareImage {

    private SquareImage() {
    }

    /**
     * Writes the {@code channels x size x size} bytes of the image in {@code file} to {@code dst[offset..]}, CHW.
     *
     * @throws IllegalArgumentException naming the file when it cannot be decoded
     */
    static void write(Path file, int channels, int size, byte[] dst, int offset) {
        BufferedImage image = decode(file);
        int side = Math.min(image.getWidth(), image.getHeight());
        int x0 = (image.getWidth() - side) / 2;
        int y0 = (image.getHeight() - side) / 2;
        byte[] crop = new byte[channels * side * side];
        if (isGrey(image)) {
            grey(image.getRaster(), x0, y0, side, channels, crop);
        } else {
            rgb(image, x0, y0, side, channels, crop);
        }
        Resampling resampling = new Resampling(side, side, size, size);
        for (int c = 0; c < channels; c++) {
            resampling.apply(crop, c * side * side, dst, offset + c * size * size);
        }
    }

    private static BufferedImage decode(Path file) {
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": cannot decode the image (" + e + ")", e);
        }
        if (image == null) {
            throw new IllegalArgumentException(file + ": not an image format javax.imageio can decode; "
                    + "expected PNG or JPEG");
        }
        if (image.getWidth() < 1 || image.getHeight() < 1) {
            throw new IllegalArgumentException(file + ": empty image");
        }
        return image;
    }

    private static boolean isGrey(BufferedImage image) {
        return image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && image.getRaster().getNumBands() <= 2;
    }

    private static void grey(Raster raster, int x0, int y0, int side, int channels, byte[] crop) {
        int max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
        int[] row = new int[side];
        for (int y = 0; y < side; y++) {
            raster.getSamples(x0, y0 + y, side, 1, 0, row);
            for (int x = 0; x < side; x++) {
                byte v = (byte) (max == 255 ? row[x] : Math.round(row[x] * 255.0 / max));
                for (int c = 0; c < channels; c++) {
                    crop[(c * side + y) * side + x] = v;
                }
            }
        }
    }

    private static void rgb(BufferedImage image, int x0, int y0, int side, int channels, byte[] crop) {
        int[] row = new int[side];
        int plane = side * side;
        for (int y = 0; y < side; y++) {
            image.getRGB(x0, y0 + y, side, 1, row, 0, side);
            for (int x = 0; x < side; x++) {
                int r = (row[x] >> 16) & 0xFF;
                int g = (row[x] >> 8) & 0xFF;
                int b = row[x] & 0xFF;
                int at = y * side + x;
                if (channels == 3) {
                    crop[at] = (byte) r;
                    crop[plane + at] = (byte) g;
                    crop[2 * plane + at] = (byte) b;
                } else {
                    crop[at] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
                }
            }
        }
    }
}
