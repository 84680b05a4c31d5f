package org.jgan.engine.internal.memory;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Views of arrays, each kept while it is asked for again of the same array (the same object): an array's buffer and
 * shape never change, so its view of the same rows, or in the same shape, is the same view.
 * <p>
 * ND4J 1.0.0-M2.1 makes a new view's shape information in native memory on every {@code get} and {@code reshape}:
 * two JavaCPP pointers, each registered with a deallocator, and each registration reads the process's resident size
 * from {@code /proc/self/statm} (JavaCPP's {@code maxPhysicalBytes} check, about 1.8 microseconds a read on a 2-core
 * Zen 5). In the D step of Roth et al.'s penalty on the ring MLP, whose arrays are small, the penalty's twelve row
 * views of its stacked arrays took 11% of the step (JFR). Views whose array is the same object from call to call (the
 * penalty's kept arrays, a plan's outputs) are made once here; an array new at each call gets a new view, as before.
 * <p>
 * A view is kept only where it shares its array's buffer (a {@code reshape} that had to copy is made again at each
 * call, since a copy would not see the array's later values). Entries are per key: one view per key, the latest.
 * Not thread-safe; each owner keeps its own.
 */
public final class ViewCache {

    private record Key(String name, long group) {
    }

    private record Entry(INDArray base, long[] recipe, INDArray view) {
    }

    /** Whether views are kept: {@code -Djgan.memory.keepViews=false} makes every view anew, as before. */
    private static volatile boolean enabled = !"false".equals(System.getProperty("jgan.memory.keepViews"));

    private final Map<Key, Entry> entries = new HashMap<>();
    private long made;

    /**
     * Keeps views (true, the default) or makes each anew (for benchmarks and tests comparing both); the setting
     * before.
     */
    public static boolean enable(boolean on) {
        boolean before = enabled;
        enabled = on;
        return before;
    }

    /**
     * Rows {@code [g n, (g + 1) n)} of {@code a} (all of its other axes), kept as {@code name}'s group {@code g} while
     * {@code a} is the same array.
     */
    public INDArray rows(String name, INDArray a, int g, long n) {
        Key key = new Key(name, g);
        Entry e = enabled ? entries.get(key) : null;
        if (e != null && e.base == a && e.recipe.length == 1 && e.recipe[0] == n) {
            return e.view;
        }
        INDArrayIndex[] index = new INDArrayIndex[a.rank()];
        index[0] = NDArrayIndex.interval(g * n, (g + 1) * n);
        for (int k = 1; k < index.length; k++) {
            index[k] = NDArrayIndex.all();
        }
        return keep(key, a, new long[] {n}, a.get(index));
    }

    /**
     * {@code a} in shape {@code shape} (itself where it has that shape), kept as {@code name}'s {@code k}-th while
     * {@code a} is the same array.
     */
    public INDArray reshape(String name, int k, INDArray a, long... shape) {
        if (Arrays.equals(a.shape(), shape)) {
            return a;
        }
        Key key = new Key(name, k);
        Entry e = enabled ? entries.get(key) : null;
        if (e != null && e.base == a && Arrays.equals(e.recipe, shape)) {
            return e.view;
        }
        return keep(key, a, shape.clone(), a.reshape(shape));
    }

    /** Views made so far (not taken from the cache): for tests. */
    public long made() {
        return made;
    }

    private INDArray keep(Key key, INDArray base, long[] recipe, INDArray view) {
        made++;
        // a view at an offset has a buffer object of its own over the array's memory (isView); one at offset 0 the
        // array's own; a copy neither
        if (view != base && (view.data() == base.data() || view.isView())) {
            entries.put(key, new Entry(base, recipe, view));
        } else {
            entries.remove(key);
        }
        return view;
    }
}
