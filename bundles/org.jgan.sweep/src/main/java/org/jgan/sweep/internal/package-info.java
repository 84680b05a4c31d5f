/**
 * Sweeps: {@code SweepSpec} (the specification file), {@code SweepRun} (the grid expanded seed by seed into named
 * runs), {@code Sweep} (validation, status, table), {@code LocalLauncher} and {@code SlurmLauncher} (who trains the
 * runs), {@code SweepTask} (one run, in the runtime a launcher started), {@code RunState} and {@code SweepTable}
 * (what the run folders say), {@code SweepCommands} (gan:sweep). Exports nothing.
 */
package org.jgan.sweep.internal;
