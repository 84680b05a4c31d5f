package org.jgan.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** {@link Batch#write}: a data source's values into a caller's arrays, or nothing at all. */
class BatchTest {

    private static float[] counting(int n, float from) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = from + i;
        }
        return v;
    }

    /** The elements in C order, read independently of the array's layout. */
    private static float[] elements(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    @Test
    void valuesGoIntoDenseArraysInCOrder() {
        Batch b = new Batch(Nd4j.create(DataType.FLOAT, 3, 2, 2), Nd4j.create(DataType.FLOAT, 3, 4));
        float[] data = counting(12, -5);
        float[] labels = {0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1};
        assertTrue(b.write(data, labels));
        assertArrayEquals(data, elements(b.data()), 0f);
        assertArrayEquals(labels, elements(b.labels()), 0f);
        assertArrayEquals(new float[] {-5, -4, -3, -2}, elements(b.data().get(NDArrayIndex.point(0))), 0f);
        // without labels
        Batch unlabelled = new Batch(Nd4j.create(DataType.FLOAT, 2, 3), null);
        assertTrue(unlabelled.write(counting(6, 1), null));
        assertArrayEquals(new float[] {4, 5, 6}, elements(unlabelled.data().get(NDArrayIndex.point(1))), 0f);
    }

    @Test
    void viewsAtAnOffsetTakeTheirRowsAndLeaveTheOthers() {
        INDArray whole = Nd4j.create(counting(20, 100), new long[] {5, 4}, 'c');
        INDArray rows = whole.get(NDArrayIndex.interval(1, 4), NDArrayIndex.all());
        assertTrue(rows.isView() && rows.offset() == 4, "rows 1-3: a view at an offset");
        assertTrue(new Batch(rows, null).write(counting(12, -1), null));
        float[] expected = counting(20, 100);
        System.arraycopy(counting(12, -1), 0, expected, 4, 12);
        assertArrayEquals(expected, elements(whole), 0f, "rows 1-3 written, rows 0 and 4 as they were");
    }

    @Test
    void arraysThatCannotTakeTheValuesAreLeftAsTheyWere() {
        float[] six = counting(6, 1);
        float[] labelsTwo = {1, 0, 0, 1};
        INDArray data = Nd4j.zeros(DataType.FLOAT, 2, 3);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 2, 2);
        Object[][] refused = {
            {new Batch(Nd4j.zeros(DataType.DOUBLE, 2, 3), null), six, null, "a double array"},
            {new Batch(Nd4j.zeros(DataType.FLOAT, 2, 3).dup('f'), null), six, null, "F order"},
            {new Batch(Nd4j.zeros(DataType.FLOAT, 3, 3), null), six, null, "another number of elements"},
            {new Batch(Nd4j.zeros(DataType.FLOAT, 4, 3).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2))
                    .reshape(4, 2).transpose(), null), six, null, "a strided view"},
            {new Batch(data, labels), six, null, "labels missing"},
            {new Batch(data, null), six, labelsTwo, "labels the batch has no array for"},
            {new Batch(data, Nd4j.zeros(DataType.FLOAT, 2, 3)), six, labelsTwo, "labels of another size"}};
        for (Object[] c : refused) {
            Batch b = (Batch) c[0];
            float[] before = elements(b.data().castTo(DataType.FLOAT));
            assertFalse(b.write((float[]) c[1], (float[]) c[2]), (String) c[3]);
            assertArrayEquals(before, elements(b.data().castTo(DataType.FLOAT)), 0f, c[3] + ": data unchanged");
            if (b.labels() != null) {
                assertArrayEquals(new float[(int) b.labels().length()], elements(b.labels()), 0f,
                        c[3] + ": labels unchanged");
            }
        }
    }
}
