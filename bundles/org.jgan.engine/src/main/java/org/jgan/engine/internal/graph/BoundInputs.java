package org.jgan.engine.internal.graph;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Java kernel's float inputs as NIO buffers positioned at each array's first element: an input's buffer is bound
 * again only when the op gets another array (the plan's own intermediates never change; fed arrays may), and an array
 * in another layout than dense C order ({@link PatchConv#dense}: plans are chosen by shape) is read from a dense copy,
 * held until the next call replaces it (a buffer does not keep its array's memory alive).
 */
final class BoundInputs {

    private final INDArray[] last;
    private final FloatBuffer[] buffers;
    private final INDArray[] copies;

    BoundInputs(int count) {
        last = new INDArray[count];
        buffers = new FloatBuffer[count];
        copies = new INDArray[count];
    }

    /** Input i's buffer, positioned at its first element. */
    FloatBuffer get(INDArray[] in, int i) {
        INDArray a = in[i];
        if (a != last[i]) {
            if (!PatchConv.dense(a)) {
                copies[i] = PatchConv.readable(a);
                last[i] = null;
                return copies[i].data().asNioFloat();
            }
            copies[i] = null;
            last[i] = a;
            buffers[i] = a.data().asNioFloat();
        }
        return buffers[i];
    }
}
