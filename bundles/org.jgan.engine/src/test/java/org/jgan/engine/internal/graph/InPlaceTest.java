package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.function.BinaryOperator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The loop's {@code into += from} and {@code into = from} give libnd4j's bits (its {@code addi} and {@code assign} on
 * copies are the reference), write only the target's elements, and leave every array they cannot take (other shapes,
 * layouts, types, sizes, overlapping memory) to ND4J's ops.
 */
class InPlaceTest {

    private static final BinaryOperator<INDArray> ADD = InPlace::add;
    private static final BinaryOperator<INDArray> COPY = InPlace::copy;

    @Test
    void addAndCopyHaveLibnd4jsBitsAtEverySize() {
        Nd4j.getRandom().setSeed(3);
        for (int n : new int[] {1, 7, 128, 4095, 4096, 4097, 16384, 65536}) {
            INDArray into = Nd4j.randn(DataType.FLOAT, n).muli(1e3);
            INDArray from = Nd4j.randn(DataType.FLOAT, n).muli(1e-2);
            INDArray expected = into.dup().addi(from);
            long before = InPlace.loops();
            assertSame(into, InPlace.add(into, from));
            assertEquals(before + 1, InPlace.loops(), n + " elements: the loop ran");
            assertArrayEquals(expected.toFloatVector(), into.toFloatVector(), 0f, n + " elements, add");
            INDArray copied = Nd4j.zeros(DataType.FLOAT, n);
            InPlace.copy(copied, from);
            assertArrayEquals(from.toFloatVector(), copied.toFloatVector(), 0f, n + " elements, copy");
        }
    }

    @Test
    void viewsAtAnOffsetChangeTheirOwnRowsOnly() {
        INDArray target = Nd4j.linspace(DataType.FLOAT, 1, 40, 1).reshape(8, 5);
        INDArray source = Nd4j.linspace(DataType.FLOAT, 100, 40, 1).reshape(8, 5);
        INDArray expected = target.dup();
        expected.get(NDArrayIndex.interval(4, 6), NDArrayIndex.all())
                .addi(source.get(NDArrayIndex.interval(2, 4), NDArrayIndex.all()));
        long before = InPlace.loops();
        InPlace.add(target.get(NDArrayIndex.interval(4, 6), NDArrayIndex.all()),
                source.get(NDArrayIndex.interval(2, 4), NDArrayIndex.all()));
        assertEquals(before + 1, InPlace.loops());
        assertArrayEquals(expected.toFloatMatrix(), target.toFloatMatrix());
        InPlace.copy(target.get(NDArrayIndex.interval(7, 8), NDArrayIndex.all()),
                source.get(NDArrayIndex.interval(0, 1), NDArrayIndex.all()));
        expected.get(NDArrayIndex.interval(7, 8), NDArrayIndex.all())
                .assign(source.get(NDArrayIndex.interval(0, 1), NDArrayIndex.all()));
        assertArrayEquals(expected.toFloatMatrix(), target.toFloatMatrix());
        // the same memory on both sides: doubled
        INDArray x = Nd4j.linspace(DataType.FLOAT, 1, 6, 1);
        InPlace.add(x, x);
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, x.toFloatVector());
    }

    @Test
    void whatTheLoopCannotTakeGoesToNd4j() {
        INDArray big = Nd4j.rand(DataType.FLOAT, InPlace.SMALL + 1);
        INDArray overlapping = Nd4j.linspace(DataType.FLOAT, 1, 12, 1);
        INDArray[][] cases = {
            // a broadcast, a transposed target, doubles, past the size, overlapping rows of one array
            {Nd4j.ones(DataType.FLOAT, 3, 4), Nd4j.linspace(DataType.FLOAT, 1, 4, 1).reshape(1, 4)},
            {Nd4j.ones(DataType.FLOAT, 4, 3).transpose(), Nd4j.rand(DataType.FLOAT, 3, 4)},
            {Nd4j.ones(DataType.DOUBLE, 5), Nd4j.rand(DataType.DOUBLE, 5)},
            {big, big.dup().muli(2)},
            {overlapping.get(NDArrayIndex.interval(2, 10)), overlapping.get(NDArrayIndex.interval(0, 8))}};
        for (int c = 0; c < cases.length; c++) {
            for (BinaryOperator<INDArray> op : java.util.List.of(ADD, COPY)) {
                INDArray base = c == 4 ? overlapping : null;
                INDArray into = cases[c][0];
                INDArray from = cases[c][1];
                INDArray expectedBase = base == null ? null : base.dup();
                INDArray expected = op == ADD ? into.dup().addi(from) : into.dup().assign(from);
                if (base != null) {
                    // rows [2, 10) of the copy, from rows [0, 8) of the copy as libnd4j reads them
                    INDArray t = expectedBase.get(NDArrayIndex.interval(2, 10));
                    INDArray f = expectedBase.get(NDArrayIndex.interval(0, 8));
                    if (op == ADD) {
                        t.addi(f);
                    } else {
                        t.assign(f);
                    }
                }
                long before = InPlace.loops();
                op.apply(into, from);
                assertEquals(before, InPlace.loops(), "case " + c + ": ND4J's op, not the loop");
                if (base != null) {
                    assertArrayEquals(expectedBase.toFloatVector(), base.toFloatVector(), 0f, "case " + c);
                    base.assign(Nd4j.linspace(DataType.FLOAT, 1, 12, 1));
                } else if (into.dataType() == DataType.FLOAT) {
                    assertArrayEquals(expected.dup('c').reshape(-1).toFloatVector(),
                            into.dup('c').reshape(-1).toFloatVector(), 0f, "case " + c);
                } else {
                    assertArrayEquals(expected.toDoubleVector(), into.toDoubleVector(), 0d, "case " + c);
                }
            }
        }
    }

    @Test
    void switchedOffNd4jRunsEveryCall() {
        boolean before = InPlace.enable(false);
        try {
            long loops = InPlace.loops();
            INDArray a = Nd4j.ones(DataType.FLOAT, 4);
            InPlace.add(a, Nd4j.ones(DataType.FLOAT, 4));
            assertArrayEquals(new float[] {2, 2, 2, 2}, a.toFloatVector());
            assertEquals(loops, InPlace.loops());
        } finally {
            InPlace.enable(before);
        }
    }
}
