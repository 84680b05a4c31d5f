package org.jgan.metrics.fashion.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The classifier: a small convolutional network for 28 x 28 grey images, in the style of LeNet (LeCun et al. 1998).
 * <pre>
 *   conv 3x3, 1 -> 16, ReLU, max-pool 2     [n, 16, 14, 14]
 *   conv 3x3, 16 -> 32, ReLU, max-pool 2    [n, 32, 7, 7]
 *   dense 1568 -> 64, ReLU                  the features (64 per image)
 *   dense 64 -> 10, softmax                 the class probabilities
 * </pre>
 * 105,866 parameters (414 KiB as float32). Images of 32 x 32 are cropped to their centre 28 x 28 first, the exact
 * inverse of the two-pixel padding the {@code idx} dataset uses to reach 32.
 */
final class ClassifierNet {

    static final String INPUT = "images";
    static final String LABELS = "labels";
    static final String FEATURES = "features";
    static final String PROBABILITIES = "probabilities";
    static final String LOSS = "loss";
    static final int SIDE = 28;
    static final int CLASSES = 10;
    static final int FEATURE_SIZE = 64;

    /** Parameter names and shapes, in file order. */
    static final Map<String, long[]> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("conv1/W", new long[] {3, 3, 1, 16});
        SHAPES.put("conv1/b", new long[] {16});
        SHAPES.put("conv2/W", new long[] {3, 3, 16, 32});
        SHAPES.put("conv2/b", new long[] {32});
        SHAPES.put("fc1/W", new long[] {32 * 7 * 7, FEATURE_SIZE});
        SHAPES.put("fc1/b", new long[] {FEATURE_SIZE});
        SHAPES.put("fc2/W", new long[] {FEATURE_SIZE, CLASSES});
        SHAPES.put("fc2/b", new long[] {CLASSES});
    }

    private static final int MAGIC = 0x4A47_4643; // "JGFC"
    private static final int FORMAT = 1;

    private ClassifierNet() {
    }

    /**
     * The graph on the given parameters (held by reference: training updates them in place), with placeholders
     * {@value #INPUT} {@code [n, 1, 28, 28]} and {@value #LABELS} {@code [n, 10]} and the outputs
     * {@value #FEATURES}, {@value #PROBABILITIES} and {@value #LOSS} (mean softmax cross-entropy).
     */
    static SameDiff graph(Map<String, INDArray> params) {
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> p = new LinkedHashMap<>();
        params.forEach((n, a) -> p.put(n, sd.var(n.replace('/', '_'), a)));
        SDVariable x = sd.placeHolder(INPUT, DataType.FLOAT, -1, 1, SIDE, SIDE);
        SDVariable labels = sd.placeHolder(LABELS, DataType.FLOAT, -1, CLASSES);
        Conv2DConfig conv = Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).pH(1).pW(1).dataFormat("NCHW").build();
        Pooling2DConfig pool = Pooling2DConfig.builder().kH(2).kW(2).sH(2).sW(2).isNHWC(false).build();
        SDVariable h = sd.cnn().maxPooling2d(sd.nn().relu(sd.cnn().conv2d(x, p.get("conv1/W"), p.get("conv1/b"), conv), 0), pool);
        h = sd.cnn().maxPooling2d(sd.nn().relu(sd.cnn().conv2d(h, p.get("conv2/W"), p.get("conv2/b"), conv), 0), pool);
        h = sd.reshape(h, -1, 32 * 7 * 7);
        SDVariable features = sd.nn().relu(FEATURES, h.mmul(p.get("fc1/W")).add(p.get("fc1/b")), 0);
        SDVariable logits = features.mmul(p.get("fc2/W")).add(p.get("fc2/b"));
        sd.nn().softmax(PROBABILITIES, logits, 1);
        sd.loss().softmaxCrossEntropy(LOSS, labels, logits, null);
        return sd;
    }

    /** He-normal weights (He et al. 2015) and zero biases, from {@code seed}. */
    static Map<String, INDArray> initial(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, INDArray> params = new LinkedHashMap<>();
        SHAPES.forEach((name, shape) -> {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            float[] v = new float[(int) n];
            if (name.endsWith("/W")) {
                long fanIn = shape.length == 4 ? shape[0] * shape[1] * shape[2] : shape[0];
                double std = Math.sqrt(2.0 / fanIn);
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble()));
                }
            }
            params.put(name, Nd4j.create(v, shape, 'c'));
        });
        return params;
    }

    /** {@code [n, 1, 28, 28]} from {@code [n, 1, 28, 28]} or the centre of {@code [n, 1, 32, 32]}. */
    static INDArray fit(INDArray images) {
        long[] s = images.shape();
        if (s.length == 4 && s[1] == 1 && s[2] == SIDE && s[3] == SIDE) {
            return images.castTo(DataType.FLOAT);
        }
        if (s.length == 4 && s[1] == 1 && s[2] == 32 && s[3] == 32) {
            return images.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(2, 30),
                    NDArrayIndex.interval(2, 30)).castTo(DataType.FLOAT).dup('c');
        }
        throw new IllegalArgumentException("feature extractor 'fashion-mnist': images of shape "
                + java.util.Arrays.toString(s) + " are not supported; expected [n, 1, 28, 28] or [n, 1, 32, 32]");
    }

    static void write(Map<String, INDArray> params, OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(MAGIC);
        d.writeInt(FORMAT);
        d.writeInt(params.size());
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            d.writeUTF(e.getKey());
            long[] shape = e.getValue().shape();
            d.writeInt(shape.length);
            for (long s : shape) {
                d.writeLong(s);
            }
            for (float f : e.getValue().castTo(DataType.FLOAT).dup('c').data().asFloat()) {
                d.writeFloat(f);
            }
        }
        d.flush();
    }

    /**
     * Reads parameters written by {@link #write}.
     *
     * @param source named in errors
     * @throws IOException naming {@code source} and what is wrong: another format, a missing or misshapen
     *                     parameter, a truncated file
     */
    static Map<String, INDArray> read(InputStream in, String source) throws IOException {
        DataInputStream d = new DataInputStream(in);
        try {
            if (d.readInt() != MAGIC || d.readInt() != FORMAT) {
                throw new IOException(source + ": not a jgan classifier weights file (format " + FORMAT + ")");
            }
            int count = d.readInt();
            Map<String, INDArray> params = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = d.readUTF();
                long[] shape = new long[d.readInt()];
                long n = 1;
                for (int j = 0; j < shape.length; j++) {
                    shape[j] = d.readLong();
                    n *= shape[j];
                }
                if (!SHAPES.containsKey(name) || !java.util.Arrays.equals(SHAPES.get(name), shape)) {
                    throw new IOException(source + ": parameter '" + name + "' " + java.util.Arrays.toString(shape)
                            + " does not belong to this network; expected " + describe());
                }
                float[] v = new float[(int) n];
                for (int j = 0; j < v.length; j++) {
                    v[j] = d.readFloat();
                }
                params.put(name, Nd4j.create(v, shape, 'c'));
            }
            if (!params.keySet().equals(SHAPES.keySet())) {
                throw new IOException(source + ": holds " + params.keySet() + "; expected " + describe());
            }
            return params;
        } catch (java.io.EOFException e) {
            throw new IOException(source + ": truncated; expected the parameters " + describe(), e);
        }
    }

    private static String describe() {
        StringBuilder sb = new StringBuilder();
        SHAPES.forEach((n, s) -> sb.append(sb.length() == 0 ? "" : ", ").append(n).append(java.util.Arrays.toString(s)));
        return sb.toString();
    }
}
