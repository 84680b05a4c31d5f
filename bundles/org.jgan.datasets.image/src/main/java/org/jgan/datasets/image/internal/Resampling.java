package org.jgan.datasets.image.internal;

/**
 * Resizes one 8-bit image plane from {@code inH x inW} to {@code outH x outW}, separably, each axis on its own:
 * <ul>
 * <li>shrinking an axis averages areas: output pixel {@code o} covers the source interval
 * {@code [o s, (o + 1) s)}, {@code s = in / out}, and each source pixel counts by the length of its overlap
 * (as OpenCV's {@code INTER_AREA}; no aliasing, and an exact block mean for integer factors);</li>
 * <li>enlarging (or keeping) an axis interpolates linearly between pixel centres: source coordinate
 * {@code x = (o + 0.5) in / out - 0.5}, clamped to {@code [0, in - 1]} (PyTorch's bilinear with
 * {@code align_corners=False}; the identity when {@code in == out}).</li>
 * </ul>
 * Results are rounded to the nearest integer. An instance keeps its weight tables and scratch row for reuse
 * across planes of the same sizes; it is not thread-safe.
 */
final class Resampling {

    private final int inH;
    private final int inW;
    private final int outH;
    private final int outW;
    private final Axis rows;
    private final Axis columns;
    private final double[] scratch;

    Resampling(int inH, int inW, int outH, int outW) {
        this.inH = inH;
        this.inW = inW;
        this.outH = outH;
        this.outW = outW;
        this.rows = Axis.of(inH, outH);
        this.columns = Axis.of(inW, outW);
        this.scratch = new double[inH * outW];
    }

    /** Resizes the plane at {@code src[srcOffset..]} into {@code dst[dstOffset..]}. */
    void apply(byte[] src, int srcOffset, byte[] dst, int dstOffset) {
        for (int r = 0; r < inH; r++) {
            for (int c = 0; c < outW; c++) {
                double v = 0;
                double[] w = columns.weights[c];
                int base = srcOffset + r * inW + columns.first[c];
                for (int k = 0; k < w.length; k++) {
                    v += w[k] * (src[base + k] & 0xFF);
                }
                scratch[r * outW + c] = v;
            }
        }
        for (int r = 0; r < outH; r++) {
            double[] w = rows.weights[r];
            int first = rows.first[r];
            for (int c = 0; c < outW; c++) {
                double v = 0;
                for (int k = 0; k < w.length; k++) {
                    v += w[k] * scratch[(first + k) * outW + c];
                }
                dst[dstOffset + r * outW + c] = (byte) Math.max(0, Math.min(255, Math.round(v)));
            }
        }
    }

    /**
     * Copies an {@code inH x inW} plane into the centre of a zero-filled {@code outH x outW} plane; both margins
     * must be even, so the border is the same on both sides.
     */
    static void padCentred(byte[] src, int srcOffset, int inH, int inW, byte[] dst, int dstOffset, int outH,
            int outW) {
        int top = (outH - inH) / 2;
        int left = (outW - inW) / 2;
        for (int r = 0; r < inH; r++) {
            System.arraycopy(src, srcOffset + r * inW, dst, dstOffset + (r + top) * outW + left, inW);
        }
    }

    /** Source pixels and their weights for each output pixel along one axis. */
    private record Axis(int[] first, double[][] weights) {

        static Axis of(int in, int out) {
            return out < in ? area(in, out) : linear(in, out);
        }

        private static Axis area(int in, int out) {
            int[] first = new int[out];
            double[][] weights = new double[out][];
            double scale = (double) in / out;
            for (int o = 0; o < out; o++) {
                double lo = o * scale;
                double hi = Math.min(in, (o + 1) * scale);
                int k0 = (int) Math.floor(lo);
                int k1 = Math.min(in, (int) Math.ceil(hi));
                first[o] = k0;
                weights[o] = new double[k1 - k0];
                for (int k = k0; k < k1; k++) {
                    weights[o][k - k0] = (Math.min(k + 1, hi) - Math.max(k, lo)) / scale;
                }
            }
            return new Axis(first, weights);
        }

        private static Axis linear(int in, int out) {
            int[] first = new int[out];
            double[][] weights = new double[out][];
            for (int o = 0; o < out; o++) {
                double x = Math.max(0, Math.min(in - 1, (o + 0.5) * in / out - 0.5));
                int k0 = (int) Math.floor(x);
                double t = x - k0;
                first[o] = k0;
                weights[o] = k0 + 1 < in ? new double[] {1 - t, t} : new double[] {1};
            }
            return new Axis(first, weights);
        }
    }
}
