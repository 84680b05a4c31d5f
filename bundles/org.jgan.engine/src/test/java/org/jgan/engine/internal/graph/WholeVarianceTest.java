package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The whole-array variance and standard deviation of a plan ({@link Replacements.WholeVariance}: DRAGAN's
 * {@code std(x)} over the batch) against float64 sums written out here, and against libnd4j's kernel.
 */
class WholeVarianceTest {

    private boolean own;

    @BeforeEach
    void ownArithmetic() {
        own = GraphPlan.ownArithmetic(true);
    }

    @AfterEach
    void restore() {
        GraphPlan.ownArithmetic(own);
    }

    @Test
    void theBatchsStandardDeviationAndVariance() {
        SameDiff sd = GraphMemory.create();
        try {
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 1, 28, 28);
            sd.standardDeviation(x, false).rename("deviation");
            sd.standardDeviation(x, true).rename("deviationCorrected");
            sd.variance(x, false).rename("variance");
            sd.variance(x, true).rename("varianceCorrected");
            List<String> names = List.of("deviation", "deviationCorrected", "variance", "varianceCorrected");
            SplittableRandom r = new SplittableRandom(5);
            for (int call = 0; call < 4; call++) {
                // an offset far from 0 (a one-pass sum of squares in float would lose the variance)
                int n = 32;
                float[] v = new float[(n + 1) * 784];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (100 + (call + 1) * r.nextGaussian());
                }
                INDArray all = Nd4j.create(v, new long[] {n + 1, 1, 28, 28}, DataType.FLOAT);
                // a view at an offset, then an array in F order (read through a copy)
                INDArray batch = call == 2 ? all.get(NDArrayIndex.interval(1, n + 1))
                        : all.get(NDArrayIndex.interval(0, n)).dup(call == 3 ? 'f' : 'c');
                Map<String, Long> before = Replacements.calls();
                Map<String, INDArray> planned = GraphPlan.output(sd, Map.of("x", batch), names);
                assertEquals(4, Replacements.calls().getOrDefault("std/whole", 0L)
                        + Replacements.calls().getOrDefault("var/whole", 0L) - before.getOrDefault("std/whole", 0L)
                        - before.getOrDefault("var/whole", 0L), "the four reductions in the plan's kernel");
                Map<String, INDArray> libnd4j = sd.output(Map.of("x", batch), names.toArray(new String[0]));
                double[] xs = batch.castTo(DataType.DOUBLE).dup().data().asDouble();
                double mean = 0;
                for (double d : xs) {
                    mean += d;
                }
                mean /= xs.length;
                double squares = 0;
                for (double d : xs) {
                    squares += (d - mean) * (d - mean);
                }
                double var = squares / xs.length;
                double varCorrected = squares / (xs.length - 1);
                double[] expected = {Math.sqrt(var), Math.sqrt(varCorrected), var, varCorrected};
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get(k);
                    float got = planned.get(name).getFloat(0);
                    assertEquals((float) expected[k], got, 0f, name + ": float64's value rounded once, call " + call);
                    assertEquals(expected[k], libnd4j.get(name).getDouble(0), 1e-5 * expected[k],
                            name + ": libnd4j's kernel agrees, call " + call);
                }
            }
        } finally {
            GraphMemory.release(sd);
        }
    }

    /**
     * Left to libnd4j: a standard deviation over an axis (784 results), one of doubles, and any with the plan's own
     * arithmetic off, whose results are then libnd4j's bits.
     */
    @Test
    void otherVariancesAreLibnd4js() {
        SameDiff sd = GraphMemory.create();
        try {
            SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 784);
            sd.standardDeviation(x, false, 0).rename("perColumn");
            SDVariable d = sd.placeHolder("d", DataType.DOUBLE, -1, 784);
            sd.standardDeviation(d, false).rename("ofDoubles");
            sd.standardDeviation(x, true).rename("whole");
            Map<String, INDArray> feed = Map.of("x", Nd4j.rand(DataType.FLOAT, 16, 784),
                    "d", Nd4j.rand(DataType.DOUBLE, 16, 784));
            Map<String, Long> before = Replacements.calls();
            GraphPlan.output(sd, feed, List.of("perColumn", "ofDoubles"));
            assertEquals(before.getOrDefault("std/whole", 0L), Replacements.calls().getOrDefault("std/whole", 0L),
                    "no whole-array kernel for an axis or for doubles");
            GraphPlan.ownArithmetic(false);
            INDArray planned = GraphPlan.output(sd, feed, List.of("whole")).get("whole");
            assertEquals(before.getOrDefault("std/whole", 0L), Replacements.calls().getOrDefault("std/whole", 0L),
                    "no whole-array kernel without the plan's own arithmetic");
            assertEquals(sd.output(feed, "whole").get("whole").getFloat(0), planned.getFloat(0), 0f,
                    "libnd4j's bits");
        } finally {
            GraphMemory.release(sd);
        }
    }
}
