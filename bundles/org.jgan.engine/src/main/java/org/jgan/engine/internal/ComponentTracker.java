package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.List;
import org.jgan.api.GanComponent;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link ComponentCatalog} in step with the service registry: every service of a component kind with a
 * {@value GanComponent#NAME} property is added while registered. Bundles dropped in at run time appear at once.
 */
final class ComponentTracker {

    private static final Logger LOG = LoggerFactory.getLogger(ComponentTracker.class);

    private final ComponentCatalog catalog;
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();

    ComponentTracker(ComponentCatalog catalog) {
        this.catalog = catalog;
    }

    void open(BundleContext context) {
        for (Kind kind : Kind.values()) {
            ServiceTracker<GanComponent, GanComponent> t = new ServiceTracker<>(context,
                    kind.type.getName(), new Customizer(context, kind));
            t.open();
            trackers.add(t);
        }
    }

    void close() {
        trackers.forEach(ServiceTracker::close);
        trackers.clear();
    }

    private final class Customizer implements ServiceTrackerCustomizer<GanComponent, GanComponent> {
        private final BundleContext context;
        private final Kind kind;

        Customizer(BundleContext context, Kind kind) {
            this.context = context;
            this.kind = kind;
        }

        @Override
        public GanComponent addingService(ServiceReference<GanComponent> ref) {
            Object name = ref.getProperty(GanComponent.NAME);
            if (!(name instanceof String n) || n.isBlank()) {
                LOG.warn("{} service {} from bundle {} has no '{}' property; it is ignored", kind.label(),
                        ref.getProperty("service.id"), ref.getBundle().getSymbolicName(), GanComponent.NAME);
                return null;
            }
            GanComponent service = context.getService(ref);
            if (service == null) {
                return null;
            }
            catalog.add(kind, n, service, ref.getBundle().getSymbolicName(), ref.getBundle().getVersion().toString());
            LOG.debug("{} '{}' from {} available", kind.label(), n, ref.getBundle().getSymbolicName());
            return service;
        }

        @Override
        public void modifiedService(ServiceReference<GanComponent> ref, GanComponent service) {
            // names are fixed per registration
        }

        @Override
        public void removedService(ServiceReference<GanComponent> ref, GanComponent service) {
            catalog.remove(kind, (String) ref.getProperty(GanComponent.NAME), service);
            context.ungetService(ref);
        }
    }
}
