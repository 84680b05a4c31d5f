package org.jgan.nd4j.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;
import org.deeplearning4j.config.DL4JClassLoading;
import org.jgan.api.NumericsBackend;
import org.nd4j.imports.converters.DifferentialFunctionClassHolder;
import org.nd4j.common.config.ND4JClassLoading;
import org.nd4j.linalg.factory.Nd4j;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.BundleWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads ND4J inside OSGi. ND4JClassLoading and DL4JClassLoading capture the thread context class loader in a
 * static initialiser and use it for ServiceLoader lookups of the backend; inside a framework that loader cannot see
 * the backend and Nd4j stays broken until a refresh. So this bundle's own loader is installed first, the backend is
 * touched eagerly on a background thread, and only then is {@link NumericsBackend} registered with
 * {@code ready=true}. Consumers reference that service, so nothing touches ND4J before it is ready. While active it
 * also keeps SameDiff's debugging lines off standard output ({@link QuietConsole}).
 */
public final class Nd4jActivator implements BundleActivator {

    private static final Logger LOG = LoggerFactory.getLogger(Nd4jActivator.class);

    /** SameDiff's table of ND4J's own op descriptors, parsed in its class initialiser. */
    static final String ND4J_OP_DESCRIPTORS = "org.nd4j.ir.OpDescriptorHolder";

    /**
     * How long the loader waits for the op descriptors after the native libraries (done long before, normally) before
     * it says it is still waiting.
     */
    private static final long DESCRIPTORS_WAIT_MS = 10_000;

    /**
     * The system property that runtime/src/main/sh/lay-out.sh sets for the short runs whose classes it archives
     * ({@code -XX:ArchiveClassesAtExit}): with {@link #LINK_LIST} the loader then links the classes the first run left
     * unlinked, ND4J's JNI binding classes among them ({@link #linkListed}).
     */
    static final String ARCHIVING = "jgan.cds.archiving";

    /**
     * In the archiving run ({@link #ARCHIVING}): a file of class names, one a line (binary or internal form), that an
     * earlier run of the same start loaded without linking; the loader links them ({@link #linkListed}) before it
     * offers ND4J.
     */
    static final String LINK_LIST = "jgan.cds.link";

    private volatile ServiceRegistration<NumericsBackend> registration;
    private volatile Thread loader;
    private volatile Runnable restoreConsole = () -> { };

    @Override
    public void start(BundleContext context) {
        restoreConsole = QuietConsole.install();
        loader = new Thread(() -> load(context), "jgan-nd4j-loader");
        loader.setDaemon(true);
        loader.start();
    }

    private void load(BundleContext context) {
        Hashtable<String, Object> props = new Hashtable<>();
        NumericsBackend backend;
        NativeVariant variant = null;
        BackendChoice choice = null;
        String refusal = null;
        try {
            variant = NativeVariant.choose(context.getProperty(NativeVariant.OVERRIDE),
                    NativeVariant.cpuFlags(Path.of("/proc/cpuinfo")));
            choice = BackendChoice.choose(context.getProperty(BackendChoice.OVERRIDE),
                    BackendLoader.carriesCuda(Nd4jActivator.class.getClassLoader()), () -> GpuProbe.nvidiaSmi(10));
        } catch (IllegalArgumentException refused) {
            // an invalid setting, or a backend forced where it cannot run: one line (the trace under jgan.debug)
            refusal = String.valueOf(refused.getMessage());
            LOG.error(refusal, Boolean.getBoolean("jgan.debug") ? refused : null);
        }
        if (choice == null) {
            backend = new Backend("unavailable", refusal);
            props.put(NumericsBackend.READY, Boolean.FALSE);
        } else {
            try {
                backend = new Backend(loadNd4j(variant, choice), null);
                props.put(NumericsBackend.READY, Boolean.TRUE);
                if (choice.backend() == BackendChoice.Backend.CPU) {
                    loadOneDnnBinding();
                }
            } catch (Throwable t) {
                String why = "ND4J failed to load: " + t;
                if (choice.backend() == BackendChoice.Backend.CUDA) {
                    why = "ND4J's CUDA backend failed to load (" + choice.reason() + "): " + rootCause(t)
                            + "; expected a working NVIDIA driver for CUDA 11.6 (docs/gpu.md), or JGAN_BACKEND=cpu";
                }
                LOG.error(why, t);
                backend = new Backend("unavailable", why);
                props.put(NumericsBackend.READY, Boolean.FALSE);
            }
        }
        linkListedForArchive(context);
        try {
            registration = context.registerService(NumericsBackend.class, backend, props);
        } catch (IllegalStateException stoppedMeanwhile) {
            LOG.debug("bundle stopped before ND4J finished loading");
            return;
        }
        if (Boolean.TRUE.equals(props.get(NumericsBackend.READY))) {
            warmOpRegistry();
        }
    }

