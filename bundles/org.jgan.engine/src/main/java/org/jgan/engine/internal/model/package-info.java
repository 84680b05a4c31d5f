/**
 * The numerics of a run: {@code GanModel} (one update as a {@code Schedule} phase says, swaps and live changes),
 * {@code TrainingState} (parameters, {@code Optimizer}s, EMA; the arrays of a checkpoint), {@code TrainingGraphs}
 * (each player's {@code PlayerGraph} per set of terms {@code TermWeights} says are due, penalties, constraints),
 * {@code StepGradients} (a step's batches, micro-batches and gradients), {@code Players} (G and D as inference graphs
 * for sampling and scoring, also restored alone from a checkpoint) and {@code LatentLayout} (latent codes). Depends
 * on configuration, the catalog, graph, penalty, folder (checkpoints) and memory.
 */
package org.jgan.engine.internal.model;
