package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Draws written into an existing array ({@link Seeds#gaussianInto}, {@link Seeds#uniformInto},
 * {@link Seeds#oneHotInto}) are the draws of a new array: the stream's values in C order, rounded to float.
 */
class SeedsIntoTest {

    /** The stream's first n values, rounded to float: the reference, from {@link SplittableRandom} itself. */
    private static float[] stream(long seed, int n, boolean gaussian) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian ? r.nextGaussian() : r.nextDouble());
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 64, 4097})
    void drawsIntoAnArrayAreTheStreamsValuesAsInANewOne(int columns) {
        long[][] shapes = {{columns}, {3, columns}, {2, 1, 3, columns}};
        for (long[] shape : shapes) {
            int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            for (boolean gaussian : new boolean[] {true, false}) {
                long seed = Seeds.mix(columns, shape.length, gaussian ? 1 : 2);
                float[] expected = stream(seed, n, gaussian);
                INDArray fresh = gaussian ? Seeds.gaussian(seed, shape) : Seeds.uniform(seed, shape);
                INDArray into = Nd4j.valueArrayOf(shape, Float.NaN, DataType.FLOAT);
                INDArray back = gaussian ? Seeds.gaussianInto(seed, into) : Seeds.uniformInto(seed, into);
                String label = (gaussian ? "gaussian " : "uniform ") + Arrays.toString(shape);
                assertTrue(back == into, label + ": the array given");
                assertArrayEquals(expected, fresh.reshape(-1).toFloatVector(), 0f, label + ", new array");
                assertArrayEquals(expected, into.reshape(-1).toFloatVector(), 0f, label + ", written into");
            }
        }
    }

    @Test
    void drawsIntoRowsOfALargerArrayLeaveTheOtherRows() {
        INDArray whole = Nd4j.valueArrayOf(new long[] {5, 6}, Float.NaN, DataType.FLOAT);
        INDArray rows = whole.get(NDArrayIndex.interval(2, 4), NDArrayIndex.all());
        assertTrue(rows.offset() > 0, "a view at an offset");
        Seeds.gaussianInto(9, rows);
        assertArrayEquals(stream(9, 12, true), rows.dup().reshape(-1).toFloatVector(), 0f, "rows 2 and 3");
        for (int r : new int[] {0, 1, 4}) {
            for (float v : whole.getRow(r).toFloatVector()) {
                assertTrue(Float.isNaN(v), "row " + r + " untouched");
            }
        }
        INDArray labels = Nd4j.valueArrayOf(new long[] {9, 4}, Float.NaN, DataType.FLOAT);
        INDArray some = labels.get(NDArrayIndex.interval(3, 8), NDArrayIndex.all());
        Seeds.oneHotInto(4, some);
        assertArrayEquals(Seeds.oneHot(4, 5, 4).reshape(-1).toFloatVector(), some.dup().reshape(-1).toFloatVector(),
                0f, "one-hot rows 3 to 7");
        assertTrue(Float.isNaN(labels.getFloat(2, 3)) && Float.isNaN(labels.getFloat(8, 0)), "rows around untouched");
    }

    @Test
    void oneHotLabelsIntoAnArrayAreTheDrawnClasses() {
        SplittableRandom r = new SplittableRandom(31);
        float[] expected = new float[40 * 7];
        for (int row = 0; row < 40; row++) {
            expected[row * 7 + r.nextInt(7)] = 1;
        }
        INDArray into = Nd4j.valueArrayOf(new long[] {40, 7}, 5f, DataType.FLOAT);
        Seeds.oneHotInto(31, into);
        assertArrayEquals(expected, into.reshape(-1).toFloatVector(), 0f, "written over 5s");
        assertArrayEquals(expected, Seeds.oneHot(31, 40, 7).reshape(-1).toFloatVector(), 0f, "new array");
    }

    @Test
    void anArrayTheDrawsCannotGoIntoIsNamed() {
        INDArray transposed = Nd4j.create(DataType.FLOAT, 4, 3).transpose();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Seeds.gaussianInto(1, transposed));
        assertEquals("draws go into a dense float array in C order; got FLOAT [3, 4] with strides [1, 3]",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Seeds.uniformInto(1, Nd4j.create(DataType.DOUBLE, 2, 2)));
        assertThrows(IllegalArgumentException.class, () -> Seeds.oneHotInto(1, Nd4j.create(DataType.FLOAT, 2, 2, 2)));
    }
}
