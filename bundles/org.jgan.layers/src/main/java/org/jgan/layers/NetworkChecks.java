package org.jgan.layers;

import java.util.Arrays;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checks of the inputs an architecture's graphs are built on, with errors that name the architecture and what was
 * expected, and the label maps of conditional convolutional networks.
 */
public final class NetworkChecks {

    private NetworkChecks() {
    }

    /**
     * Labels must be given exactly when the networks were created for classes, as one-hot {@code [batch, classes]}.
     *
     * @throws IllegalArgumentException naming the architecture, the classes and what was given
     */
    public static void labels(String architecture, int classes, SDVariable labels) {
        if (classes > 0 && labels == null) {
            throw new IllegalArgumentException("architecture '" + architecture + "': the networks were created for "
                    + classes + " classes; expected one-hot labels [batch, " + classes + "], got none");
        }
        if (classes == 0 && labels != null) {
            throw new IllegalArgumentException("architecture '" + architecture + "': the networks were created "
                    + "unconditional (0 classes); expected no labels, got " + Arrays.toString(labels.getShape()));
        }
        if (labels != null) {
            shape(architecture, labels, "labels", -1, classes);
        }
    }

    /**
     * Checks a variable's static shape where it is known; -1 (in either) matches any size.
     *
     * @throws IllegalArgumentException naming the architecture, the input and both shapes
     */
    public static void shape(String architecture, SDVariable v, String what, long... expected) {
        long[] actual = v.getShape();
        if (actual == null) {
            return;
        }
        boolean ok = actual.length == expected.length;
        for (int i = 0; ok && i < actual.length; i++) {
            ok = expected[i] < 0 || actual[i] < 0 || actual[i] == expected[i];
        }
        if (!ok) {
            throw new IllegalArgumentException("architecture '" + architecture + "': " + what + " has shape "
                    + Arrays.toString(actual) + "; expected " + Arrays.toString(expected).replace("-1", "batch"));
        }
    }

    /** One-hot labels {@code [batch, classes]} as constant maps {@code [batch, classes, size, size]} (Mirza and Osindero). */
    public static SDVariable labelMaps(SameDiff sd, SDVariable labels, int classes, int size) {
        SDVariable ones = sd.constant(Nd4j.ones(DataType.FLOAT, 1, 1, size, size));
        return sd.reshape(labels, -1, classes, 1, 1).mul(ones);
    }
}
