package org.jgan.engine.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jgan.api.NumericsBackend;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.Confinement;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.engine.internal.run.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunRegistryTest {

    private static void setBackend(RunRegistry r, NumericsBackend b) throws Exception {
        Field f = RunRegistry.class.getDeclaredField("backend");
        f.setAccessible(true);
        f.set(r, b);
    }

    @Test
    void startingWithoutUsableNd4jSaysWhy() throws Exception {
        RunRegistry r = new RunRegistry();
        TestCatalog.fill(r.catalog());
        // an invalid setting is refused first, without waiting for ND4J (a headless run exits at once)
        assertEquals("setting: option 'lrD' has value 'NaN'; expected a number in [1.0E-12, 10]",
                assertThrows(IllegalArgumentException.class, () -> r.start(null, Map.of("lrD", "NaN"))).getMessage());
        assertEquals("the ND4J numerics backend is not available yet (bundle org.jgan.nd4j not started or still "
                + "loading); expected a NumericsBackend service",
                assertThrows(IllegalStateException.class, () -> r.start(null, Map.of())).getMessage());
        setBackend(r, new NumericsBackend() {
            public String description() {
                return "unavailable";
            }

            public String failure() {
                return "ND4J failed to load: java.lang.UnsatisfiedLinkError: no jnind4jcpu";
            }
        });
        assertEquals("ND4J failed to load: java.lang.UnsatisfiedLinkError: no jnind4jcpu; expected ND4J natives for "
                + "this CPU in bundle org.jgan.nd4j",
                assertThrows(IllegalStateException.class, () -> r.start(null, Map.of())).getMessage());
    }

    @Test
    void unknownRunsAreNamed() {
        RunRegistry r = new RunRegistry();
        assertEquals("unknown run 'x'; runs: none",
                assertThrows(IllegalArgumentException.class, () -> r.status("x")).getMessage());
    }

    private static final NumericsBackend READY = new NumericsBackend() {
        public String description() {
            return "test";
        }

        public String failure() {
            return null;
        }
    };

    /**
     * A ConfigurationAdmin that stores configurations and delivers no events (the test delivers them, in the order
     * it chooses); {@code update} waits for {@code gate} so that two requests can meet inside it.
     */
    private static final class StoringAdmin {
        final Map<String, Dictionary<String, Object>> stored = Collections.synchronizedMap(new TreeMap<>());
        final List<Dictionary<String, Object>> updates = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch gate = new CountDownLatch(0);

        ConfigurationAdmin admin() {
            return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ConfigurationAdmin.class}, (p, m, a) -> switch (m.getName()) {
                        case "getFactoryConfiguration" -> configuration(a[0] + "~" + a[1]);
                        case "getConfiguration" -> configuration((String) a[0]);
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }

        private Configuration configuration(String pid) {
            return (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {Configuration.class}, (p, m, a) -> switch (m.getName()) {
                        case "getProperties" -> stored.containsKey(pid) ? copy(stored.get(pid)) : null;
                        case "update" -> {
                            @SuppressWarnings("unchecked")
                            Dictionary<String, Object> d = copy((Dictionary<String, Object>) a[0]);
                            entered.countDown();
                            if (!gate.await(30, TimeUnit.SECONDS)) {
                                throw new IllegalStateException("the test never opened the gate");
                            }
                            stored.put(pid, d);
                            updates.add(d);
                            yield null;
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }

        static Dictionary<String, Object> copy(Dictionary<String, Object> d) {
            Hashtable<String, Object> out = new Hashtable<>();
            for (String k : Collections.list(d.keys())) {
                out.put(k, d.get(k));
            }
            return out;
        }
    }

    private static RunRegistry registry(StoringAdmin admin) throws Exception {
        RunRegistry r = new RunRegistry();
        TestCatalog.fill(r.catalog());
        setBackend(r, READY);
        Field f = RunRegistry.class.getDeclaredField("configurationAdmin");
        f.setAccessible(true);
        f.set(r, admin.admin());
        // the framework as a run's provenance sees it: no bundles but the system bundle
        org.osgi.framework.Bundle system = (org.osgi.framework.Bundle) Proxy.newProxyInstance(
                RunRegistryTest.class.getClassLoader(), new Class<?>[] {org.osgi.framework.Bundle.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getSymbolicName" -> "test.framework";
                    case "getVersion" -> org.osgi.framework.Version.emptyVersion;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        Field c = RunRegistry.class.getDeclaredField("context");
        c.setAccessible(true);
        c.set(r, Proxy.newProxyInstance(RunRegistryTest.class.getClassLoader(),
                new Class<?>[] {org.osgi.framework.BundleContext.class}, (p, m, a) -> switch (m.getName()) {
                    case "getBundles" -> new org.osgi.framework.Bundle[0];
                    case "getBundle" -> system;
                    default -> throw new UnsupportedOperationException(m.getName());
                }));
        return r;
    }

    /** Two starts of one name at once: the second is refused while the first stores its configuration. */
    @Test
    void concurrentStartsOfOneNameLetOneThrough() throws Exception {
        StoringAdmin admin = new StoringAdmin();
        admin.gate = new CountDownLatch(1);
        RunRegistry r = registry(admin);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> first = pool.submit(() -> r.start(null, Map.of("name", "twin", "lrD", "1e-4")));
            assertEquals(true, admin.entered.await(30, TimeUnit.SECONDS), "the first start never stored");
            IllegalArgumentException second = assertThrows(IllegalArgumentException.class,
                    () -> r.start(null, Map.of("name", "twin", "lrD", "5e-4")));
            assertEquals("a run named 'twin' is being started by another request; choose another name=",
                    second.getMessage());
            admin.gate.countDown();
            first.get(60, TimeUnit.SECONDS);
            assertEquals(1, admin.updates.size(), "configurations stored: " + admin.updates);
            assertEquals("1e-4", admin.updates.get(0).get("lrD"));
        } finally {
            admin.gate.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * set() hands a change to its run once: the configuration event its update causes, even when it arrives after
     * a later set(), neither applies it again nor undoes the later change; an event from elsewhere still does.
     */
    @Test
    void aLateEventOfAnEarlierSetDoesNotUndoALaterOne(@TempDir Path dir) throws Exception {
        StoringAdmin admin = new StoringAdmin();
        RunRegistry r = registry(admin);
        String pid = launchLongRun(r, admin, "late", dir);
        try {
            r.set("late", Map.of("lrD", "2e-4"));
            r.set("late", Map.of("lrD", "3e-4"));
            assertEquals(2, admin.updates.size());
            // ConfigAdmin's events of both updates, the first one late
            for (Dictionary<String, Object> d : List.copyOf(admin.updates)) {
                Map<String, Object> event = new TreeMap<>(Map.of("service.pid", pid));
                for (String k : Collections.list(d.keys())) {
                    event.put(k, d.get(k));
                }
                r.reconfigure(pid, event, READY);
                assertEquals("3.0E-4", lrD(r, "late"), "after the event of lrD=" + d.get("lrD"));
            }
            // an edit from elsewhere is still handed over
            Map<String, Object> edit = new TreeMap<>(Map.of("service.pid", pid));
            Dictionary<String, Object> last = admin.updates.get(1);
            for (String k : Collections.list(last.keys())) {
                edit.put(k, last.get(k));
            }
            edit.put("lrD", "4e-4");
            r.reconfigure(pid, edit, READY);
            assertEquals("4.0E-4", lrD(r, "late"));
        } finally {
            r.halt(pid);
        }
    }

    /** pause and resume answer the state they caused, not the one the run was in when asked. */
    @Test
    void pauseAndResumeAnswerTheStateTheyCaused(@TempDir Path dir) throws Exception {
        StoringAdmin admin = new StoringAdmin();
        RunRegistry r = registry(admin);
        String pid = launchLongRun(r, admin, "answer", dir);
        try {
            Waits.until(() -> r.status("answer").iteration >= 3, 60_000, () -> "not training: " + r.status("answer"));
            RunStatusDTO paused = r.pause("answer");
            assertEquals(RunStatusDTO.State.PAUSED, paused.state, paused.summary);
            long at = paused.iteration;
            assertEquals(RunStatusDTO.State.RUNNING, r.resume("answer").state);
            Waits.until(() -> r.status("answer").iteration > at, 60_000, () -> "not going on: " + r.status("answer"));
        } finally {
            r.halt(pid);
        }
    }

    /**
     * A run's ND4J work stays on its own thread (ND4J's CUDA backend binds threads to devices): while it trains,
     * other threads (as the shell, the dashboard's HTTP threads and the event threads do) ask for its status, the
     * run list and the memory figures, pause it, evaluate its checkpoint and resume it, and none of that enters the
     * run's model from their threads.
     */
    @Test
    void aRunsNd4jWorkStaysOnItsOwnThreadWhileOtherThreadsAskAndSteer(@TempDir Path dir) throws Exception {
        System.setProperty("jgan.checkConfinement", "true");
        int before = Confinement.violations().size();
        StoringAdmin admin = new StoringAdmin();
        RunRegistry r = registry(admin);
        String pid = launchLongRun(r, admin, "confined", dir);
        ExecutorService others = Executors.newFixedThreadPool(3);
        try {
            Waits.until(() -> r.status("confined").iteration >= 3, 60_000, () -> "not training: " + r.status("confined"));
            List<Future<?>> asked = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                asked.add(others.submit(() -> {
                    for (int k = 0; k < 20; k++) {
                        r.status("confined");
                        r.runs();
                        r.memory();
                        Thread.sleep(10);
                    }
                    return null;
                }));
            }
            RunStatusDTO paused = r.pause("confined");
            assertEquals(RunStatusDTO.State.PAUSED, paused.state, paused.summary);
            assertTrue(r.evaluate("confined", Map.of()).contains("mixture"), "an evaluation of the checkpoint");
            long at = paused.iteration;
            r.resume("confined");
            Waits.until(() -> r.status("confined").iteration > at, 60_000, () -> "not going on: " + r.status("confined"));
            for (Future<?> f : asked) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            others.shutdownNow();
            r.halt(pid);
            System.clearProperty("jgan.checkConfinement");
        }
        List<String> all = Confinement.violations();
        assertEquals(List.of(), all.subList(before, all.size()), "calls into the run's model from other threads");
    }

    /** The check itself: a call into a model from a thread other than the one that built it is recorded. */
    @Test
    void aCallIntoAModelFromAnotherThreadIsRecorded() throws Exception {
        System.setProperty("jgan.checkConfinement", "true");
        GanModel m;
        try {
            RunSpec spec = RunSpec.parse(Map.of("dataset", "ring8", "architecture.hidden", "8", "metrics", "none"),
                    TestCatalog.create(), "intruded");
            m = new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
        } finally {
            System.clearProperty("jgan.checkConfinement");
        }
        try {
            Thread intruder = new Thread(m::heldBytes, "intruder");
            intruder.start();
            intruder.join(60_000);
            assertTrue(Confinement.violations().contains("GanModel.heldBytes on thread 'intruder' (the model's thread: '"
                    + Thread.currentThread().getName() + "')"), Confinement.violations().toString());
        } finally {
            m.close();
        }
    }

    /** A run folder of an earlier runtime is listed with its recorded state; this runtime's runs are not. */
    @Test
    void recordedRunsAreTheFoldersOfRunsThatThisRuntimeDoesNotTrain() throws Exception {
        RunRegistry r = registry(new StoringAdmin());
        Path root = Path.of("runs");
        boolean existed = Files.exists(root);
        Path earlier = root.resolve("registry-test-earlier");
        try {
            Files.createDirectories(earlier);
            Files.writeString(earlier.resolve("status.json"), "{\"state\": \"COMPLETED\", \"iteration\": 9, "
                    + "\"iterations\": 9}");
            RunStatusDTO found = r.recordedRuns().stream().filter(s -> s.id.equals("registry-test-earlier"))
                    .findFirst().orElseThrow(() -> new AssertionError("not listed: " + r.recordedRuns()));
            assertEquals(RunStatusDTO.State.COMPLETED, found.state);
            assertTrue(found.summary.startsWith("COMPLETED it 9/9 (100%)"), found.summary);
        } finally {
            Files.deleteIfExists(earlier.resolve("status.json"));
            Files.deleteIfExists(earlier);
            if (!existed) {
                Files.deleteIfExists(root);
            }
        }
    }

    /**
     * A run whose folder says it completed is not trained again, and its status is where it completed: a run that
     * stopped early at 15 of a budget of 1,000,000 reads "COMPLETED it 15/15", not its configured length.
     */
    @Test
    void aRunFoundCompletedIsShownWhereItCompleted(@TempDir Path dir) throws Exception {
        RunRegistry r = registry(new StoringAdmin());
        Files.createDirectories(dir.resolve("stopped"));
        Files.writeString(dir.resolve("stopped").resolve("status.json"), "{\"state\": \"COMPLETED\", \"iteration\": 15, "
                + "\"iterations\": 15}");
        launchLongRun(r, new StoringAdmin(), "stopped", dir);
        RunStatusDTO s = r.status("stopped");
        assertEquals(RunStatusDTO.State.COMPLETED, s.state, s.summary);
        assertEquals(15, s.iteration, s.summary);
        assertTrue(s.summary.startsWith("COMPLETED it 15/15 (100%)"), s.summary);
        assertEquals(1, Files.list(dir.resolve("stopped")).count(), "nothing trained: only status.json");
    }

    /** Stores and launches a small run of a million iterations, as ConfigAdmin would; returns its pid. */
    private static String launchLongRun(RunRegistry r, StoringAdmin admin, String name, Path dir) {
        String pid = org.jgan.api.TrainingService.RUN_FACTORY_PID + "~" + name;
        Map<String, Object> props = new TreeMap<>(Map.of("name", name, "iterations", "1000000",
                "architecture.hidden", "8", "metrics", "none", "sampleInterval", "0", "checkpointInterval", "0",
                "outputDir", dir.resolve(name).toString()));
        admin.stored.put(pid, new Hashtable<>(props));
        props.put("service.pid", pid);
        r.launch(pid, props, READY);
        return pid;
    }

    private static String lrD(RunRegistry r, String run) throws Exception {
        java.lang.reflect.Method running = RunRegistry.class.getDeclaredMethod("running", String.class);
        running.setAccessible(true);
        return ((TrainingRun) running.invoke(r, run)).latestSpec().resolved().get("lrD");
    }
}
