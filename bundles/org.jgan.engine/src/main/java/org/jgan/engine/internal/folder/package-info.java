/**
 * The run folder, the only place that knows its layout: {@code RunFolder} names every path and reads a finished
 * run's configuration back; {@code Checkpoint} is the checkpoint codec (format version, old formats read); {@code
 * Json}, {@code CsvLog}, {@code AtomicFile} (write-then-rename, space reserved) and {@code RunLock} (one trainer per
 * folder) write the rest. Depends on configuration, the catalog and memory.
 */
package org.jgan.engine.internal.folder;
