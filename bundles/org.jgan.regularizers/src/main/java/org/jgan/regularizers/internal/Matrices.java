package org.jgan.regularizers.internal;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** Weight tensors viewed as matrices, shared by the weight-based regularizers. */
final class Matrices {

    private Matrices() {
    }

    /**
     * A weight as a matrix whose columns are the output units: {@code [in, out]} dense weights as they are, and
     * convolution kernels {@code [kH, kW, inC, outC]} (ND4J's layout) as {@code [kH * kW * inC, outC]}, i.e. one
     * column per filter. This is the reshaping of Miyato et al. 2018 (section 2.1) and Brock et al. 2018 (section
     * 3.1) up to a transpose, which changes neither singular values nor the filters' Gram matrix.
     *
     * @return the matrix, or {@code null} for tensors of rank below 2 (gains, biases)
     */
    static SDVariable columnsAreOutputs(SameDiff sd, SDVariable weight) {
        long[] shape = weight.getShape();
        if (shape == null || shape.length < 2) {
            return null;
        }
        if (shape.length == 2) {
            return weight;
        }
        long cols = shape[shape.length - 1];
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            rows *= shape[i];
        }
        return sd.reshape(weight, rows, cols);
    }

    /**
     * Rows of {@link #columnsAreOutputs}'s matrix of a weight, from the weight's own shape: ND4J 1.0.0-M2.1 does not
     * always know the static shape of a reshape's output (seen for 1x1 kernels {@code [1, 1, in, out]}).
     */
    static long rows(SDVariable weight) {
        long[] shape = weight.getShape();
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            rows *= shape[i];
        }
        return rows;
    }

    /** Columns of {@link #columnsAreOutputs}'s matrix of a weight: its last dimension. */
    static long cols(SDVariable weight) {
        long[] shape = weight.getShape();
        return shape[shape.length - 1];
    }
}