    /**
     * In the archiving run ({@link #ARCHIVING}, {@link #LINK_LIST}): links the listed classes through this bundle's
     * loader or another bundle's ({@link #linkListed}). Called before ND4J is offered, so that the run, which waits for
     * ND4J, cannot end the JVM (and have it write the archive) while classes are still being linked; linking loads
     * and verifies classes without initialising them, so it needs nothing of ND4J.
     */
    private static void linkListedForArchive(BundleContext context) {
        String list = context.getProperty(LINK_LIST);
        if (!Boolean.getBoolean(ARCHIVING) || list == null) {
            return;
        }
        try {
            List<ClassLoader> loaders = new ArrayList<>();
            loaders.add(Nd4jActivator.class.getClassLoader());
            for (Bundle b : context.getBundles()) {
                BundleWiring wiring = b.adapt(BundleWiring.class);
                if (wiring != null && wiring.getClassLoader() != null) {
                    loaders.add(wiring.getClassLoader());
                }
            }
            long t0 = System.nanoTime();
            List<String> names = Files.readAllLines(Path.of(list));
            int linked = linkListed(names, loaders);
            LOG.info("linked {} of {} classes listed in {} for the class-data sharing archive in {} ms", linked,
                    names.size(), list, (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            // the archive holds fewer classes
            LOG.warn("classes of {} not linked for the class-data sharing archive: {}", list, e.toString());
        }
    }

    /**
     * Loads and links each class of {@code names} through the first of {@code loaders} that finds it, without
     * initialising it (in the build's archiving run: JDK 17's dynamic archive leaves out a class that a framework's
     * class loader loaded and nothing linked, "Skipping ...: Not linked" in {@code -Xlog:cds}, so each start parsed
     * it again: about 850 classes of ND4J's shaded Jackson and protobuf, oneDNN's binding, Gson and others, most of them
     * on the way to the first iteration, and ND4J's 549 JNI binding classes, which JavaCPP's {@code JNI_OnLoad} loads
     * all of while a run calls few). Names in internal form ({@code a/b/C}) are taken as binary names; blank
     * lines and names no loader finds or can link are skipped.
     *
     * @return the number of classes linked
     */
    static int linkListed(List<String> names, List<ClassLoader> loaders) {
        int linked = 0;
        for (String line : names) {
            String name = line.strip().replace('/', '.');
            if (name.isEmpty()) {
                continue;
            }
            for (ClassLoader loader : loaders) {
                try {
                    // (reflection on a class's methods links it without initialising it)
                    Class.forName(name, false, loader).getDeclaredMethods();
                    linked++;
                    break;
                } catch (ClassNotFoundException | LinkageError notHere) {
                    // the next loader
                }
            }
        }
        return linked;
    }

    /**
     * Loads oneDNN's own JavaCPP binding ({@code org.bytedeco.dnnl}, which the engine's convolution and matrix product
     * kernels call) here, before ND4J is offered, so that no library loads while a run uses JavaCPP. A library's
     * {@code JNI_OnLoad} registers the sizes and member offsets of its classes in JavaCPP's
     * {@code Loader.memberOffsets}, a {@code WeakHashMap} that {@code Pointer.sizeof()} and {@code asByteBuffer()}
     * read without a lock; with the binding loaded on a thread of its own beside a starting run, two starts in about
     * 250 died with SIGSEGV in {@code Pointer.asDirectBuffer()} as the run built its optimizers (docs/architectures.md,
     * "one native library load at a time"). About 0.1 s here; a failure is logged at debug level, and the engine then
     * runs its products through libnd4j and logs its own warning.
     */
    private static void loadOneDnnBinding() {
        long t0 = System.nanoTime();
        try {
            Loader.load(dnnl.class);
            LOG.debug("oneDNN's binding loaded in {} ms", (System.nanoTime() - t0) / 1_000_000);
        } catch (Throwable t) {
            LOG.debug("oneDNN's binding did not load: {}", t.toString());
        }
    }

    /**
     * Builds SameDiff's registry of op classes (every op class loaded and instantiated, about 0.7 s) on this thread
     * while the framework starts the bundles and components that will use ND4J, instead of in the first run's first
     * graph. A run that gets there first waits for this class initialisation instead of repeating it.
     */
    private static void warmOpRegistry() {
        long t0 = System.nanoTime();
        try {
            DifferentialFunctionClassHolder.getInstance();
            LOG.debug("SameDiff op registry built in {} ms", (System.nanoTime() - t0) / 1_000_000);
        } catch (Throwable t) {
            // the first graph will fail on the same class initialisation with a bare NoClassDefFoundError
            LOG.warn("SameDiff's op registry failed to build: {}", t.toString(), t);
        }
    }

    /**
     * Prepares SameDiff's two op descriptor tables on a thread of its own while this thread loads the native
     * libraries; neither needs the other or ND4J's native side, and both were on the way to the first iteration (the
     * first gradient graph clones its graph through the op registry, which reads the first, and every custom op it
     * clones reads the second). Both are installed from this bundle's binary forms instead of parsed from protobuf's
     * text format; should that fail, ND4J parses the text as before:
     * <ul>
     * <li>the TensorFlow op descriptors of the op registry ({@link TensorflowOpDescriptors});</li>
     * <li>ND4J's own op descriptors ({@code OpDescriptorHolder}, {@link Nd4jOpDescriptors}), which are installed
     * while the holder's class initialises; {@link #load} waits for this thread before it offers ND4J to the bundles,
     * so that nothing reads the holder before.</li>
     * </ul>
     */
    private static Thread prepareOpDescriptorsAside(ClassLoader own) {
        Thread preparer = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                boolean installed = TensorflowOpDescriptors.install(Nd4jActivator.class.getClassLoader());
                LOG.debug("TensorFlow op descriptors {} in {} ms", installed ? "installed" : "not installed",
                        (System.nanoTime() - t0) / 1_000_000);
            } catch (Exception | LinkageError e) {
                LOG.warn("TensorFlow op descriptors not installed ({}); SameDiff parses its ops.proto instead",
                        e.toString());
            }
            long t1 = System.nanoTime();
            boolean installed = false;
            try {
                installed = Nd4jOpDescriptors.install(Nd4jActivator.class.getClassLoader());
            } catch (Exception | LinkageError e) {
                LOG.warn("ND4J op descriptors not installed ({}); ND4J parses its nd4j-op-def.pbtxt instead",
                        e.toString());
            }
            try {
                // (where they were not installed: ND4J's parse of its text, here rather than in the first graph)
                Class.forName(ND4J_OP_DESCRIPTORS, true, own);
                LOG.debug("ND4J op descriptors {} in {} ms", installed ? "installed" : "parsed",
                        (System.nanoTime() - t1) / 1_000_000);
            } catch (ClassNotFoundException | LinkageError e) {
                // a failed class initialisation is not retried: the first graph that clones a custom op gets a bare
                // NoClassDefFoundError, so the cause is logged here
                LOG.warn("ND4J's op descriptors (nd4j-op-def.pbtxt) failed to load: {}", e.toString(), e);
            }
        }, "jgan-nd4j-descriptors");
        preparer.setContextClassLoader(own);
        preparer.setDaemon(true);
        preparer.start();
        return preparer;
    }

    @Override
    public void stop(BundleContext context) throws InterruptedException {
        restoreConsole.run();
        Thread t = loader;
        if (t != null) {
            t.join(60_000);
        }
        ServiceRegistration<NumericsBackend> r = registration;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // unregistered by the framework as the bundle stopped
            }
        }
    }

    /**
     * Loads ND4J with the chosen native variant and backend; returns the backend's description once the op
     * descriptors are prepared too.
     */
    private static String loadNd4j(NativeVariant variant, BackendChoice choice) throws InterruptedException {
        if (System.getProperty(NativeVariant.PLATFORM_EXTENSION) == null) {
            System.setProperty(NativeVariant.PLATFORM_EXTENSION, variant.extension());
        }
        LOG.info("ND4J native variant {} chosen because {}", variant.classifier(), variant.reason());
        LOG.info(choice.line());
        ClassLoader own = new BackendLoader(Nd4jActivator.class.getClassLoader(),
                BackendLoader.backendClass(choice.backend()));
        ND4JClassLoading.setNd4jClassloader(own);
        DL4JClassLoading.setDl4jClassloader(own);
        Thread.currentThread().setContextClassLoader(own);
        Thread descriptors = prepareOpDescriptorsAside(own);
        long t0 = System.nanoTime();
        String name = Nd4j.getBackend().getClass().getSimpleName();
        float check = Nd4j.create(new float[] {1, 2, 3}).sumNumber().floatValue();
        if (check != 6f) {
            throw new IllegalStateException("ND4J self-check computed 1+2+3 = " + check);
        }
        String description = choice.backend() == BackendChoice.Backend.CUDA
                ? name + " (" + (choice.devices().isEmpty() ? "devices not reported" : choice.devices()) + ")"
                : name + " (" + variant.classifier() + ", " + Nd4j.getEnvironment().maxMasterThreads() + " threads)";
        // (nothing may read ND4J's op descriptor holder while Nd4jOpDescriptors installs its table: ND4J is offered
        // only after it)
        long waited = 0;
        while (true) {
            descriptors.join(DESCRIPTORS_WAIT_MS);
            if (!descriptors.isAlive()) {
                break;
            }
            waited += DESCRIPTORS_WAIT_MS;
            LOG.warn("SameDiff's op descriptors not prepared after {} s; ND4J is offered once they are",
                    waited / 1000);
        }
        LOG.info("ND4J ready in {} ms: {}", (System.nanoTime() - t0) / 1_000_000, description);
        return description;
    }

    /** The innermost cause's message, e.g. the missing library of an UnsatisfiedLinkError. */
    private static String rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        for (Throwable s = t; s != null; s = s.getCause()) {
            if (s instanceof UnsatisfiedLinkError) {
                return s.toString();
            }
            if (s.getCause() == s) {
                break;
            }
        }
        return c.toString();
    }

    private record Backend(String description, String failure) implements NumericsBackend {
    }
}
