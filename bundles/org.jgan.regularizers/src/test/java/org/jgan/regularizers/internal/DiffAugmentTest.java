package org.jgan.regularizers.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.jgan.api.DataShape;
import org.jgan.api.InputTransform;
import org.jgan.api.Options;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DiffAugment's transformations against loops written from the paper's definitions on fixed draws, and the gradient
 * with respect to the image against central differences through each.
 */
class DiffAugmentTest {

    static final int N = 2;
    static final int C = 2;
    static final int H = 6;

    /** Draws fed as placeholders, so the test chooses them. */
    static class Context implements InputTransform.InputContext {
        final SameDiff sd = SameDiff.create();
        final Map<String, SDVariable> draws = new HashMap<>();

        @Override
        public SameDiff sd() {
            return sd;
        }

        @Override
        public int batchSize() {
            return N;
        }

        @Override
        public DataShape shape() {
            return new DataShape(C, H, H);
        }

        /** The discriminator's buffers this context hands out: a variable of its initial value. */
        final Map<String, SDVariable> buffers = new HashMap<>();

        @Override
        public SDVariable noise(String name, long... shape) {
            throw new UnsupportedOperationException();
        }

        @Override
        public SDVariable buffer(String name, org.jgan.api.Initializer init, long... shape) {
            return buffers.computeIfAbsent(name, n -> sd.var("buffer_" + n, init.create(shape,
                    java.util.random.RandomGenerator.of("L64X128MixRandom"))));
        }

        @Override
        public SDVariable uniform(String name, long... shape) {
            return draws.computeIfAbsent(name, n -> sd.placeHolder(n, DataType.FLOAT, shape));
        }
    }

    private static Options options(String policy) {
        return Options.resolve("input transform 'diffaugment'", new DiffAugment().options(),
                Map.of("policy", policy, "translation", "0.34", "cutout", "0.5"));
    }

    private static double[][][][] image(long seed) {
        Random r = new Random(seed);
        double[][][][] x = new double[N][C][H][H];
        for (double[][][] a : x) {
            for (double[][] b : a) {
                for (double[] c : b) {
                    for (int j = 0; j < H; j++) {
                        c[j] = r.nextDouble() * 2 - 1;
                    }
                }
            }
        }
        return x;
    }

    /** The transform of {@code policy} on x with the given draws per sample, by SameDiff. */
    private static double[][][][] augment(String policy, double[][][][] x, Map<String, double[][]> u) {
        Context c = new Context();
        SDVariable in = c.sd.placeHolder("x", DataType.FLOAT, -1, C, H, H);
        SDVariable out = new DiffAugment().apply(c, in, true, options(policy));
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("x", Nd4j.create(x).castTo(DataType.FLOAT));
        u.forEach((name, v) -> feed.put(name, Nd4j.create(v).castTo(DataType.FLOAT)));
        INDArray y = c.sd.outputSingle(feed, out.name()).castTo(DataType.DOUBLE);
        double[][][][] result = new double[N][C][H][H];
        for (int n = 0; n < N; n++) {
            for (int ch = 0; ch < C; ch++) {
                for (int i = 0; i < H; i++) {
                    for (int j = 0; j < H; j++) {
                        result[n][ch][i][j] = y.getDouble(n, ch, i, j);
                    }
                }
            }
        }
        return result;
    }

    /** A value per pixel of a batch. */
    private interface Pixel {
        double at(int n, int ch, int i, int j);
    }

    private static double[][][][] pixels(Pixel p) {
        double[][][][] e = new double[N][C][H][H];
        for (int n = 0; n < N; n++) {
            for (int ch = 0; ch < C; ch++) {
                for (int i = 0; i < H; i++) {
                    for (int j = 0; j < H; j++) {
                        e[n][ch][i][j] = p.at(n, ch, i, j);
                    }
                }
            }
        }
        return e;
    }

    private static void assertClose(double[][][][] expected, double[][][][] got) {
        for (int n = 0; n < N; n++) {
            for (int ch = 0; ch < C; ch++) {
                for (int i = 0; i < H; i++) {
                    for (int j = 0; j < H; j++) {
                        assertEquals(expected[n][ch][i][j], got[n][ch][i][j], 1e-5,
                                "sample " + n + ", channel " + ch + ", pixel " + i + "," + j);
                    }
                }
            }
        }
    }

