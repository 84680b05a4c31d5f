package org.jgan.api;

import org.nd4j.autodiff.samediff.SDVariable;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A transformation of every batch on its way into the discriminator in the training graphs of both players, real
 * data and generated samples alike, e.g. instance noise (explicit Gaussian noise on the discriminator's inputs,
 * the practitioners' approach Roth et al. 2017 compare their regularizer with in section 5.4). The sampling graph
 * and evaluations see the untransformed data. Listed in a run's {@code regularizers} and registered with
 * {@value GanComponent#NAME}.
 *
 * @since 1.2
 */
@ConsumerType
public interface InputTransform extends GanComponent {
    /**
     * @param context where to draw per-step randomness
     * @param x       a batch {@code [batchSize, dims...]} about to enter the discriminator
     * @param real    true for data, false for generated samples
     * @return the batch the discriminator sees, of the same shape
     */
    SDVariable apply(InputContext context, SDVariable x, boolean real, Options options);

    /** What an {@link InputTransform} may use. */
    @org.osgi.annotation.versioning.ProviderType
    interface InputContext {
        org.nd4j.autodiff.samediff.SameDiff sd();

        /** The run's minibatch size (the first dimension of every batch). */
        int batchSize();

        /** The shape of one sample (a batch is {@code [batchSize, dims...]}). */
        DataShape shape();

        /**
         * A fresh standard-normal tensor redrawn every step from the run's seeded stream; a dimension of -1 stands
         * for the batch size. The same name gives the same tensor within a graph.
         */
        SDVariable noise(String name, long... shape);

        /**
         * A fresh tensor of independent U[0, 1) draws redrawn every step from the run's seeded stream (random
         * augmentation parameters); a dimension of -1 stands for the batch size. The same name gives the same
         * tensor within a graph.
         *
         * @since 1.11
         */
        SDVariable uniform(String name, long... shape);

        /**
         * A state buffer of the discriminator ({@link NetworkScope#buffer} of its scope: created with {@code init} on
         * first use, saved in checkpoints), which the transform reads and a term of the discriminator may update after
         * each of its steps ({@link NetworkScope#updateBuffer}), e.g. the augmentation probability p that ADA (Karras
         * et al. 2020) tunes from D's outputs on real data.
         *
         * @since 1.12
         */
        SDVariable buffer(String name, Initializer init, long... shape);
    }
}
