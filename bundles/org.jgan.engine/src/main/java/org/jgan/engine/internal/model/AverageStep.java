package org.jgan.engine.internal.model;

import java.nio.FloatBuffer;
import java.util.concurrent.atomic.LongAdder;
import org.jgan.engine.internal.graph.GraphPlan;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The generator's moving average {@code theta_ema = decay theta_ema + (1 - decay) theta} (Yazici et al. 2019) for
 * one parameter, in Java over the two arrays' buffers, with the bits of the three libnd4j ops it replaces
 * ({@code ema.muli(decay).addi(theta.mul(1 - decay))}): each product rounded to float with its factor rounded to
 * float as libnd4j's scalar ops take it, then the sum rounded (Java does not contract them into a fused multiply-add).
 * <p>
 * The three ops made a new array, an op context and a shape buffer for each parameter at each generator step: about
 * two fifths of the native arrays StyleGAN's iteration created in a JFR profile (by sampled size), each with a
 * deallocator that the garbage collector hands to a thread of its own. On two cores that thread and the collector
 * take a core from libnd4j's OpenMP team: the iterations with a collection took 40-100 ms more than the median of
 * about 90, with a pause of 17 ms; the step alone took 7.5-9.2 ms for StyleGAN's 74 arrays. Here a step allocates
 * nothing: it copies a chunk of each buffer into arrays of its own (so that C2 vectorizes the loop), computes and
 * writes the chunk back (36-58 microseconds for those arrays).
 */
final class AverageStep {

    /** Elements per chunk: two arrays of 16 KB. */
    private static final int CHUNK = 4096;

    /** Whether averages step here; {@code -Djgan.model.javaAverage=false}: by libnd4j's ops. */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.model.javaAverage"));

    /** Steps taken here, process-wide (tests check that the Java step ran). */
    private static final LongAdder STEPS = new LongAdder();

    /** The chunk's two arrays, one pair per thread (each parameter's step binds its own buffers only). */
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[2][CHUNK]);

    private INDArray lastAverage;
    private FloatBuffer average;
    private INDArray lastParam;
    private FloatBuffer param;

    /**
     * Whether the step can run here: both arrays float, dense in C order (a view at an offset is fine), of one
     * length, and the step enabled; else libnd4j's ops run it.
     */
    static boolean accepts(INDArray average, INDArray param) {
        return enabled && average.length() == param.length() && average.length() <= Integer.MAX_VALUE
                && GraphPlan.denseFloats(average) && GraphPlan.denseFloats(param);
    }

    /** {@code average = decay average + (1 - decay) param}, in place; the arrays must be {@link #accepts}ed. */
    void step(INDArray averageArray, INDArray paramArray, double decay) {
        if (averageArray != lastAverage) {
            lastAverage = averageArray;
            average = averageArray.data().asNioFloat();
        }
        if (paramArray != lastParam) {
            lastParam = paramArray;
            param = paramArray.data().asNioFloat();
        }
        // as libnd4j's scalar ops take their factors: the double rounded to the array's type
        float d = (float) decay;
        float r = (float) (1 - decay);
        float[][] w = WORK.get();
        float[] a = w[0];
        float[] t = w[1];
        int n = (int) averageArray.length();
        int at = average.position();
        int pt = param.position();
        for (int start = 0; start < n; start += CHUNK) {
            int k = Math.min(CHUNK, n - start);
            average.get(at + start, a, 0, k);
            param.get(pt + start, t, 0, k);
            for (int i = 0; i < k; i++) {
                a[i] = a[i] * d + t[i] * r;
            }
            average.put(at + start, a, 0, k);
        }
        STEPS.increment();
    }

    /** Parameter steps taken here so far, process-wide. */
    static long steps() {
        return STEPS.sum();
    }

    /** Sets whether averages step here from now on; returns the setting before (tests). */
    static boolean enable(boolean on) {
        boolean before = enabled;
        enabled = on;
        return before;
    }
}
