/**
 * The engine's wiring into OSGi and its table of runs: {@code RunRegistry} (the {@code TrainingService}: start,
 * pause, resume, stop, set, and the analysis commands), {@code RunTable} (the runs by name, reserved names, changes
 * handed over), {@code StoredConfigurations} (run configurations written to ConfigurationAdmin), {@code RunComponent}
 * (one per factory configuration of {@code org.jgan.run}), {@code Provenance} (what config.json records besides the
 * settings), {@code RunEvents} (EventAdmin events) and {@code ComponentListing} (what {@code gan:components} prints).
 * Everything below is reached from here; nothing below depends on it.
 */
package org.jgan.engine.internal;
