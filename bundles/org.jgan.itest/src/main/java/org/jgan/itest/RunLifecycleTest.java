package org.jgan.itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.felix.service.command.CommandProcessor;
import org.jgan.api.NumericsBackend;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * Runs inside Felix through their life: progress as OSGi events and in the live view of gan:watch, several runs at
 * once, a stop while checkpoints are written, a plug-in bundle updated under a running run (by Bundle.update and
 * through FileInstall's watched folder), and a bundle that does not resolve dropped in while a run trains.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class RunLifecycleTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 120_000, filter = "(ready=true)")
    NumericsBackend backend;

    @InjectService(timeout = 30_000)
    TrainingService training;

    @InjectService(timeout = 30_000)
    CommandProcessor commands;

    /** A fresh folder per test run: a completed run's folder is never trained again. */
    private static final String STAMP = "lifecycle-" + System.currentTimeMillis();

    /** A small ring run: MLP 32x2, batch 64, no intermediate samples. */
    private static final String SMALL = "default architecture.hidden=32 batchSize=64 sampleInterval=0 ";

    private Path dir(String name) {
        return Path.of(context.getProperty("jgan.itest.dir"), STAMP, name);
    }

    @Test
    void progressIsPublishedAsEventsAndShownLiveByGanWatch() throws Exception {
        Path out = dir("events");
        List<Event> events = Collections.synchronizedList(new ArrayList<>());
        List<String> statusAtFinalEvent = Collections.synchronizedList(new ArrayList<>());
        Hashtable<String, Object> props = new Hashtable<>(Map.of(EventConstants.EVENT_TOPIC, "org/jgan/run/*",
                EventConstants.EVENT_FILTER, "(run=events)"));
        ServiceRegistration<EventHandler> reg = context.registerService(EventHandler.class, e -> {
            events.add(e);
            if (e.getTopic().equals("org/jgan/run/STATE") && "COMPLETED".equals(e.getProperty("state"))) {
                try {
                    statusAtFinalEvent.add(Files.readString(out.resolve("status.json")));
                } catch (IOException x) {
                    statusAtFinalEvent.add(x.toString());
                }
            }
        }, props);
        try {
            String started = run("gan:start " + SMALL + "name=events iterations=400 progressInterval=0.2 outputDir="
                    + out);
            assertTrue(started.startsWith("started events"), started);
            // the live view follows the run to its end, a line per interval
            String watched = run("gan:watch events interval=0.2");
            List<String> lines = watched.lines().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\d  events  .*")).toList();
            assertTrue(lines.size() >= 2, watched);
            assertTrue(lines.stream().anyMatch(l -> l.contains("RUNNING") && l.contains("it/s")
                    && l.contains("d_loss")), watched);
            assertTrue(lines.get(lines.size() - 1).contains("COMPLETED it 400/400"), watched);
            assertTrue(watched.contains("events COMPLETED; output: "), watched);

            await(() -> events.stream().anyMatch(e -> "COMPLETED".equals(e.getProperty("state"))), 10_000,
                    () -> "no final state event: " + events);
            List<Event> progress;
            synchronized (events) {
                progress = events.stream().filter(e -> e.getTopic().equals("org/jgan/run/PROGRESS")).toList();
            }
            assertFalse(progress.isEmpty(), "progress events");
            long previous = 0;
            for (Event e : progress) {
                long it = (Long) e.getProperty("iteration");
                assertTrue(it > previous, "iterations increase: " + progress);
                previous = it;
                assertEquals(400L, e.getProperty("iterations"));
                assertTrue(((Map<?, ?>) e.getProperty("losses")).containsKey("g_loss"), e.toString());
                assertTrue(e.getProperty("rate") instanceof Double && e.getProperty("eta") instanceof Double);
            }
            assertEquals(400L, progress.get(progress.size() - 1).getProperty("iteration"));
            Event last = events.get(events.size() - 1);
            assertEquals("org/jgan/run/STATE", last.getTopic());
            assertEquals("COMPLETED", last.getProperty("state"));
            assertTrue(((Map<?, ?>) last.getProperty("metrics")).containsKey("mixture.modes"), last.toString());
            assertEquals(List.of("RUNNING", "COMPLETED"), events.stream()
                    .filter(e -> e.getTopic().equals("org/jgan/run/STATE")).map(e -> e.getProperty("state")).toList());
            assertTrue(statusAtFinalEvent.get(0).contains("\"state\": \"COMPLETED\""), statusAtFinalEvent.toString());

            String noRun = run("gan:watch nothing-here");
            assertTrue(noRun.contains("unknown run 'nothing-here'"), noRun);
            String badInterval = run("gan:watch events interval=0");
            assertTrue(badInterval.contains("gan:watch: interval is '0'; expected seconds in [0.1, 3600]"), badInterval);
        } finally {
            reg.unregister();
        }
    }

    /**
     * Three runs with different seeds train at once; each gives exactly what it gives when trained alone (losses,
     * metrics and every checkpointed array): the runs share the CPU, not their state.
     */
    @Test
    void severalRunsAtOnceGiveWhatEachGivesAlone() throws Exception {
        List<String> names = List.of("par-1", "par-2", "par-3");
        for (int i = 0; i < names.size(); i++) {
            run("gan:start " + SMALL + "name=" + names.get(i) + " seed=" + (11 + i) + " iterations=150 outputDir="
                    + dir(names.get(i)));
        }
        await(() -> names.stream().allMatch(n -> state(n) == State.RUNNING || state(n) == State.COMPLETED), 60_000,
                () -> "not all running: " + training.runs());
        for (String n : names) {
            assertEquals(State.COMPLETED, awaitState(n, Set.of(State.COMPLETED, State.FAILED), 180_000).state);
        }
        for (int i = 0; i < names.size(); i++) {
            String alone = names.get(i) + "-alone";
            run("gan:start " + SMALL + "name=" + alone + " seed=" + (11 + i) + " iterations=150 outputDir=" + dir(alone));
            assertEquals(State.COMPLETED, awaitState(alone, Set.of(State.COMPLETED, State.FAILED), 180_000).state);
        }
        for (String n : names) {
            Path together = dir(n);
            Path alone = dir(n + "-alone");
            assertEquals(151, Files.readAllLines(together.resolve("losses.csv")).size());
            assertEquals(Files.readAllLines(alone.resolve("losses.csv")), Files.readAllLines(together.resolve("losses.csv")),
                    n + ": losses differ from the same run trained alone");
            assertEquals(scores(alone), scores(together), n + ": metrics");
            assertCheckpointsEqual(alone, together);
        }
        assertFalse(Files.readAllLines(dir("par-1").resolve("losses.csv")).get(1)
                .equals(Files.readAllLines(dir("par-2").resolve("losses.csv")).get(1)), "different seeds differ");
        // finished runs hold no arrays; gan:runs ends with the runtime's memory
        for (String n : names) {
            assertEquals(0, training.status(n).heldBytes, n + " finished but still holds arrays");
        }
        String listing = run("gan:runs");
        assertTrue(listing.lines().anyMatch(l -> l.matches("memory: resident [0-9.]+ [kMG]B, Java heap .* used of .*, "
                + "runs hold .* of ND4J arrays")), listing);
    }

    /**
     * A run writing a checkpoint at every iteration is stopped (so the stop meets a checkpoint write, or comes right
     * after one); the checkpoint on disk is complete, agrees with status.json, and a run resumed from it ends exactly
     * where an uninterrupted run of the same length ends.
     */
    @Test
    void aStopWhileCheckpointsAreWrittenLosesNothing() throws Exception {
        Path out = dir("stop");
        run("gan:start " + SMALL + "name=stop seed=5 checkpointInterval=1 iterations=1000000 outputDir=" + out);
        awaitState("stop", Set.of(State.RUNNING), 60_000);
        await(() -> training.status("stop").iteration >= 40, 60_000, () -> training.status("stop").summary);
        String stopped = run("gan:stop stop");
        assertTrue(stopped.contains("STOPPED"), stopped);
        RunStatusDTO s = training.status("stop");
        String status = Files.readString(out.resolve("status.json"));
        assertTrue(status.contains("\"state\": \"STOPPED\"") && status.contains("\"iteration\": " + s.iteration + ","),
                status + " vs " + s.summary);
        assertEquals(s.iteration, checkpointIteration(out), "the checkpoint holds the iteration the run stopped at");
        assertFalse(Files.exists(out.resolve("checkpoints/checkpoint.zip.tmp")), "no half-written checkpoint left");
        assertEquals(s.iteration + 1, Files.readAllLines(out.resolve("losses.csv")).size());

        long total = s.iteration + 30;
        run("gan:start " + SMALL + "name=stop-resumed seed=5 iterations=" + total + " outputDir=" + out);
        assertEquals(State.COMPLETED, awaitState("stop-resumed", Set.of(State.COMPLETED, State.FAILED), 120_000).state);
        Path straight = dir("stop-straight");
        run("gan:start " + SMALL + "name=stop-straight seed=5 iterations=" + total + " outputDir=" + straight);
        assertEquals(State.COMPLETED, awaitState("stop-straight", Set.of(State.COMPLETED, State.FAILED), 120_000).state);
        assertEquals(Files.readAllLines(straight.resolve("losses.csv")), Files.readAllLines(out.resolve("losses.csv")),
                "stopped and resumed, the run repeats and loses no iteration and trains as the uninterrupted one");
        assertCheckpointsEqual(straight, out);
    }

    /**
     * The example loss bundle is updated (Bundle.update with a rebuilt jar of a higher version) while a run trains
     * with its loss: the run rebinds to the new version and goes on from where it was, without a restart.
     */
    @Test
    void aRunRebindsWhenTheBundleOfItsLossIsUpdated() throws Exception {
        Path jar = Path.of(context.getProperty("jgan.example.jar"));
        assertTrue(Files.exists(jar), "example bundle not built: " + jar);
        Bundle b = context.installBundle(jar.toUri() + "#update-test", Files.newInputStream(jar));
        try {
            b.start();
            Version v1 = b.getVersion();
            await(() -> run("gan:components loss").contains("relativistic"), 30_000, () -> "relativistic not listed");
            Path out = dir("update");
            run("gan:start " + SMALL + "name=update loss=relativistic iterations=1000000 progressInterval=1 outputDir="
                    + out);
            awaitState("update", Set.of(State.RUNNING), 60_000);
            await(() -> training.status("update").iteration >= 20, 60_000, () -> training.status("update").summary);
            long before = training.status("update").iteration;

            Version v2 = new Version(v1.getMajor(), v1.getMinor(), v1.getMicro() + 1);
            b.update(new ByteArrayInputStream(withVersion(jar, v2)));
            assertEquals(v2, b.getVersion());
            String rebind = ",component.loss.relativistic,com.example.jgan.relativistic " + v1
                    + ",com.example.jgan.relativistic " + v2;
            Path history = out.resolve("history.csv");
            await(() -> lines(history).stream().anyMatch(l -> l.endsWith(rebind)), 30_000,
                    () -> "no rebind in " + lines(history));
            long at = Long.parseLong(lines(history).stream().filter(l -> l.endsWith(rebind)).findFirst().get()
                    .split(",")[0]);
            assertTrue(at >= before, "rebound at " + at + ", after " + before);
            await(() -> training.status("update").iteration > at + 20, 60_000, () -> training.status("update").summary);
            assertEquals(State.RUNNING, training.status("update").state);
            run("gan:stop update");
            // the stop flushes losses.csv and writes the checkpoint; read it once the run has stopped
            awaitState("update", Set.of(State.STOPPED), 60_000);
            // one row per iteration, in order: nothing repeated, nothing restarted from zero
            List<String> rows = lines(out.resolve("losses.csv"));
            for (int i = 1; i < rows.size(); i++) {
                assertEquals(Integer.toString(i), rows.get(i).split(",")[0], "row " + i);
            }
            assertEquals(training.status("update").iteration, rows.size() - 1);
        } finally {
            b.uninstall();
        }
    }

    /**
     * The watched folder, as users drive it: the example loss bundle's jar copied into FileInstall's folder is
     * installed, started and listed within seconds; a run trains with its loss; the jar replaced by one of a higher
     * version updates the bundle and the run rebinds to it; the jar deleted withdraws the loss and the run pauses
     * with its state saved; the jar copied back brings it back and the run goes on from where it was.
     */
    @Test
    void aJarDroppedIntoTheWatchedFolderIsLoadedUpdatedAndWithdrawnUnderARunningRun() throws Exception {
        Path jar = Path.of(context.getProperty("jgan.example.jar"));
        assertTrue(Files.exists(jar), "example bundle not built: " + jar);
        Path load = Path.of(context.getProperty("felix.fileinstall.dir"));
        Files.createDirectories(load);
        Path dropped = load.resolve("relativistic-loss.jar");
        Path out = dir("dropin");
        try {
            drop(Files.readAllBytes(jar), dropped);
            await(() -> run("gan:components loss").contains("relativistic"), 30_000,
                    () -> "the dropped jar's loss is not listed: " + run("gan:components loss"));
            Bundle b = java.util.Arrays.stream(context.getBundles())
                    .filter(x -> x.getSymbolicName().equals("com.example.jgan.relativistic")).findFirst().orElseThrow();
            assertEquals(Bundle.ACTIVE, b.getState());
            assertTrue(b.getLocation().contains("relativistic-loss.jar"), "installed by FileInstall: " + b.getLocation());
            Version v1 = b.getVersion();

            run("gan:start " + SMALL + "name=dropin loss=relativistic iterations=1000000 progressInterval=1 outputDir="
                    + out);
            awaitState("dropin", Set.of(State.RUNNING), 60_000);
            await(() -> training.status("dropin").iteration >= 20, 60_000, () -> training.status("dropin").summary);

            // replace the jar: FileInstall updates the bundle in place, the run rebinds
            Version v2 = new Version(v1.getMajor(), v1.getMinor(), v1.getMicro() + 1);
            drop(withVersion(jar, v2), dropped);
            String rebind = ",component.loss.relativistic,com.example.jgan.relativistic " + v1
                    + ",com.example.jgan.relativistic " + v2;
            Path history = out.resolve("history.csv");
            await(() -> lines(history).stream().anyMatch(l -> l.endsWith(rebind)), 30_000,
                    () -> "no rebind in " + lines(history));
            assertEquals(v2, b.getVersion(), "the same bundle, updated");
            long rebound = training.status("dropin").iteration;
            await(() -> training.status("dropin").iteration > rebound + 10, 60_000,
                    () -> training.status("dropin").summary);

            // delete the jar: the loss is withdrawn, the run pauses with a checkpoint and says what it waits for
            Files.delete(dropped);
            RunStatusDTO paused = awaitState("dropin", Set.of(State.PAUSED), 30_000);
            assertTrue(String.valueOf(paused.error).contains("waiting for loss 'relativistic'"), paused.error);
            assertEquals(Bundle.UNINSTALLED, b.getState());
            assertFalse(run("gan:components loss").contains("relativistic"));
            long pausedAt = paused.iteration;
            assertEquals(pausedAt, checkpointIteration(out), "the paused run's state is saved");
            Thread.sleep(1500);
            assertEquals(pausedAt, training.status("dropin").iteration, "no training while the loss is gone");

            // copy it back: the run resumes from where it paused
            drop(withVersion(jar, v2), dropped);
            awaitState("dropin", Set.of(State.RUNNING), 30_000);
            await(() -> training.status("dropin").iteration > pausedAt + 10, 60_000,
                    () -> training.status("dropin").summary);
            run("gan:stop dropin");
            awaitState("dropin", Set.of(State.STOPPED), 60_000);
            List<String> rows = lines(out.resolve("losses.csv"));
            for (int i = 1; i < rows.size(); i++) {
                assertEquals(Integer.toString(i), rows.get(i).split(",")[0], "row " + i);
            }
            assertEquals(training.status("dropin").iteration, rows.size() - 1);
        } finally {
            Files.deleteIfExists(dropped);
            await(() -> java.util.Arrays.stream(context.getBundles())
                    .noneMatch(x -> x.getSymbolicName().equals("com.example.jgan.relativistic")), 30_000,
                    () -> "FileInstall did not uninstall the deleted jar's bundle");
        }
    }

    /** Writes the jar next to the folder and moves it in, so FileInstall never sees half a file. */
    private static void drop(byte[] jar, Path target) throws IOException {
        Path tmp = target.getParent().resolveSibling(target.getFileName() + ".part");
        Files.write(tmp, jar);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A bundle whose import nothing provides is installed while a run trains: starting it fails, gan:bundles names
     * it and the missing package, and the run trains on undisturbed.
     */
    @Test
    void aBundleThatDoesNotResolveIsReportedAndHarmsNothing() throws Exception {
        Path out = dir("broken");
        run("gan:start " + SMALL + "name=broken iterations=1000000 progressInterval=1 outputDir=" + out);
        awaitState("broken", Set.of(State.RUNNING), 60_000);
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "com.example.jgan.broken");
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Import-Package", "com.example.jgan.nowhere;version=\"[1.0,2)\"");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new JarOutputStream(bytes, m).close();
        Bundle broken = context.installBundle("test:broken", new ByteArrayInputStream(bytes.toByteArray()));
        try {
            BundleException e = assertThrows(BundleException.class, broken::start);
            assertTrue(e.getMessage().contains("com.example.jgan.nowhere"), e.getMessage());
            String report = run("gan:bundles");
            assertTrue(report.contains("INSTALLED com.example.jgan.broken 1.0.0"), report);
            assertTrue(report.contains("does not resolve: nothing provides package com.example.jgan.nowhere"), report);
            assertTrue(report.contains("location: test:broken"), report);
            long at = training.status("broken").iteration;
            await(() -> training.status("broken").iteration > at + 20, 60_000, () -> training.status("broken").summary);
            assertEquals(State.RUNNING, training.status("broken").state);
            assertTrue(run("gan:components loss").contains("nonsaturating"), "components unaffected");
        } finally {
            broken.uninstall();
            run("gan:stop broken");
        }
        assertFalse(run("gan:bundles").contains("com.example.jgan.broken"), "gone once uninstalled");
    }

    /** The jar with another Bundle-Version in its manifest. */
    private static byte[] withVersion(Path jar, Version version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest m = new Manifest(in.getManifest());
            m.getMainAttributes().putValue("Bundle-Version", version.toString());
            try (JarOutputStream out = new JarOutputStream(bytes, m)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return bytes.toByteArray();
    }

    private static long checkpointIteration(Path out) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(out.resolve("checkpoints/checkpoint.zip")))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals("counters")) {
                    return new DataInputStream(zip).readLong();
                }
            }
        }
        throw new AssertionError("no counters in the checkpoint of " + out);
    }

    /**
     * Every entry of the two runs' checkpoints (counters, parameters, optimizer state) is byte for byte equal; the
     * recorded configurations (whose run names and folders may differ) are present in both.
     */
    private static void assertCheckpointsEqual(Path expected, Path actual) throws IOException {
        Map<String, byte[]> a = entries(expected.resolve("checkpoints/checkpoint.zip"));
        Map<String, byte[]> b = entries(actual.resolve("checkpoints/checkpoint.zip"));
        assertTrue(a.remove("config.json") != null && b.remove("config.json") != null, "recorded configurations");
        assertEquals(a.keySet(), b.keySet());
        assertTrue(a.size() > 5, a.keySet().toString());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), actual + ": checkpoint entry " + k);
        }
    }

    private static Map<String, byte[]> entries(Path zipFile) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (InputStream is = Files.newInputStream(zipFile); ZipInputStream zip = new ZipInputStream(is)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                m.put(e.getName(), zip.readAllBytes());
            }
        }
        return m;
    }

    private static String scores(Path out) throws IOException {
        String json = Files.readString(out.resolve("metrics.json"));
        return json.substring(json.indexOf("\"scores\""));
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of(e.toString());
        }
    }

    private State state(String run) {
        try {
            return training.status(run).state;
        } catch (IllegalArgumentException notYet) {
            return null;
        }
    }

    private static void await(BooleanSupplier condition, long millis, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within " + millis + " ms: " + what.get());
            }
            Thread.sleep(50);
        }
    }

    private RunStatusDTO awaitState(String run, Set<State> states, long millis) throws InterruptedException {
        await(() -> states.contains(state(run)), millis, () -> "run " + run + " did not reach " + states + "; last: "
                + (state(run) == null ? "unknown" : training.status(run).summary));
        return training.status(run);
    }

    private String run(String command) {
        return Gogo.run(commands, command);
    }
}
