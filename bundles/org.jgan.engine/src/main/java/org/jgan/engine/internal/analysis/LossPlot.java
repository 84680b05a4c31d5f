package org.jgan.engine.internal.analysis;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Plots a run's {@code losses.csv} as {@code losses.png}: one panel for the discriminator's columns ({@code d_*}) and
 * one for the generator's ({@code g_*}), iteration on the x axis. Each series is averaged over buckets of equal
 * iteration count (at most one bucket per pixel column) and drawn in a light tint, with its moving average over
 * 1/40 of the run in full color on top; the y range covers the 1st to 99th percentile of the bucket means, so a
 * single spike does not flatten the rest. Empty cells (lazy terms on steps they skip) are left out of the means. An
 * adversarial column equal to its player's total ({@code d_adv = d_loss}: no terms) is not drawn twice.
 */
public final class LossPlot {

    public static final int WIDTH = 900;
    public static final int PANEL_HEIGHT = 300;
    public static final int LEFT = 70;
    public static final int RIGHT = 20;
    public static final int TOP = 30;
    public static final int BOTTOM = 30;
    /** Series colors, in column order within a panel. */
    public static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    /** The loss log as columns: iteration and one array per loss name (NaN where a cell is empty). */
    public record Table(List<String> names, double[] iterations, List<double[]> columns) {
    }

    private LossPlot() {
    }

    /** A way to plot, {@link #write} in a run; a seam for tests. */
    @FunctionalInterface
    public interface Plotter {
        void plot(Path csv, Path png) throws IOException;
    }

    /**
     * Plots with {@code plotter} and reports instead of throwing: the plot is a convenience and a run goes on
     * without it. AWT on a server without fonts or font libraries fails with an {@link Error}
     * (UnsatisfiedLinkError, "No fonts found"), which is reported too; the JVM's own errors
     * ({@link VirtualMachineError}: out of memory, stack overflow) are rethrown.
     *
     * @return null when the plot was written, else what went wrong, for the log
     */
    public static String tryWrite(Plotter plotter, Path csv, Path png) {
        try {
            plotter.plot(csv, png);
            return null;
        } catch (IOException | RuntimeException e) {
            return e.toString();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Error e) {
            return e + " (no usable fonts?)";
        }
    }

    /** Reads {@code csv} and writes the plot to {@code png}; a log with no data rows writes nothing. */
    public static void write(Path csv, Path png) throws IOException {
        Table t = read(csv);
        if (t.iterations().length == 0) {
            return;
        }
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ImageIO.write(render(t), "png", tmp.toFile());
        Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    public static Table read(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        if (lines.isEmpty()) {
            throw new IOException(csv + ": empty loss log; expected a header 'iteration,<loss names>'");
        }
        String[] header = lines.get(0).split(",", -1);
        List<String> names = List.of(header).subList(1, header.length);
        int n = 0;
        double[] its = new double[lines.size() - 1];
        double[][] cols = new double[names.size()][lines.size() - 1];
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            if (cells.length != header.length) {
                continue; // a line being written while we read
            }
            its[n] = Double.parseDouble(cells[0]);
            for (int c = 0; c < names.size(); c++) {
                cols[c][n] = cells[c + 1].isEmpty() ? Double.NaN : Double.parseDouble(cells[c + 1]);
            }
            n++;
        }
        List<double[]> columns = new ArrayList<>();
        for (double[] col : cols) {
            columns.add(Arrays.copyOf(col, n));
        }
        return new Table(names, Arrays.copyOf(its, n), columns);
    }