    @Test
    void colorIsBrightnessThenSaturationThenContrast() {
        double[][][][] x = image(1);
        double[][] u = {{0.8, 0.3, 0.9}, {0.1, 0.75, 0.2}};
        double[][][][] e = new double[N][C][H][H];
        for (int n = 0; n < N; n++) {
            double[][][] y = new double[C][H][H];
            for (int ch = 0; ch < C; ch++) {
                for (int i = 0; i < H; i++) {
                    for (int j = 0; j < H; j++) {
                        y[ch][i][j] = x[n][ch][i][j] + u[n][0] - 0.5;
                    }
                }
            }
            for (int i = 0; i < H; i++) {
                for (int j = 0; j < H; j++) {
                    double mean = 0;
                    for (int ch = 0; ch < C; ch++) {
                        mean += y[ch][i][j] / C;
                    }
                    for (int ch = 0; ch < C; ch++) {
                        y[ch][i][j] = (y[ch][i][j] - mean) * 2 * u[n][1] + mean;
                    }
                }
            }
            double mean = 0;
            for (int ch = 0; ch < C; ch++) {
                for (int i = 0; i < H; i++) {
                    for (int j = 0; j < H; j++) {
                        mean += y[ch][i][j] / (C * H * H);
                    }
                }
            }
            for (int ch = 0; ch < C; ch++) {
                for (int i = 0; i < H; i++) {
                    for (int j = 0; j < H; j++) {
                        e[n][ch][i][j] = (y[ch][i][j] - mean) * (u[n][2] + 0.5) + mean;
                    }
                }
            }
        }
        assertClose(e, augment("color", x, Map.of("real_color", u)));
    }

    @Test
    void translationShiftsByWholePixelsAndFillsWithZeros() {
        double[][][][] x = image(2);
        // s = round(6 * 0.34) = 2; shifts floor(5 u) - 2: sample 0 (rows +1, columns -2), sample 1 (0, +2)
        double[][] u = {{0.65, 0.05}, {0.45, 0.95}};
        int[][] t = {{1, -2}, {0, 2}};
        double[][][][] e = pixels((n, ch, i, j) -> {
            int si = i + t[n][0];
            int sj = j + t[n][1];
            return si >= 0 && si < H && sj >= 0 && sj < H ? x[n][ch][si][sj] : 0;
        });
        assertClose(e, augment("translation", x, Map.of("real_translation", u)));
    }

    @Test
    void cutoutZeroesASquareClippedAtTheBorder() {
        double[][][][] x = image(3);
        // side round(6 * 0.5) = 3 (odd: offsets floor(6 u)); from offset - 1 to offset + 1:
        // sample 0 rows 2..4, columns -1..1 (clipped to 0..1); sample 1 rows 4..6 (clipped to 4..5), columns 1..3
        double[][] u = {{0.5, 0.0}, {0.9, 0.34}};
        int[][] from = {{2, -1}, {4, 1}};
        double[][][][] e = pixels((n, ch, i, j) -> i >= from[n][0] && i < from[n][0] + 3 && j >= from[n][1]
                && j < from[n][1] + 3 ? 0 : x[n][ch][i][j]);
        assertClose(e, augment("cutout", x, Map.of("real_cutout", u)));
    }

    /** d/dx of sum(w * T(x)) by SameDiff against central differences, for each transformation and all three. */
    @Test
    void withAProbabilityAnImageIsAugmentedWhereItsDrawIsBelowIt() {
        double[][][][] x = image(5);
        Map<String, double[][]> u = new HashMap<>(Map.of("real_cutout", new double[][] {{0.3, 0.6}, {0.5, 0.2}}));
        double[][][][] all = augment("cutout", x, u);
        // image 0 draws 0.2 < p = 0.5 and is cut out, image 1 draws 0.7 and passes unchanged
        u.put("real_cutout_apply", new double[][] {{0.2}, {0.7}});
        double[][][][] fixed = augmentWith(Map.of("policy", "cutout", "probability", "0.5"), x, u, -1);
        double[][][][] adaptive = augmentWith(Map.of("policy", "cutout", "adaptive", "true"), x, u, 0.5);
        double[][][][] adaptiveAtZero = augmentWith(Map.of("policy", "cutout", "adaptive", "true"), x, u, 0);
        double[][][][] expected = {all[0], x[1]};
        assertClose(expected, fixed);
        assertClose(expected, adaptive);
        assertClose(x, adaptiveAtZero);
        assertTrue(java.util.Arrays.deepToString(all[0]).compareTo(java.util.Arrays.deepToString(x[0])) != 0,
                "the cutout changes image 0");
    }

    /**
     * The transform with these options on x; with {@code p >= 0} the discriminator's buffer ada/p holds p when the
     * graph runs.
     */
    private static double[][][][] augmentWith(Map<String, String> given, double[][][][] x, Map<String, double[][]> u,
            double p) {
        Context c = new Context();
        SDVariable in = c.sd.placeHolder("x", DataType.FLOAT, -1, C, H, H);
        Map<String, String> all = new HashMap<>(Map.of("translation", "0.34", "cutout", "0.5"));
        all.putAll(given);
        SDVariable out = new DiffAugment().apply(c, in, true, Options.resolve("diffaugment",
                new DiffAugment().options(), all));
        if (p >= 0) {
            c.buffers.get(DiffAugment.ADA_P).getArr().assign(p);
        }
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("x", Nd4j.create(x).castTo(DataType.FLOAT));
        u.forEach((name, v) -> {
            INDArray a = Nd4j.create(v).castTo(DataType.FLOAT);
            feed.put(name, name.endsWith("_apply") ? a.reshape(-1, 1, 1, 1) : a);
        });
        INDArray y = c.sd.outputSingle(feed, out.name()).castTo(DataType.DOUBLE);
        return pixels((n, ch, i, j) -> y.getDouble(n, ch, i, j));
    }

