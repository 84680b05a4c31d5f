package org.jgan.metrics.mixture.internal;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Scatter plot of real (grey) and generated (blue) points with the mixture's means (red crosses). Points of more
 * than two dimensions are projected onto the plane through the means spanned by their two principal axes, which
 * for the submanifold mixture is the plane the data lives in.
 */
final class ScatterPlot {

    private static final int SIZE = 640;
    private static final int MARGIN = 30;

    private ScatterPlot() {
    }

    static void write(Path file, double[][] real, double[][] generated, double[][] means, String title)
            throws IOException {
        Projection p = Projection.of(means);
        double[][] r = p.apply(real);
        double[][] g = p.apply(generated);
        double[][] m = p.apply(means);
        double[] box = bounds(m, 0.25);
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = img.createGraphics();
        gr.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        gr.setColor(Color.WHITE);
        gr.fillRect(0, 0, SIZE, SIZE);
        gr.setColor(new Color(150, 150, 150, 120));
        for (double[] q : r) {
            dot(gr, box, q, 3);
        }
        gr.setColor(new Color(30, 90, 200, 140));
        for (double[] q : g) {
            dot(gr, box, q, 3);
        }
        gr.setColor(new Color(200, 30, 30));
        gr.setStroke(new BasicStroke(2));
        for (double[] q : m) {
            int x = px(box, q[0], true);
            int y = px(box, q[1], false);
            gr.drawLine(x - 6, y - 6, x + 6, y + 6);
            gr.drawLine(x - 6, y + 6, x + 6, y - 6);
        }
        gr.setColor(Color.BLACK);
        gr.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        gr.drawString(title, 10, 18);
        gr.drawString("grey: data   blue: generated   red: modes", 10, SIZE - 10);
        gr.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void dot(Graphics2D g, double[] box, double[] q, int d) {
        int x = px(box, q[0], true);
        int y = px(box, q[1], false);
        if (x >= 0 && y >= 0 && x < SIZE && y < SIZE) {
            g.fillOval(x - d / 2, y - d / 2, d, d);
        }
    }

    private static int px(double[] box, double v, boolean horizontal) {
        double span = box[1] - box[0];
        double t = (v - (horizontal ? box[0] : box[2])) / span;
        return horizontal ? (int) (MARGIN + t * (SIZE - 2 * MARGIN)) : (int) (SIZE - MARGIN - t * (SIZE - 2 * MARGIN));
    }

    /** Square bounds [xmin, xmax, ymin, ymax] around the points with a relative margin. */
    private static double[] bounds(double[][] pts, double margin) {
        double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
        for (double[] q : pts) {
            x0 = Math.min(x0, q[0]);
            x1 = Math.max(x1, q[0]);
            y0 = Math.min(y0, q[1]);
            y1 = Math.max(y1, q[1]);
        }
        double span = Math.max(Math.max(x1 - x0, y1 - y0), 1e-3) * (1 + 2 * margin);
        double cx = (x0 + x1) / 2;
        double cy = (y0 + y1) / 2;
        return new double[] {cx - span / 2, cx + span / 2, cy - span / 2, cy + span / 2};
    }

    /** Projection onto the two leading principal axes of the means (identity for 2-D data). */
    record Projection(double[] center, double[] u, double[] v) {

        static Projection of(double[][] means) {
            int d = means[0].length;
            if (d <= 2) {
                return new Projection(null, null, null);
            }
            double[] c = new double[d];
            for (double[] m : means) {
                for (int j = 0; j < d; j++) {
                    c[j] += m[j] / means.length;
                }
            }
            double[][] cov = new double[d][d];
            for (double[] m : means) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        cov[i][j] += (m[i] - c[i]) * (m[j] - c[j]);
                    }
                }
            }
            double[] u = leadingEigenvector(cov, null);
            double[] v = leadingEigenvector(cov, u);
            return new Projection(c, u, v);
        }

        double[][] apply(double[][] pts) {
            if (u == null) {
                double[][] out = new double[pts.length][];
                for (int i = 0; i < pts.length; i++) {
                    out[i] = pts[i].length == 1 ? new double[] {pts[i][0], 0} : pts[i];
                }
                return out;
            }
            double[][] out = new double[pts.length][2];
            for (int i = 0; i < pts.length; i++) {
                for (int j = 0; j < center.length; j++) {
                    double x = pts[i][j] - center[j];
                    out[i][0] += x * u[j];
                    out[i][1] += x * v[j];
                }
            }
            return out;
        }

        /** Power iteration, orthogonal to {@code exclude} when given. */
        private static double[] leadingEigenvector(double[][] a, double[] exclude) {
            int d = a.length;
            double[] x = new double[d];
            for (int i = 0; i < d; i++) {
                x[i] = 1.0 / (i + 1.5);
            }
            for (int it = 0; it < 500; it++) {
                if (exclude != null) {
                    double dot = 0;
                    for (int i = 0; i < d; i++) {
                        dot += x[i] * exclude[i];
                    }
                    for (int i = 0; i < d; i++) {
                        x[i] -= dot * exclude[i];
                    }
                }
                double[] y = new double[d];
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        y[i] += a[i][j] * x[j];
                    }
                }
                double n = 0;
                for (double yi : y) {
                    n += yi * yi;
                }
                n = Math.sqrt(n);
                if (n == 0) {
                    break;
                }
                for (int i = 0; i < d; i++) {
                    x[i] = y[i] / n;
                }
            }
            return x;
        }
    }
}
