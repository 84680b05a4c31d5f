package org.jgan.datasets.image.internal;

/**
 * How a native {@code inH x inW} plane becomes the {@code outH x outW} output plane: unchanged, zero-padded
 * symmetrically (when the output is at least as large on both axes and both margins are even), or resampled by
 * {@link Resampling}.
 */
final class ImageFit {

    private final int inH;
    private final int inW;
    private final int outH;
    private final int outW;
    private final Resampling resampling;

    private ImageFit(int inH, int inW, int outH, int outW, Resampling resampling) {
        this.inH = inH;
        this.inW = inW;
        this.outH = outH;
        this.outW = outW;
        this.resampling = resampling;
    }

    /** The fit of {@code inH x inW} to {@code size x size}; {@code size == 0} keeps the native size. */
    static ImageFit of(int inH, int inW, int size) {
        if (size == 0 || (size == inH && size == inW)) {
            return new ImageFit(inH, inW, inH, inW, null);
        }
        boolean pad = size >= inH && size >= inW && (size - inH) % 2 == 0 && (size - inW) % 2 == 0;
        return new ImageFit(inH, inW, size, size, pad ? null : new Resampling(inH, inW, size, size));
    }

    int inH() {
        return inH;
    }

    int inW() {
        return inW;
    }

    int outH() {
        return outH;
    }

    int outW() {
        return outW;
    }

    /** True when the plane is copied as it is. */
    boolean identity() {
        return inH == outH && inW == outW;
    }

    /** Writes the fitted plane of {@code src[srcOffset..]} to {@code dst[dstOffset..]}. */
    void apply(byte[] src, int srcOffset, byte[] dst, int dstOffset) {
        if (resampling != null) {
            resampling.apply(src, srcOffset, dst, dstOffset);
        } else {
            Resampling.padCentred(src, srcOffset, inH, inW, dst, dstOffset, outH, outW);
        }
    }
}
