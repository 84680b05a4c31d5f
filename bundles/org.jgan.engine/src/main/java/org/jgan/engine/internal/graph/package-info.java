/**
 * What networks are built on: {@code ParameterStore} (every parameter and state buffer of a run, created once by
 * name and seed), {@code GraphScope} (a network's view of the store inside one SameDiff graph, the SPI's {@code
 * NetworkScope}), {@code Backprop} (outputs and gradients of a graph in one pass) and {@code Seeds} (the run's keyed
 * random streams). Depends on memory only.
 */
package org.jgan.engine.internal.graph;
