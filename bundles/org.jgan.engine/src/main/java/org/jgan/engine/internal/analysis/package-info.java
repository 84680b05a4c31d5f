/**
 * Analysis of trained players: {@code Analysis} (the service's commands on a run's checkpoint), {@code Evaluation}
 * (metrics on a checkpoint, the choice of metrics, and Roth et al. 2017's cross-test), {@code LatentExplorer}
 * (samples, interpolation, latent arithmetic), and the files they and training write: {@code LossPlot}, {@code
 * ImageGrid}, {@code SampleFiles}. Depends on the model's {@code Players}, on configuration, the catalog, graph
 * (seeds), folder and memory; never on a training run.
 */
package org.jgan.engine.internal.analysis;
