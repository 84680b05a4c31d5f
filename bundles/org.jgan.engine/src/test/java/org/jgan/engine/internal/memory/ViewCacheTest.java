package org.jgan.engine.internal.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A kept view is the view ND4J makes (same values, the array's later writes seen through it, writes through it reaching
 * the array); it is made again for another array, other rows or another shape, never kept where ND4J had to copy, and
 * made at every call when keeping is off.
 */
class ViewCacheTest {

    @Test
    void rowsOfTheSameArrayAreMadeOnceAndStayViewsOfIt() {
        ViewCache views = new ViewCache();
        INDArray a = Nd4j.linspace(DataType.FLOAT, 1, 24, 1).reshape(8, 3);
        for (int g = 0; g < 2; g++) {
            INDArray expected = a.get(NDArrayIndex.interval(4 * g, 4 * g + 4), NDArrayIndex.all());
            INDArray first = views.rows("a", a, g, 4);
            assertArrayEquals(expected.toFloatMatrix(), first.toFloatMatrix(), "group " + g);
            assertSame(first, views.rows("a", a, g, 4), "group " + g + " again: the kept view");
        }
        assertEquals(2, views.made());
        // the array's later values, through the kept view; a write through it, in the array
        a.putScalar(5, 1, -7f);
        assertEquals(-7f, views.rows("a", a, 1, 4).getFloat(1, 1));
        views.rows("a", a, 0, 4).putScalar(2, 2, 9f);
        assertEquals(9f, a.getFloat(2, 2));
        assertEquals(2, views.made());
        // other rows of it, under the same name: a new view
        INDArray halves = views.rows("a", a, 1, 2);
        assertArrayEquals(a.get(NDArrayIndex.interval(2, 4), NDArrayIndex.all()).toFloatMatrix(),
                halves.toFloatMatrix());
        assertEquals(3, views.made());
    }

    @Test
    void anotherArrayUnderTheSameNameGetsItsOwnView() {
        ViewCache views = new ViewCache();
        INDArray a = Nd4j.zeros(DataType.FLOAT, 6, 2);
        INDArray b = Nd4j.ones(DataType.FLOAT, 6, 2);
        INDArray ofA = views.rows("x", a, 1, 3);
        INDArray ofB = views.rows("x", b, 1, 3);
        assertNotSame(ofA, ofB);
        assertEquals(6.0, ofB.sumNumber().doubleValue(), "the rows of the array asked for");
        assertEquals(0.0, views.rows("x", a, 1, 3).sumNumber().doubleValue(), "and back");
        assertEquals(3, views.made());
    }

    @Test
    void aReshapeIsKeptWhereItIsAViewAndMadeAgainWhereItCopied() {
        ViewCache views = new ViewCache();
        INDArray column = Nd4j.linspace(DataType.FLOAT, 1, 8, 1).reshape(8, 1);
        INDArray tail = column.get(NDArrayIndex.interval(4, 8), NDArrayIndex.all());
        INDArray flat = views.reshape("t", 0, tail, 4);
        assertSame(flat, views.reshape("t", 0, tail, 4));
        column.putScalar(6, 0, 40f);
        assertEquals(40f, flat.getFloat(2), "a view of the column");
        assertSame(tail, views.reshape("t", 0, tail, 4, 1), "already in that shape: the array itself");
        // a transposed array's reshape copies: each call gives the array's values now
        INDArray t = Nd4j.linspace(DataType.FLOAT, 1, 6, 1).reshape(2, 3).transpose();
        INDArray copy = views.reshape("t", 1, t, 6);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, copy.toFloatVector());
        t.putScalar(0, 1, 100f);
        INDArray again = views.reshape("t", 1, t, 6);
        assertNotSame(copy, again);
        assertArrayEquals(new float[] {1, 100, 2, 5, 3, 6}, again.toFloatVector());
    }

    @Test
    void switchedOffEveryCallMakesItsView() {
        boolean before = ViewCache.enable(false);
        try {
            ViewCache views = new ViewCache();
            INDArray a = Nd4j.zeros(DataType.FLOAT, 4, 2);
            INDArray first = views.rows("a", a, 0, 2);
            assertNotSame(first, views.rows("a", a, 0, 2));
            assertEquals(2, views.made());
        } finally {
            ViewCache.enable(before);
        }
    }
}
