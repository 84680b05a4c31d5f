/**
 * Input-gradient penalties (R1, R2, WGAN-GP, DRAGAN, Roth et al. 2017) with exact parameter gradients: {@code
 * InputGradientPenalty} evaluates a penalty and its gradient with first-order passes through a forward-mode tangent
 * of the discriminator ({@code Tangents}), or a central difference with its kinks held where an op has no tangent
 * rule ({@code AffineOps} says when that difference is exact). {@code Critic} is one build of the discriminator for
 * these passes, {@code PerSampleContext} what a penalty's per-sample expression may use, {@code GraphPath} the ops
 * between an input and an output. Depends on configuration, graph and memory.
 */
package org.jgan.engine.internal.penalty;