    @Test
    void gradientsFlowThroughEveryTransformation() {
        for (String policy : new String[] {"color", "translation", "cutout", "color,translation,cutout",
                "color,translation,cutout p=0.5"}) {
            Context c = new Context();
            SDVariable in = c.sd.placeHolder("x", DataType.FLOAT, -1, C, H, H);
            SDVariable weights = c.sd.var("w", Nd4j.rand(DataType.FLOAT, N, C, H, H).subi(0.5));
            Map<String, String> opts = new HashMap<>(Map.of("policy", policy.split(" ")[0], "translation", "0.34",
                    "cutout", "0.5"));
            if (policy.endsWith("p=0.5")) {
                opts.put("probability", "0.5");
            }
            SDVariable loss = new DiffAugment().apply(c, in, false, Options.resolve("diffaugment",
                    new DiffAugment().options(), opts)).mul(weights).sum();
            c.sd.setLossVariables(loss.name());
            Map<String, INDArray> feed = new HashMap<>();
            INDArray x = Nd4j.create(image(4)).castTo(DataType.FLOAT);
            feed.put("x", x);
            feed.put("fake_color", Nd4j.create(new double[][] {{0.8, 0.3, 0.9}, {0.1, 0.75, 0.2}}).castTo(DataType.FLOAT));
            feed.put("fake_translation", Nd4j.create(new double[][] {{0.65, 0.05}, {0.45, 0.95}}).castTo(DataType.FLOAT));
            feed.put("fake_cutout", Nd4j.create(new double[][] {{0.5, 0.0}, {0.9, 0.34}}).castTo(DataType.FLOAT));
            for (String t : new String[] {"color", "translation", "cutout"}) {
                // image 0 augmented, image 1 not
                feed.put("fake_" + t + "_apply", Nd4j.create(new double[] {0.3, 0.8}).castTo(DataType.FLOAT)
                        .reshape(2, 1, 1, 1));
            }
            feed.keySet().retainAll(c.draws.keySet().stream().collect(java.util.stream.Collectors.toSet()));
            feed.put("x", x);
            INDArray g;
            try {
                // a placeholder's gradient is only created when asked for (SameDiff 1.0.0-M2.1)
                c.sd.createGradFunction("x");
                g = c.sd.calculateGradients(feed, "x").get("x");
            } catch (RuntimeException e) {
                throw new AssertionError(policy + ": " + e.getMessage() + " " + feed.keySet(), e);
            }
            double eps = 1e-2;
            double norm = 0;
            double err = 0;
            // directional differences along random directions and single coordinates: sum(w * T(x)) is affine in x
            Random r = new Random(7);
            for (int k = 0; k < 12; k++) {
                INDArray v = Nd4j.zeros(DataType.FLOAT, x.shape());
                if (k < 4) {
                    v.assign(Nd4j.rand(DataType.FLOAT, x.shape()).subi(0.5));
                } else {
                    v.putScalar(r.nextInt((int) x.length()), 1);
                }
                feed.put("x", x.add(v.mul(eps)));
                double up = c.sd.outputSingle(feed, loss.name()).getDouble(0);
                feed.put("x", x.sub(v.mul(eps)));
                double down = c.sd.outputSingle(feed, loss.name()).getDouble(0);
                double fd = (up - down) / (2 * eps);
                double analytic = g.castTo(DataType.DOUBLE).mul(v.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
                err += (fd - analytic) * (fd - analytic);
                norm += fd * fd;
            }
            feed.put("x", x);
            // every transformation is affine in x given its draws: the differences are exact up to float rounding
            assertEquals(0, Math.sqrt(err / norm), 1e-3, policy + ": relative error of the gradient");
            assertEquals(true, norm > 0, policy + ": some gradient");
        }
    }

    @Test
    void badPoliciesAndVectorDataAreRefusedInOneLine() {
        Context c = new Context();
        SDVariable in = c.sd.placeHolder("x", DataType.FLOAT, -1, C, H, H);
        IllegalArgumentException policy = assertThrows(IllegalArgumentException.class,
                () -> new DiffAugment().apply(c, in, true, options("color,flip")));
        assertEquals("input transform 'diffaugment': option 'policy' names 'flip'; expected a comma-separated list "
                + "of color, translation, cutout", policy.getMessage());
        Context vector = new Context() {
            @Override
            public DataShape shape() {
                return new DataShape(2);
            }
        };
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> new DiffAugment().apply(
                vector, vector.sd.placeHolder("v", DataType.FLOAT, -1, 2), true, options("color")));
        assertEquals("input transform 'diffaugment' augments images [C, H, W]; the run's data has shape [2]; expected "
                + "an image dataset", shape.getMessage());
    }
}