    public static BufferedImage render(Table t) {
        boolean game = t.names().stream().anyMatch(n -> n.startsWith("d_") || n.startsWith("g_"));
        BufferedImage img = new BufferedImage(WIDTH, (game ? 2 : 1) * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        if (game) {
            panel(g, t, "d_", "discriminator", 0);
            panel(g, t, "g_", "generator", PANEL_HEIGHT);
        } else {
            // a model's run (model=NAME): its loss and the values it reports, on one panel
            panel(g, t, "", "objective", 0);
        }
        g.dispose();
        return img;
    }

    private static void panel(Graphics2D g, Table t, String prefix, String title, int y0) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = PANEL_HEIGHT - TOP - BOTTOM;
        double[] its = t.iterations();
        double xMin = its[0];
        double xMax = Math.max(its[its.length - 1], xMin + 1);
        int buckets = Math.min(plotW, its.length);
        List<String> names = new ArrayList<>();
        List<double[]> means = new ArrayList<>();
        List<Double> all = new ArrayList<>();
        for (int c = 0; c < t.names().size(); c++) {
            if (!t.names().get(c).startsWith(prefix)) {
                continue;
            }
            if (t.names().get(c).equals(prefix + "adv") && t.names().contains(prefix + "loss")
                    && Arrays.equals(t.columns().get(c), t.columns().get(t.names().indexOf(prefix + "loss")))) {
                continue;
            }
            double[] m = bucketMeans(t.columns().get(c), buckets);
            names.add(t.names().get(c));
            means.add(m);
            for (double v : m) {
                if (Double.isFinite(v)) {
                    all.add(v);
                }
            }
        }
        g.setColor(Color.BLACK);
        g.drawString(title + " losses: mean per " + Math.max(1, its.length / buckets) + " iterations (light), moving "
                + "average over " + Math.max(1, buckets / 40) * Math.max(1, its.length / buckets) + " (bold)", LEFT, y0 + 18);
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, y0 + TOP, plotW, plotH);
        if (all.isEmpty()) {
            return;
        }
        all.sort(null);
        double yMin = all.get((int) Math.floor(0.01 * (all.size() - 1)));
        double yMax = all.get((int) Math.ceil(0.99 * (all.size() - 1)));
        if (yMax - yMin < 1e-9) {
            yMin -= 0.5;
            yMax += 0.5;
        }
        double pad = 0.05 * (yMax - yMin);
        yMin -= pad;
        yMax += pad;
        g.setColor(Color.DARK_GRAY);
        for (int i = 0; i <= 4; i++) {
            double v = yMin + i * (yMax - yMin) / 4;
            int y = y0 + TOP + plotH - (int) Math.round(i * plotH / 4.0);
            g.drawString(String.format(Locale.ROOT, "%.3g", v), 4, y + 4);
            g.drawLine(LEFT - 4, y, LEFT, y);
            double it = xMin + i * (xMax - xMin) / 4;
            int x = LEFT + (int) Math.round(i * plotW / 4.0);
            g.drawString(String.format(Locale.ROOT, "%.0f", it), x - 12, y0 + PANEL_HEIGHT - 10);
            g.drawLine(x, y0 + TOP + plotH, x, y0 + TOP + plotH + 4);
        }
        java.awt.Shape clip = g.getClip();
        g.clipRect(LEFT + 1, y0 + TOP + 1, plotW - 1, plotH - 1);
        int window = Math.max(1, buckets / 40);
        for (int s = 0; s < means.size(); s++) {
            Color c = PALETTE[s % PALETTE.length];
            g.setStroke(new BasicStroke(1f));
            g.setColor(new Color((c.getRed() + 3 * 255) / 4, (c.getGreen() + 3 * 255) / 4, (c.getBlue() + 3 * 255) / 4));
            g.draw(polyline(means.get(s), its, xMin, xMax, yMin, yMax, y0));
            g.setStroke(new BasicStroke(2f));
            g.setColor(c);
            g.draw(polyline(movingAverage(means.get(s), window), its, xMin, xMax, yMin, yMax, y0));
        }
        g.setClip(clip);
        for (int s = 0; s < names.size(); s++) {
            int x = WIDTH - RIGHT - 150;
            int y = y0 + TOP + 14 + 14 * s;
            g.setColor(PALETTE[s % PALETTE.length]);
            g.fillRect(x, y - 8, 12, 8);
            g.setColor(Color.BLACK);
            g.drawString(names.get(s), x + 16, y);
        }
    }

    private static Path2D polyline(double[] m, double[] its, double xMin, double xMax, double yMin, double yMax,
            int y0) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = PANEL_HEIGHT - TOP - BOTTOM;
        Path2D.Double path = new Path2D.Double();
        boolean pen = false;
        for (int b = 0; b < m.length; b++) {
            if (!Double.isFinite(m[b])) {
                pen = false;
                continue;
            }
            double it = its[(int) ((b + 0.5) * its.length / m.length)];
            double x = LEFT + (it - xMin) / (xMax - xMin) * plotW;
            double y = y0 + TOP + plotH - (m[b] - yMin) / (yMax - yMin) * plotH;
            if (pen) {
                path.lineTo(x, y);
            } else {
                path.moveTo(x, y);
                pen = true;
            }
        }
        return path;
    }

    /** Mean of the finite values among the {@code window} up to and including each position (NaN if none). */
    public static double[] movingAverage(double[] v, int window) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double sum = 0;
            int n = 0;
            for (int j = Math.max(0, i - window + 1); j <= i; j++) {
                if (Double.isFinite(v[j])) {
                    sum += v[j];
                    n++;
                }
            }
            out[i] = n == 0 ? Double.NaN : sum / n;
        }
        return out;
    }

    /** Means of {@code values} over {@code buckets} consecutive equal slices, ignoring NaN (NaN if all are). */
    public static double[] bucketMeans(double[] values, int buckets) {
        double[] m = new double[buckets];
        for (int b = 0; b < buckets; b++) {
            int from = (int) ((long) b * values.length / buckets);
            int to = (int) ((long) (b + 1) * values.length / buckets);
            double sum = 0;
            int n = 0;
            for (int i = from; i < to; i++) {
                if (Double.isFinite(values[i])) {
                    sum += values[i];
                    n++;
                }
            }
            m[b] = n == 0 ? Double.NaN : sum / n;
        }
        return m;
    }
}
