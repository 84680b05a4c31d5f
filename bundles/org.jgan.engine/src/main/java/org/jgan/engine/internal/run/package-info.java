/**
 * A training run: {@code TrainingRun} (its face to other threads and its life from start to final state),
 * {@code TrainingLoop} (the training thread: the schedule's phases, samples, metrics, checkpoints, live changes,
 * rebinds, pause and stop at iteration boundaries), {@code RunControl} (state, requests and status under one lock),
 * {@code LiveSpec} (the configuration and a change waiting for the next boundary), {@code Resumption} (what a resumed
 * run trains with), {@code ComponentWatch} (components gone or replaced), {@code RunRecords} (the files a run writes),
 * {@code Progress} and {@code ProgressLine} (rate, ETA, the printed line) and {@code RunListener} (what the registry
 * hears). Uses every room above.
 */
package org.jgan.engine.internal.run;
