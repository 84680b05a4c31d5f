/**
 * Sweeps: {@code SweepSpec} (the specification file, with {@code Axis} for its grid, {@code TableLayout} and
 * {@code CrossTest}; {@code SpecJson} reads its values), {@code SweepRun} and {@code CrossPair} (the grid expanded
 * seed by seed into named runs, and the pairs to cross-test), {@code Sweep} (validation, status, table),
 * {@code SweepLaunch} with {@code LocalLauncher} and {@code SlurmLauncher} (who trains the runs), {@code SweepTask}
 * (one run or cross-test, in the runtime a launcher started), {@code SweepFolder}, {@code RunState},
 * {@code SweepTable} and {@code CrossTestTable} (what the folders say), {@code SweepCommands} (gan:sweep). Exports
 * nothing.
 */
package org.jgan.sweep.internal;
