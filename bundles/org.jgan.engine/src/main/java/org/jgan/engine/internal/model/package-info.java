/**
 * The numerics of a run: {@code GanModel} (parameters, optimizers, and one update as a {@code Schedule} phase
 * says), {@code PlayerGraph} (a player's training graph with the terms {@code TermWeights} says are due), {@code
 * Players} (G and D as inference graphs for sampling and scoring, also restored alone from a checkpoint), {@code
 * Optimizer} and {@code LatentLayout} (latent codes). Depends on configuration, the catalog, graph, penalty, folder
 * (checkpoints) and memory.
 */
package org.jgan.engine.internal.model;
