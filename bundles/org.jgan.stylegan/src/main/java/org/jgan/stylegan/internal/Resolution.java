package org.jgan.stylegan.internal;

import org.jgan.api.DataShape;

/**
 * How the StyleGAN networks reach a supported square image size: from a 4x4 map, {@code doublings} times twice the
 * resolution (4 -> 32 in three steps, 4 -> 64 in four).
 *
 * @param channels  image channels C of the data shape {@code [C, size, size]}
 * @param start     side of the smallest feature map
 * @param doublings number of resolution doublings between the smallest map and the image
 */
record Resolution(long channels, int start, int doublings) {

    /**
     * @throws IllegalArgumentException naming the architecture and the shape when the shape is not
     *                                  {@code [C, 32, 32]} or {@code [C, 64, 64]}
     */
    static Resolution of(String architecture, DataShape shape) {
        long[] d = shape.dims();
        if (d.length == 3 && d[1] == d[2]) {
            if (d[1] == 32) {
                return new Resolution(d[0], 4, 3);
            }
            if (d[1] == 64) {
                return new Resolution(d[0], 4, 4);
            }
        }
        throw new IllegalArgumentException("architecture '" + architecture + "': data shape " + shape
                + " is not supported; expected [C, 32, 32] or [C, 64, 64]");
    }

    /** Side of the image. */
    int size() {
        return start << doublings;
    }
}
