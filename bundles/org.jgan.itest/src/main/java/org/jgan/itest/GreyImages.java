package org.jgan.itest;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** A small image folder for runs inside the framework: grey 28x28 PNGs of dark and light squares. */
final class GreyImages {

    private GreyImages() {
    }

    /** Writes {@code count} PNGs {@code 0.png ...} into {@code folder} (created) and returns it. */
    static Path write(Path folder, int count) throws IOException {
        Files.createDirectories(folder);
        for (int i = 0; i < count; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 4; y < 24; y++) {
                for (int x = 4 + i % 3; x < 20 + i % 5; x++) {
                    img.getRaster().setSample(x, y, 0, i % 2 == 0 ? 60 + i : 220 - i);
                }
            }
            ImageIO.write(img, "png", folder.resolve(i + ".png").toFile());
        }
        return folder;
    }
}
