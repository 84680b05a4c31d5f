package org.jgan.layers;

import org.jgan.api.DataShape;

/**
 * How a convolutional network reaches one of the supported square image sizes: from a {@code start x start} map,
 * {@code doublings} times twice the resolution (4 -> 32 in three steps, 4 -> 64 in four, 7 -> 28 in two).
 *
 * @param channels  image channels C of the data shape {@code [C, size, size]}
 * @param start     side of the smallest feature map
 * @param doublings number of resolution doublings between the smallest map and the image
 */
public record Resolution(long channels, int start, int doublings) {

    /**
     * From a 7x7 map to 28x28 (MNIST-sized images), or from 4x4 to 32x32 or 64x64.
     *
     * @throws IllegalArgumentException naming the architecture and the shape when the shape is not
     *                                  {@code [C, 28, 28]}, {@code [C, 32, 32]} or {@code [C, 64, 64]}
     */
    public static Resolution of(String architecture, DataShape shape) {
        long[] d = shape.dims();
        if (d.length == 3 && d[1] == d[2] && d[1] == 28) {
            return new Resolution(d[0], 7, 2);
        }
        return from4x4(architecture, shape, "[C, 28, 28], [C, 32, 32] or [C, 64, 64]");
    }

    /**
     * From a 4x4 map only, for networks whose blocks need power-of-two sizes throughout.
     *
     * @throws IllegalArgumentException naming the architecture and the shape when the shape is not
     *                                  {@code [C, 32, 32]} or {@code [C, 64, 64]}
     */
    public static Resolution from4x4(String architecture, DataShape shape) {
        return from4x4(architecture, shape, "[C, 32, 32] or [C, 64, 64]");
    }

    private static Resolution from4x4(String architecture, DataShape shape, String expected) {
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
                + " is not supported; expected " + expected);
    }

    /** Side of the image. */
    public int size() {
        return start << doublings;
    }
}
