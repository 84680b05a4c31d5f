package org.jgan.engine.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Metatype description of a run configuration (factory PID {@code org.jgan.run}). Component options are further
 * keys: {@code architecture.X}, {@code loss.X}, {@code dataset.X}, {@code regularizer.NAME.X},
 * {@code metric.NAME.X}. Defaults here match {@link RunSpec#SETTINGS} (checked by a test).
 */
@ObjectClassDefinition(name = "jgan training run", description = "One GAN training run: components and hyperparameters")
@interface RunConfig {
    @AttributeDefinition(description = "Run id; generated from the time when empty")
    String name() default "";

    @AttributeDefinition(description = "Preset the configuration started from (informational)")
    String preset() default "";

    @AttributeDefinition(description = "Architecture component name")
    String architecture() default "mlp";

    @AttributeDefinition(description = "Adversarial loss component name")
    String loss() default "nonsaturating";

    @AttributeDefinition(description = "Dataset component name")
    String dataset() default "ring8";

    @AttributeDefinition(description = "Comma-separated regularizer, penalty, constraint or reparametrization names")
    String regularizers() default "";

    @AttributeDefinition(description = "Comma-separated metric names, 'auto' or 'none'")
    String metrics() default "auto";

    @AttributeDefinition(description = "Minibatch size", min = "1")
    int batchSize() default 64;

    @AttributeDefinition(description = "Micro-batches per step (gradient accumulation); divides batchSize", min = "1")
    int accumulate() default 1;

    @AttributeDefinition(description = "Size of the latent vector z", min = "1")
    int latent() default 16;

    @AttributeDefinition(description = "Generator learning rate", type = AttributeType.DOUBLE, min = "0")
    double lrG() default 1e-4;

    @AttributeDefinition(description = "Discriminator learning rate", type = AttributeType.DOUBLE, min = "0")
    double lrD() default 1e-4;

    @AttributeDefinition(description = "Optimizer: adam or rmsprop")
    String optimizer() default "adam";

    @AttributeDefinition(description = "Adam beta1", type = AttributeType.DOUBLE)
    double beta1() default 0.5;

    @AttributeDefinition(description = "Adam beta2", type = AttributeType.DOUBLE)
    double beta2() default 0.999;

    @AttributeDefinition(description = "Adam / RMSProp epsilon", type = AttributeType.DOUBLE)
    double epsilon() default 1e-8;

    @AttributeDefinition(description = "RMSProp decay", type = AttributeType.DOUBLE)
    double rmsDecay() default 0.9;

    @AttributeDefinition(description = "Discriminator steps per generator step", min = "1")
    int dSteps() default 1;

    @AttributeDefinition(description = "Weight of the generator's adversarial term (0 with feature matching as G's objective)", min = "0")
    double gAdvWeight() default 1;

    @AttributeDefinition(description = "Decay of the EMA of G's weights used for samples and metrics (0: off; BigGAN 0.9999)", min = "0", max = "0.999999999")
    double ema() default 0;

    @AttributeDefinition(description = "Generator steps before the EMA starts averaging", min = "0")
    int emaStart() default 0;

    @AttributeDefinition(description = "Generator steps to train", min = "1")
    int iterations() default 2000;

    @AttributeDefinition(description = "Seed of every random stream")
    int seed() default 1;

    @AttributeDefinition(description = "Output folder; runs/<name> when empty")
    String outputDir() default "";

    @AttributeDefinition(description = "Samples and metrics every N iterations (0: only at the end)", min = "0")
    int sampleInterval() default 500;

    @AttributeDefinition(description = "Checkpoint every N iterations (0: only at the end)", min = "0")
    int checkpointInterval() default 1000;

    @AttributeDefinition(description = "Seconds between progress lines", type = AttributeType.DOUBLE)
    double progressInterval() default 5;
}
