package org.jgan.api;

import java.util.random.RandomGenerator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.osgi.annotation.versioning.ConsumerType;

/** Creates the initial value of a parameter from a seeded random generator, so runs are reproducible. */
@ConsumerType
@FunctionalInterface
public interface Initializer {

    /**
     * @param shape shape of the parameter
     * @param rng   the run's parameter-initialisation random stream
     * @return a new float32 array of {@code shape}
     */
    INDArray create(long[] shape, RandomGenerator rng);

    /** All zeros (biases). */
    static Initializer zeros() {
        return (shape, rng) -> Nd4j.zeros(DataType.FLOAT, shape);
    }

    /** All ones (normalisation gains). */
    static Initializer ones() {
        return (shape, rng) -> Nd4j.ones(DataType.FLOAT, shape);
    }

    /** Independent N(0, std^2) entries, e.g. std 0.02 as in Radford et al. 2015 (DCGAN). */
    static Initializer normal(double std) {
        return (shape, rng) -> fill(shape, rng, () -> std * rng.nextGaussian());
    }

    /**
     * Glorot and Bengio 2010 uniform initialisation: U(-a, a) with a = sqrt(6 / (fanIn + fanOut)).
     */
    static Initializer glorotUniform(long fanIn, long fanOut) {
        double a = Math.sqrt(6.0 / (fanIn + fanOut));
        return (shape, rng) -> fill(shape, rng, () -> a * (2 * rng.nextDouble() - 1));
    }

    /** He et al. 2015 normal initialisation for ReLU layers: N(0, 2 / fanIn). */
    static Initializer heNormal(long fanIn) {
        double std = Math.sqrt(2.0 / fanIn);
        return (shape, rng) -> fill(shape, rng, () -> std * rng.nextGaussian());
    }

    private static INDArray fill(long[] shape, RandomGenerator rng, java.util.function.DoubleSupplier next) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) next.getAsDouble();
        }
        return Nd4j.create(values, shape, 'c');
    }
}
