package org.jgan.api;

import java.util.Arrays;

/**
 * Shape of one sample, without the batch dimension: {@code [features]} for vector data, {@code [C, H, W]} for
 * images (NCHW once batched).
 */
public record DataShape(long... dims) {

    public DataShape {
        if (dims.length == 0) {
            throw new IllegalArgumentException("a data shape needs at least one dimension");
        }
        for (long d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("data shape dimensions must be positive, got " + Arrays.toString(dims));
            }
        }
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** Number of values in one sample. */
    public long size() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** True for {@code [C, H, W]} shapes. */
    public boolean isImage() {
        return dims.length == 3;
    }

    /** The batched shape {@code [batch, dims...]}; {@code batch} may be -1 for a placeholder. */
    public long[] batched(long batch) {
        long[] s = new long[dims.length + 1];
        s[0] = batch;
        System.arraycopy(dims, 0, s, 1, dims.length);
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataShape other && Arrays.equals(dims, other.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
