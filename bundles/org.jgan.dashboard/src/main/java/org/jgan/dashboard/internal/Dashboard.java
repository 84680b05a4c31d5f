package org.jgan.dashboard.internal;

import jakarta.servlet.Servlet;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.api.TrainingService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;
import org.osgi.service.servlet.whiteboard.annotations.RequireHttpWhiteboard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web dashboard (docs/dashboard.md): a servlet on the Jakarta Servlet Whiteboard at the root of the runtime's
 * HTTP server, and an EventAdmin handler that forwards the engine's run events ({@code org/jgan/run/*}) to the
 * browsers connected to its event stream. When the HTTP server is up it logs the dashboard's address.
 */
@RequireHttpWhiteboard
@Component(service = {Servlet.class, EventHandler.class}, immediate = true, property = {
    "osgi.http.whiteboard.servlet.pattern=/*",
    "osgi.http.whiteboard.servlet.name=jgan-dashboard",
    EventConstants.EVENT_TOPIC + "=org/jgan/run/*"})
public final class Dashboard extends DashboardServlet implements EventHandler {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

    @Activate
    public Dashboard(@Reference TrainingService training, org.osgi.framework.BundleContext context) {
        // the host the HTTP server was bound to (runtime/jgan sets it; unset, requests must name a loopback host)
        super(training, new EventStream(), new Csrf(), context.getProperty("org.apache.felix.http.host"));
    }

    /** Logs where the dashboard can be reached, and warns when that is not only this machine. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addRuntime(HttpServiceRuntime runtime, Map<String, Object> props) {
        Object endpoint = props.get(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT);
        List<String> urls = endpoint instanceof String s ? List.of(s)
                : endpoint instanceof String[] a ? List.of(a)
                : endpoint instanceof Collection<?> c ? c.stream().map(String::valueOf).toList() : List.of();
        for (String url : urls) {
            LOG.info("dashboard: {}", url);
            if (!url.matches("https?://(127\\.[0-9.]+|localhost|\\[::1\\])(:[0-9]+)?/.*")) {
                LOG.warn("the dashboard is reachable from other machines at {} (org.apache.felix.http.host); anyone "
                        + "who can reach it can control the runs", url);
            }
        }
    }

    void removeRuntime(HttpServiceRuntime runtime) {
        // nothing to undo
    }

    @Override
    public void handleEvent(Event event) {
        Map<String, Object> p = new TreeMap<>();
        for (String name : event.getPropertyNames()) {
            if (!name.equals(EventConstants.EVENT_TOPIC)) {
                p.put(name, event.getProperty(name));
            }
        }
        String topic = event.getTopic();
        String kind = topic.substring(topic.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        events().publish(kind, JsonOut.write(p));
    }
}
