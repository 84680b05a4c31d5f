package org.jgan.metrics.fashion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.Batch;
import org.jgan.api.DataShape;
import org.jgan.api.DataSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The classifier network, its weights file, its reproducible training and the command's argument checks. */
class ClassifierTest {

    /** Class c: a bright horizontal bar at rows 2c + 3 .. 2c + 4 on noise; distinct and easy to learn. */
    static final class Bars implements DataSource {
        final int n;
        final long seed;

        Bars(int n, long seed) {
            this.n = n;
            this.seed = seed;
        }

        @Override
        public DataShape shape() {
            return new DataShape(1, 28, 28);
        }

        @Override
        public long size() {
            return n;
        }

        @Override
        public int classes() {
            return 10;
        }

        @Override
        public Batch sample(int batchSize, long s) {
            SplittableRandom r = new SplittableRandom(s);
            int[] idx = new int[batchSize];
            for (int i = 0; i < batchSize; i++) {
                idx[i] = r.nextInt(n);
            }
            return images(idx);
        }

        @Override
        public Batch range(long from, int count) {
            int[] idx = new int[count];
            for (int i = 0; i < count; i++) {
                idx[i] = (int) from + i;
            }
            return images(idx);
        }

        Batch images(int[] idx) {
            float[] x = new float[idx.length * 784];
            float[] y = new float[idx.length * 10];
            for (int i = 0; i < idx.length; i++) {
                SplittableRandom r = new SplittableRandom(seed * 7919 + idx[i]);
                int c = idx[i] % 10;
                for (int p = 0; p < 784; p++) {
                    int row = p / 28;
                    boolean bar = row == 2 * c + 3 || row == 2 * c + 4;
                    x[i * 784 + p] = (float) ((bar ? 0.8 : -0.8) + 0.3 * (r.nextDouble() - 0.5));
                }
                y[i * 10 + c] = 1;
            }
            return new Batch(Nd4j.create(x, new long[] {idx.length, 1, 28, 28}, 'c'),
                    Nd4j.create(y, new long[] {idx.length, 10}, 'c'));
        }
    }

    static final ClassifierTraining.Settings SHORT = new ClassifierTraining.Settings(40, 32, 3e-3, 5);

    @Test
    void trainingIsReproducibleForASeedAndLearnsASeparableTask() {
        Bars train = new Bars(1000, 1);
        Map<String, INDArray> a = ClassifierTraining.train(train, SHORT, s -> { });
        Map<String, INDArray> b = ClassifierTraining.train(train, SHORT, s -> { });
        assertEquals(ClassifierNet.SHAPES.keySet(), a.keySet());
        a.forEach((name, value) -> assertEquals(value, b.get(name), name));
        Map<String, INDArray> other = ClassifierTraining.train(train,
                new ClassifierTraining.Settings(40, 32, 3e-3, 6), s -> { });
        assertNotEquals(a.get("fc1/W"), other.get("fc1/W"));
        double accuracy = ClassifierTraining.accuracy(new Classifier(a), new Bars(500, 2));
        assertTrue(accuracy > 0.9, "accuracy on held-out bars " + accuracy);
        // an untrained network is near chance
        double untrained = ClassifierTraining.accuracy(new Classifier(ClassifierNet.initial(5)), new Bars(500, 2));
        assertTrue(untrained < 0.5, "untrained " + untrained);
    }

    @Test
    void outputsHaveTheDocumentedShapesAndA32ImageIsItsCentre() {
        Classifier c = new Classifier(ClassifierNet.initial(3));
        INDArray x = new Bars(20, 1).range(0, 20).data();
        org.jgan.api.FeatureExtractor.Features f = c.run(x);
        assertArrayEquals(new long[] {20, 64}, f.features().shape());
        assertArrayEquals(new long[] {20, 10}, f.probabilities().shape());
        for (double s : f.probabilities().sum(1).toDoubleVector()) {
            assertEquals(1, s, 1e-5);
        }
        INDArray padded = Nd4j.valueArrayOf(new long[] {20, 1, 32, 32}, -1f);
        padded.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 30),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 30)).assign(x);
        assertEquals(f.features(), c.run(padded).features());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.run(Nd4j.zeros(2, 3, 28, 28)));
        assertTrue(e.getMessage().contains("[2, 3, 28, 28]") && e.getMessage().contains("[n, 1, 28, 28]"), e.getMessage());
        FashionClassifier fx = new FashionClassifier();
        assertTrue(fx.supports(new DataShape(1, 28, 28)) && fx.supports(new DataShape(1, 32, 32)));
        assertTrue(!fx.supports(new DataShape(3, 32, 32)) && !fx.supports(new DataShape(1, 64, 64)));
    }

    static void assertArrayEquals(long[] expected, long[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, Arrays.toString(actual));
    }

    @Test
    void weightsSurviveTheFileFormatAndBadFilesAreNamed() throws IOException {
        Map<String, INDArray> p = ClassifierNet.initial(7);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ClassifierNet.write(p, out);
        byte[] bytes = out.toByteArray();
        Map<String, INDArray> back = ClassifierNet.read(new ByteArrayInputStream(bytes), "w.bin");
        p.forEach((n, v) -> assertEquals(v, back.get(n), n));
        IOException e = assertThrows(IOException.class, () -> ClassifierNet.read(
                new ByteArrayInputStream(Arrays.copyOf(bytes, bytes.length / 2)), "half.bin"));
        assertTrue(e.getMessage().startsWith("half.bin: truncated"), e.getMessage());
        byte[] wrong = bytes.clone();
        wrong[0] = 'P';
        e = assertThrows(IOException.class, () -> ClassifierNet.read(new ByteArrayInputStream(wrong), "x.png"));
        assertTrue(e.getMessage().contains("x.png: not a jgan classifier weights file"), e.getMessage());
    }

    @Test
    void theCommandRefusesUnknownActionsAndOptions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassifierCommands.parse("fit", List.of()));
        assertTrue(e.getMessage().contains("'fit'; expected train or test"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClassifierCommands.parse("train", List.of("epochs=3")));
        assertTrue(e.getMessage().contains("'epochs=3'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClassifierCommands.parse("train", List.of("steps=many")));
        assertTrue(e.getMessage().contains("integers"), e.getMessage());
        assertEquals("500", ClassifierCommands.parse("train", List.of("steps=500")).get("steps"));
    }
}
