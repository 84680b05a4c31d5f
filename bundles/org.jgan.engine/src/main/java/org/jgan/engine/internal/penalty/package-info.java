/**
 * Input-gradient penalties (R1, R2, WGAN-GP, DRAGAN, Roth et al. 2017) with exact parameter gradients: {@code
 * InputGradientPenalty} evaluates a penalty and its gradient with first-order passes through a forward-mode tangent
 * of the discriminator ({@code Tangents}), or a central difference with its kinks held where an op has no tangent
 * rule. Depends on configuration, graph and memory.
 */
package org.jgan.engine.internal.penalty;
