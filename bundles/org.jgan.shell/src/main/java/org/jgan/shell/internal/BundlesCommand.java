package org.jgan.shell.internal;

import java.nio.file.Path;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code gan:bundles}: bundles that did not resolve or start, with the reason ({@link BundleReport}). */
@Component(service = BundlesCommand.class, immediate = true, property = {
    "osgi.command.scope=gan", "osgi.command.function=bundles"})
public final class BundlesCommand {

    private static final Logger LOG = LoggerFactory.getLogger(BundlesCommand.class);
    private static final long WATCH_MILLIS = 2_000;

    private final BundleContext context;
    private final BundleReport report = new BundleReport();
    private final Path watched;
    private final Thread watcher;

    @Activate
    public BundlesCommand(BundleContext context) {
        this.context = context;
        context.addFrameworkListener(report);
        String dir = context.getProperty("felix.fileinstall.dir");
        watched = dir == null ? null : Path.of(dir);
        watcher = new Thread(this::watch, "jgan-load-folder");
        watcher.setDaemon(true);
        watcher.start();
    }

    @Deactivate
    void deactivate() {
        watcher.interrupt();
        context.removeFrameworkListener(report);
    }

    /** Logs each jar of the watched folder that is not a bundle once (again when it is replaced). */
    private void watch() {
        java.util.Set<String> told = new java.util.HashSet<>();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                java.util.Set<String> now = new java.util.HashSet<>(LoadFolderJars.notBundles(watched));
                for (String line : now) {
                    if (told.add(line)) {
                        LOG.warn(line);
                    }
                }
                told.retainAll(now);
                Thread.sleep(WATCH_MILLIS);
            }
        } catch (InterruptedException e) {
            // deactivated
        }
    }

    @Descriptor("List bundles that are not active (e.g. a jar dropped into load/ that does not resolve or start) with "
            + "the reason: what no installed bundle provides, or the start error; then jars in load/ that are not "
            + "bundles")
    public String bundles() {
        String bundles = report.report(context.getBundles(), context.getBundle(0).adapt(FrameworkWiring.class));
        List<String> notBundles = LoadFolderJars.notBundles(watched);
        return notBundles.isEmpty() ? bundles : bundles + notBundles.size() + " jar(s) in " + watched
                + " are not bundles:\n     " + String.join("\n     ", notBundles) + "\n";
    }
}
