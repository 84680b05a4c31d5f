/**
 * A training run: {@code TrainingRun} (the loop on its own thread: schedule phases, progress, samples, metrics,
 * checkpoints, live changes, rebinds, pause and stop), {@code Progress} and {@code ProgressLine} (rate, ETA, the
 * printed line) and {@code RunListener} (what the registry hears). Uses every room above.
 */
package org.jgan.engine.internal.run;
