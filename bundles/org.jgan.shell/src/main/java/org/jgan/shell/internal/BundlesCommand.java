package org.jgan.shell.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/** {@code gan:bundles}: bundles that did not resolve or start, with the reason ({@link BundleReport}). */
@Component(service = BundlesCommand.class, immediate = true, property = {
    "osgi.command.scope=gan", "osgi.command.function=bundles"})
public final class BundlesCommand {

    private final BundleContext context;
    private final BundleReport report = new BundleReport();

    @Activate
    public BundlesCommand(BundleContext context) {
        this.context = context;
        context.addFrameworkListener(report);
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(report);
    }

    @Descriptor("List bundles that are not active (e.g. a jar dropped into load/ that does not resolve or start) with "
            + "the reason: what no installed bundle provides, or the start error")
    public String bundles() {
        return report.report(context.getBundles(), context.getBundle(0).adapt(FrameworkWiring.class));
    }
}
