package org.jgan.engine.internal.analysis;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossPlotTest {

    /** The row of the first pixel of {@code rgb} in pixel column x within [top, bottom), or -1. */
    private static int rowOf(BufferedImage img, int rgb, int x, int top, int bottom) {
        for (int y = top; y < bottom; y++) {
            if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                return y;
            }
        }
        return -1;
    }

    @Test
    void plotsEachPlayersSeriesInItsPanelWithTheirTrend(@TempDir Path dir) throws Exception {
        // d_loss rises linearly, d_r1 is constant and empty on odd iterations (lazy), g_loss falls
        StringBuilder csv = new StringBuilder("iteration,d_loss,d_adv,d_r1,g_loss,g_adv\n");
        for (int i = 1; i <= 2000; i++) {
            double d = i / 1000.0;
            // d_adv and g_adv lie apart from d_loss and g_loss, so no line hides another
            csv.append(i).append(',').append(d).append(',').append(-d).append(',')
                    .append(i % 2 == 0 ? "0.5" : "").append(',').append(3 - d).append(',').append(d - 3).append('\n');
        }
        Path file = dir.resolve("losses.csv");
        Files.writeString(file, csv);
        LossPlot.Table t = LossPlot.read(file);
        assertEquals(2000, t.iterations().length);
        assertTrue(Double.isNaN(t.columns().get(2)[0]), "an empty cell reads as NaN");
        Path png = dir.resolve("losses.png");
        LossPlot.write(file, png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(LossPlot.WIDTH, img.getWidth());
        assertEquals(2 * LossPlot.PANEL_HEIGHT, img.getHeight());

        int first = LossPlot.PALETTE[0].getRGB() & 0xffffff;
        int third = LossPlot.PALETTE[2].getRGB() & 0xffffff;
        int left = LossPlot.LEFT + 20;
        int right = LossPlot.WIDTH - LossPlot.RIGHT - 200;
        int dTop = LossPlot.TOP;
        int dBottom = LossPlot.PANEL_HEIGHT - LossPlot.BOTTOM;
        int gTop = LossPlot.PANEL_HEIGHT + LossPlot.TOP;
        int gBottom = 2 * LossPlot.PANEL_HEIGHT - LossPlot.BOTTOM;
        // d_loss (first color of the D panel) is drawn higher (smaller y) on the right: it rises
        int dl = rowOf(img, first, left, dTop + 1, dBottom);
        int dr = rowOf(img, first, right, dTop + 1, dBottom);
        assertTrue(dl > 0 && dr > 0 && dr < dl - 50, "d_loss rises: rows " + dl + " -> " + dr);
        // g_loss (first color of the G panel) falls
        int gl = rowOf(img, first, left, gTop + 1, gBottom);
        int gr = rowOf(img, first, right, gTop + 1, gBottom);
        assertTrue(gl > 0 && gr > 0 && gr > gl + 50, "g_loss falls: rows " + gl + " -> " + gr);
        // the lazy d_r1 (third color) is a flat line despite its empty cells
        int rl = rowOf(img, third, left, dTop + 1, dBottom);
        int rr = rowOf(img, third, right, dTop + 1, dBottom);
        assertTrue(rl > 0 && Math.abs(rl - rr) <= 1, "constant d_r1 is flat: rows " + rl + ", " + rr);
        // no G column in the D panel: the third color does not appear in the G panel
        assertEquals(-1, rowOf(img, third, left, gTop + 1, gBottom));
    }

    @Test
    void aModelRunsColumnsShareOnePanel(@TempDir Path dir) throws Exception {
        // a VAE's losses.csv: loss falls, kl rises; no player prefixes
        StringBuilder csv = new StringBuilder("iteration,loss,kl\n");
        for (int i = 1; i <= 1000; i++) {
            csv.append(i).append(',').append(5 - i / 250.0).append(',').append(i / 500.0).append('\n');
        }
        Path file = dir.resolve("losses.csv");
        Files.writeString(file, csv);
        Path png = dir.resolve("losses.png");
        LossPlot.write(file, png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(LossPlot.PANEL_HEIGHT, img.getHeight());
        int first = LossPlot.PALETTE[0].getRGB() & 0xffffff;
        int second = LossPlot.PALETTE[1].getRGB() & 0xffffff;
        int left = LossPlot.LEFT + 20;
        int right = LossPlot.WIDTH - LossPlot.RIGHT - 200;
        int top = LossPlot.TOP + 1;
        int bottom = LossPlot.PANEL_HEIGHT - LossPlot.BOTTOM;
        int ll = rowOf(img, first, left, top, bottom);
        int lr = rowOf(img, first, right, top, bottom);
        assertTrue(ll > 0 && lr > ll + 50, "loss falls: rows " + ll + " -> " + lr);
        int kl = rowOf(img, second, left, top, bottom);
        int kr = rowOf(img, second, right, top, bottom);
        assertTrue(kl > 0 && kr > 0 && kr < kl - 20, "kl rises: rows " + kl + " -> " + kr);
    }

    @Test
    void bucketMeansIgnoreEmptyCellsAndCoverEveryValue() {
        assertArrayEquals(new double[] {1.5, 3.5}, LossPlot.bucketMeans(new double[] {1, 2, 3, 4}, 2), 1e-12);
        double[] m = LossPlot.bucketMeans(new double[] {1, Double.NaN, Double.NaN, Double.NaN, 5}, 2);
        assertEquals(1, m[0], 1e-12);
        assertEquals(5, m[1], 1e-12);
        assertTrue(Double.isNaN(LossPlot.bucketMeans(new double[] {Double.NaN, 1}, 2)[0]));
    }

    @Test
    void movingAverageSkipsEmptyCells() {
        assertArrayEquals(new double[] {1, 1.5, 2.5, 3.5}, LossPlot.movingAverage(new double[] {1, 2, 3, 4}, 2), 1e-12);
        assertArrayEquals(new double[] {1, 1, 3}, LossPlot.movingAverage(new double[] {1, Double.NaN, 3}, 2), 1e-12);
    }

    @Test
    void anAdversarialColumnEqualToTheTotalIsDrawnOnce(@TempDir Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("iteration,d_loss,d_adv,g_loss,g_adv\n");
        for (int i = 1; i <= 100; i++) {
            csv.append(i).append(",1,1,2,").append(i).append('\n');
        }
        Path file = dir.resolve("losses.csv");
        Files.writeString(file, csv);
        BufferedImage img = LossPlot.render(LossPlot.read(file));
        int second = LossPlot.PALETTE[1].getRGB() & 0xffffff;
        // d_adv = d_loss is skipped, so the D panel has no second series; g_adv differs and is drawn
        assertEquals(-1, rowOf(img, second, LossPlot.LEFT + 100, LossPlot.TOP + 1, LossPlot.PANEL_HEIGHT - LossPlot.BOTTOM));
        assertTrue(rowOf(img, second, LossPlot.LEFT + 100, LossPlot.PANEL_HEIGHT + LossPlot.TOP + 1,
                2 * LossPlot.PANEL_HEIGHT - LossPlot.BOTTOM) > 0);
    }

    @Test
    void aLogWithoutDataRowsWritesNoPlot(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("losses.csv");
        Files.writeString(file, "iteration,d_loss,g_loss\n");
        LossPlot.write(file, dir.resolve("losses.png"));
        assertFalse(Files.exists(dir.resolve("losses.png")));
    }

    @Test
    void aFailedPlotIsReportedNotThrownExceptTheJvmsOwnErrors(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("losses.csv");
        Path png = dir.resolve("losses.png");
        Files.writeString(csv, "iteration,d_loss,g_loss\n1,1.0,2.0\n2,0.5,1.5\n");
        assertNull(LossPlot.tryWrite(LossPlot::write, csv, png));
        assertTrue(Files.size(png) > 0, "the plot is written when plotting works");
        // what AWT throws on a server without font libraries or fonts: reported, the run goes on
        String noLib = LossPlot.tryWrite((c, p) -> {
            throw new UnsatisfiedLinkError("libfontmanager.so: libharfbuzz.so.0: cannot open shared object file");
        }, csv, png);
        assertTrue(noLib.contains("libharfbuzz") && noLib.contains("no usable fonts"), noLib);
        String noFonts = LossPlot.tryWrite((c, p) -> {
            throw new Error("Probable fatal error: No fonts found.");
        }, csv, png);
        assertTrue(noFonts.contains("No fonts found"), noFonts);
        String io = LossPlot.tryWrite((c, p) -> {
            throw new IOException("disk full");
        }, csv, png);
        assertTrue(io.contains("disk full"), io);
        // the JVM's own errors are not swallowed
        assertThrows(OutOfMemoryError.class, () -> LossPlot.tryWrite((c, p) -> {
            throw new OutOfMemoryError("Java heap space");
        }, csv, png));
        assertThrows(StackOverflowError.class, () -> LossPlot.tryWrite((c, p) -> {
            throw new StackOverflowError();
        }, csv, png));
    }
}
