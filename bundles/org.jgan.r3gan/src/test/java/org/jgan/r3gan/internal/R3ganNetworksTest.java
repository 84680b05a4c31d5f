package org.jgan.r3gan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.api.Side;
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The R3GAN networks against a float64 reference written from the definitions (loops over samples, channels and
 * pixels; the resampling as upfirdn2d defines it: zeros inserted, padded, filtered, decimated), on the networks' own
 * parameters set to random values (at initialisation the blocks' last layers are zero and would hide their paths).
 */
class R3ganNetworksTest {

    static final int LATENT = 5;

    static Networks create(DataShape shape, int classes, String... options) {
        Map<String, String> given = new HashMap<>();
        for (int i = 0; i < options.length; i += 2) {
            given.put(options[i], options[i + 1]);
        }
        return new R3ganArchitecture().create(shape, LATENT, classes,
                Options.resolve("architecture 'r3gan'", R3ganArchitecture.OPTIONS, given));
    }

    @ParameterizedTest
    @CsvSource({"1, 28, 0, '4,6,4', '2,3,2', '1,2,1', 2", "3, 32, 3, '4,4,3,2', '2,2,3,1', '1,1,0,1', 2",
            "1, 28, 2, '3', '1', '1', 1"})
    void generatorAndDiscriminatorMatchTheReference(int channels, int size, int classes, String widths,
            String cardinality, String blocks, int expansion) {
        DataShape shape = new DataShape(channels, size, size);
        Networks nets = create(shape, classes, "widths", widths, "cardinality", cardinality, "blocks", blocks,
                "expansion", Integer.toString(expansion));
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        SDVariable z = sd.placeHolder("z", DataType.FLOAT, -1, LATENT);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, shape.batched(-1));
        SDVariable labels = classes > 0 ? sd.placeHolder("labels", DataType.FLOAT, -1, classes) : null;
        SDVariable fake = nets.generator(new TestScope(sd, Side.GENERATOR, true, store), z, labels);
        Critique critique = nets.discriminator(new TestScope(sd, Side.DISCRIMINATOR, true, store), x, labels);
        Nd4j.getRandom().setSeed(7);
        store.params.values().forEach(p -> p.assign(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.4)));
        int batch = 2;
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("z", Nd4j.randn(DataType.FLOAT, batch, LATENT));
        feed.put("x", Nd4j.randn(DataType.FLOAT, shape.batched(batch)));
        if (classes > 0) {
            INDArray y = Nd4j.zeros(DataType.FLOAT, batch, classes);
            for (int i = 0; i < batch; i++) {
                y.putScalar(i, (i + 1) % classes, 1);
            }
            feed.put("labels", y);
        }
        Map<String, INDArray> out = sd.output(feed, fake.name(), critique.logits().name(), critique.features().name());
        int stages = size == 28 ? 3 : 4;
        Reference ref = new Reference(store.params, R3ganArchitecture.perStage("widths", widths, stages),
                R3ganArchitecture.perStage("cardinality", cardinality, stages),
                R3ganArchitecture.perStage("blocks", blocks, stages), expansion, size == 28 ? 7 : 4);
        double[][] lab = classes > 0 ? matrix(feed.get("labels")) : null;
        double[][][][] g = ref.generator(matrix(feed.get("z")), lab, channels);
        close(g, out.get(fake.name()), "G(z)");
        double[][] d = ref.discriminator(image(feed.get("x")), lab);
        INDArray logits = out.get(critique.logits().name());
        assertEquals(batch, logits.size(0));
        for (int n = 0; n < batch; n++) {
            assertEquals(d[n][0], logits.getDouble(n, 0), 1e-4 * (1 + Math.abs(d[n][0])), "D(x) of sample " + n);
        }
    }

    @Test
    void initialisationFollowsTheirMsrAndFixupRules() {
        DataShape shape = new DataShape(1, 28, 28);
        Networks nets = create(shape, 0, "widths", "64", "cardinality", "4", "blocks", "2");
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        nets.generator(new TestScope(sd, Side.GENERATOR, true, store), sd.placeHolder("z", DataType.FLOAT, -1, LATENT),
                null);
        nets.discriminator(new TestScope(sd, Side.DISCRIMINATOR, true, store),
                sd.placeHolder("x", DataType.FLOAT, shape.batched(-1)), null);
        // L = 6 blocks: the first two layers' gain sqrt(2/1.04) 6^(-1/4); fan-in 64 (1x1) and 9 x 128/4 (grouped 3x3)
        double gain = Math.sqrt(2 / 1.04) * Math.pow(6, -0.25);
        assertEquals(gain / Math.sqrt(64), std(store.params.get("g/s1/b0/conv1/W")), 0.06 * gain / 8);
        assertEquals(gain / Math.sqrt(9 * 32), std(store.params.get("d/s2/b1/conv2/W")), 0.06 * gain / Math.sqrt(288));
        assertEquals(0, store.params.get("g/s0/b1/conv3/W").norm2Number().doubleValue(), 0, "the last layer at zero");
        assertEquals(0, store.params.get("d/s1/b0/act1/b").norm2Number().doubleValue(), 0, "biases at zero");
        assertEquals(1, std(store.params.get("g/s0/basis")), 0.1, "G's basis N(0, 1)");
        assertEquals(1 / 7.0, std(store.params.get("d/s0/basis")), 0.02, "D's basis: fan-in 7 x 7 (28x28 starts at 7)");
    }

    /** The layer table of docs/architectures.md ("R3GAN"), preset r3gan-fashion's networks. */
    @Test
    void parameterCountsMatchTheDocumentation() {
        DataShape shape = new DataShape(1, 28, 28);
        Networks nets = new R3ganArchitecture().create(shape, 64, 0, Options.resolve("architecture 'r3gan'",
                R3ganArchitecture.OPTIONS, Map.of("widths", "64,64,32", "cardinality", "4", "blocks", "1")));
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        nets.generator(new TestScope(sd, Side.GENERATOR, true, store), sd.placeHolder("z", DataType.FLOAT, -1, 64),
                null);
        nets.discriminator(new TestScope(sd, Side.DISCRIMINATOR, true, store),
                sd.placeHolder("x", DataType.FLOAT, shape.batched(-1)), null);
        assertEquals(7_232, count(store, "g/s0/basis"));
        assertEquals(53_504, count(store, "g/s0/b0/"));
        assertEquals(53_504, count(store, "g/s1/"));
        assertEquals(15_488, count(store, "g/s2/"));
        assertEquals(32, count(store, "g/out/"));
        assertEquals(129_760, count(store, "g/"));
        assertEquals(13_472, count(store, "d/in/") + count(store, "d/s2/b0/"));
        assertEquals(55_552, count(store, "d/s2/down/") + count(store, "d/s1/b0/"));
        assertEquals(53_504, count(store, "d/s0/b0/"));
        assertEquals(3_200, count(store, "d/s0/basis"));
        assertEquals(125_728, count(store, "d/"));
    }

    private static long count(TestScope.Store store, String prefix) {
        return store.params.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(e -> e.getValue().length()).sum();
    }

    private static double std(INDArray a) {
        return a.castTo(DataType.DOUBLE).stdNumber().doubleValue();
    }

    @Test
    void badStagePlansAreRefusedInOneLine() {
        DataShape shape = new DataShape(1, 28, 28);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> create(shape, 0, "widths", "8,8"))
                .getMessage().contains("option 'widths' is '8,8' with 2 values; expected one value or 3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> create(shape, 0, "widths", "6",
                "cardinality", "5")).getMessage().contains("cardinality 5 of stage 0 does not divide its inner width"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> create(shape, 0, "blocks", "0"))
                .getMessage().contains("expected at least one residual block"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> create(shape, 0, "widths", "a"))
                .getMessage().contains("expected whole numbers"));
    }

    private static double[][] matrix(INDArray a) {
        double[][] m = new double[(int) a.size(0)][(int) a.size(1)];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = a.getDouble(i, j);
            }
        }
        return m;
    }

    private static double[][][][] image(INDArray a) {
        long[] s = a.shape();
        double[][][][] m = new double[(int) s[0]][(int) s[1]][(int) s[2]][(int) s[3]];
        for (int n = 0; n < s[0]; n++) {
            for (int c = 0; c < s[1]; c++) {
                for (int p = 0; p < s[2]; p++) {
                    for (int q = 0; q < s[3]; q++) {
                        m[n][c][p][q] = a.getDouble(n, c, p, q);
                    }
                }
            }
        }
        return m;
    }

    private static void close(double[][][][] expected, INDArray actual, String what) {
        double[][][][] a = image(actual);
        assertEquals(expected.length, a.length, what);
        double max = 0;
        double scale = 0;
        for (int n = 0; n < a.length; n++) {
            assertEquals(expected[n].length, a[n].length, what + ": channels");
            assertEquals(expected[n][0].length, a[n][0].length, what + ": size");
            for (int c = 0; c < a[n].length; c++) {
                for (int p = 0; p < a[n][c].length; p++) {
                    for (int q = 0; q < a[n][c][p].length; q++) {
                        max = Math.max(max, Math.abs(a[n][c][p][q] - expected[n][c][p][q]));
                        scale = Math.max(scale, Math.abs(expected[n][c][p][q]));
                    }
                }
            }
        }
        assertTrue(scale > 1e-3, what + " is not trivially zero");
        assertTrue(max <= 1e-4 * scale, what + ": max difference " + max + " at scale " + scale);
    }

    /** The networks in float64 loops, from the definitions in R3GAN's Networks.py and upfirdn2d. */
    private record Reference(Map<String, INDArray> p, int[] widths, int[] cardinality, int[] blocks, int expansion,
            int start) {

        double[][][][] generator(double[][] z, double[][] labels, int channels) {
            double[][] in = z;
            if (labels != null) {
                double[][] e = matmul(labels, p.get("g/embed/W"));
                in = new double[z.length][];
                for (int n = 0; n < z.length; n++) {
                    in[n] = new double[z[n].length + e[n].length];
                    System.arraycopy(z[n], 0, in[n], 0, z[n].length);
                    System.arraycopy(e[n], 0, in[n], z[n].length, e[n].length);
                }
            }
            double[][] scales = matmul(in, p.get("g/s0/basis/W"));
            INDArray basis = p.get("g/s0/basis");
            double[][][][] h = new double[z.length][widths[0]][start][start];
            for (int n = 0; n < z.length; n++) {
                for (int c = 0; c < widths[0]; c++) {
                    for (int i = 0; i < start; i++) {
                        for (int j = 0; j < start; j++) {
                            h[n][c][i][j] = scales[n][c] * basis.getDouble(c, i, j);
                        }
                    }
                }
            }
            h = blocks("g/s0", h, 0);
            for (int s = 1; s < widths.length; s++) {
                if (widths[s] != widths[s - 1]) {
                    h = conv(h, p.get("g/s" + s + "/up/W"), 1);
                }
                h = up(h);
                h = blocks("g/s" + s, h, s);
            }
            return conv(h, p.get("g/out/W"), 1);
        }

        double[][] discriminator(double[][][][] x, double[][] labels) {
            int last = widths.length - 1;
            double[][][][] h = conv(x, p.get("d/in/W"), 1);
            for (int s = last; s > 0; s--) {
                h = blocks("d/s" + s, h, s);
                h = down(h);
                if (widths[s - 1] != widths[s]) {
                    h = conv(h, p.get("d/s" + s + "/down/W"), 1);
                }
            }
            h = blocks("d/s0", h, 0);
            INDArray basis = p.get("d/s0/basis");
            double[][] features = new double[x.length][widths[0]];
            for (int n = 0; n < x.length; n++) {
                for (int c = 0; c < widths[0]; c++) {
                    for (int i = 0; i < start; i++) {
                        for (int j = 0; j < start; j++) {
                            features[n][c] += h[n][c][i][j] * basis.getDouble(c, i, j);
                        }
                    }
                }
            }
            double[][] out = matmul(features, p.get("d/s0/basis/W"));
            if (labels == null) {
                return out;
            }
            double[][] e = matmul(labels, p.get("d/embed/W"));
            double[][] logits = new double[x.length][1];
            for (int n = 0; n < x.length; n++) {
                for (int c = 0; c < e[n].length; c++) {
                    logits[n][0] += out[n][c] * e[n][c];
                }
            }
            return logits;
        }

        private double[][][][] blocks(String name, double[][][][] h, int stage) {
            for (int b = 0; b < blocks[stage]; b++) {
                String n = name + "/b" + b;
                double[][][][] y = conv(h, p.get(n + "/conv1/W"), 1);
                y = conv(act(y, p.get(n + "/act1/b")), p.get(n + "/conv2/W"), cardinality[stage]);
                y = conv(act(y, p.get(n + "/act2/b")), p.get(n + "/conv3/W"), 1);
                for (int i = 0; i < h.length; i++) {
                    for (int c = 0; c < h[i].length; c++) {
                        for (int r = 0; r < h[i][c].length; r++) {
                            for (int q = 0; q < h[i][c][r].length; q++) {
                                y[i][c][r][q] += h[i][c][r][q];
                            }
                        }
                    }
                }
                h = y;
            }
            return h;
        }

        /** Bias, then LeakyReLU 0.2. */
        private static double[][][][] act(double[][][][] x, INDArray b) {
            double[][][][] y = new double[x.length][x[0].length][x[0][0].length][x[0][0][0].length];
            for (int n = 0; n < x.length; n++) {
                for (int c = 0; c < x[n].length; c++) {
                    for (int i = 0; i < x[n][c].length; i++) {
                        for (int j = 0; j < x[n][c][i].length; j++) {
                            double v = x[n][c][i][j] + b.getDouble(c);
                            y[n][c][i][j] = v > 0 ? v : 0.2 * v;
                        }
                    }
                }
            }
            return y;
        }

        /** Grouped "same" cross-correlation, weight [k, k, in/groups, out]. */
        private static double[][][][] conv(double[][][][] x, INDArray w, int groups) {
            int k = (int) w.size(0);
            int gin = (int) w.size(2);
            int out = (int) w.size(3);
            int gout = out / groups;
            int size = x[0][0].length;
            int pad = k / 2;
            double[][][][] y = new double[x.length][out][size][size];
            for (int n = 0; n < x.length; n++) {
                for (int o = 0; o < out; o++) {
                    int g = o / gout;
                    for (int i = 0; i < size; i++) {
                        for (int j = 0; j < size; j++) {
                            double s = 0;
                            for (int ci = 0; ci < gin; ci++) {
                                for (int a = 0; a < k; a++) {
                                    for (int b = 0; b < k; b++) {
                                        int r = i + a - pad;
                                        int q = j + b - pad;
                                        if (r >= 0 && r < size && q >= 0 && q < size) {
                                            s += x[n][g * gin + ci][r][q] * w.getDouble(a, b, ci, o);
                                        }
                                    }
                                }
                            }
                            y[n][o][i][j] = s;
                        }
                    }
                }
            }
            return y;
        }

        private static final double[] TAPS = {1 / 8.0, 3 / 8.0, 3 / 8.0, 1 / 8.0};

        /** upfirdn2d with up = 2: a zero after each sample, padding 2 before and 1 after, the filter times 4. */
        private static double[][][][] up(double[][][][] x) {
            int size = x[0][0].length;
            int m = 2 * size + 3;
            double[][][][] y = new double[x.length][x[0].length][2 * size][2 * size];
            for (int n = 0; n < x.length; n++) {
                for (int c = 0; c < x[n].length; c++) {
                    double[][] u = new double[m][m];
                    for (int i = 0; i < size; i++) {
                        for (int j = 0; j < size; j++) {
                            u[2 + 2 * i][2 + 2 * j] = x[n][c][i][j];
                        }
                    }
                    for (int i = 0; i < 2 * size; i++) {
                        for (int j = 0; j < 2 * size; j++) {
                            double s = 0;
                            for (int a = 0; a < 4; a++) {
                                for (int b = 0; b < 4; b++) {
                                    s += u[i + a][j + b] * 4 * TAPS[a] * TAPS[b];
                                }
                            }
                            y[n][c][i][j] = s;
                        }
                    }
                }
            }
            return y;
        }

        /** upfirdn2d with down = 2: padding 1 on each side, the filter, every second sample. */
        private static double[][][][] down(double[][][][] x) {
            int size = x[0][0].length;
            double[][][][] y = new double[x.length][x[0].length][size / 2][size / 2];
            for (int n = 0; n < x.length; n++) {
                for (int c = 0; c < x[n].length; c++) {
                    for (int i = 0; i < size / 2; i++) {
                        for (int j = 0; j < size / 2; j++) {
                            double s = 0;
                            for (int a = 0; a < 4; a++) {
                                for (int b = 0; b < 4; b++) {
                                    int r = 2 * i + a - 1;
                                    int q = 2 * j + b - 1;
                                    if (r >= 0 && r < size && q >= 0 && q < size) {
                                        s += x[n][c][r][q] * TAPS[a] * TAPS[b];
                                    }
                                }
                            }
                            y[n][c][i][j] = s;
                        }
                    }
                }
            }
            return y;
        }

        private static double[][] matmul(double[][] a, INDArray w) {
            double[][] y = new double[a.length][(int) w.size(1)];
            for (int n = 0; n < a.length; n++) {
                for (int j = 0; j < y[n].length; j++) {
                    for (int i = 0; i < a[n].length; i++) {
                        y[n][j] += a[n][i] * w.getDouble(i, j);
                    }
                }
            }
            return y;
        }
    }
}
