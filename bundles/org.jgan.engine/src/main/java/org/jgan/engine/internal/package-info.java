/**
 * The engine's wiring into OSGi and its table of runs: {@code RunRegistry} (the {@code TrainingService}: start,
 * pause, resume, stop, set, and the analysis commands), {@code RunComponent} (one per factory configuration of
 * {@code org.jgan.run}), {@code RunEvents} (EventAdmin events) and {@code ComponentListing} (what {@code
 * gan:components} prints). Everything below is reached from here; nothing below depends on it.
 */
package org.jgan.engine.internal;
