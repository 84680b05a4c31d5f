package org.jgan.datasets.image.internal;

import static org.jgan.datasets.image.internal.Formats.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** Hand-computed resampling of single rows and small planes. */
class ResamplingTest {

    static byte[] resize(byte[] src, int inH, int inW, int outH, int outW) {
        byte[] dst = new byte[outH * outW];
        new Resampling(inH, inW, outH, outW).apply(src, 0, dst, 0);
        return dst;
    }

    @Test
    void shrinkingByANonIntegerFactorWeighsPixelsByOverlap() {
        // 3 -> 2: output 0 covers [0, 1.5): 2/3 of pixel 0 and 1/3 of pixel 1; output 1 covers [1.5, 3).
        assertArrayEquals(bytes(10, 70), resize(bytes(0, 30, 90), 1, 3, 1, 2));
    }

    @Test
    void shrinkingByThreeIsTheBlockMeanNotTheCentrePixel() {
        byte[] plane = new byte[36];
        plane[0] = (byte) 90; // top-left of the top-left 3x3 block, whose centre is 0
        plane[5 * 6 + 5] = (byte) 180;
        assertArrayEquals(bytes(10, 0, 0, 20), resize(plane, 6, 6, 2, 2));
    }

    @Test
    void enlargingInterpolatesBetweenPixelCentresAndClampsAtTheBorder() {
        assertArrayEquals(bytes(0, 50, 150, 200), resize(bytes(0, 200), 1, 2, 1, 4));
        assertArrayEquals(bytes(0, 50, 150, 200), resize(bytes(0, 200), 2, 1, 4, 1));
    }

    @Test
    void theSameSizeIsTheIdentity() {
        byte[] plane = bytes(0, 1, 127, 128, 200, 254, 255, 3, 9);
        assertArrayEquals(plane, resize(plane, 3, 3, 3, 3));
    }

    @Test
    void paddingCentresThePlaneInZeros() {
        byte[] dst = new byte[16];
        Resampling.padCentred(bytes(1, 2, 3, 4), 0, 2, 2, dst, 0, 4, 4);
        assertArrayEquals(bytes(0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0), dst);
    }
}
