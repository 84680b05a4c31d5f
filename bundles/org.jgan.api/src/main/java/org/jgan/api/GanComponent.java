package org.jgan.api;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Common supertype of every plug-in component. A component is registered as an OSGi service under its own kind's
 * interface with the service property {@value #NAME} naming it in run configurations; the name is unique per kind.
 */
@ConsumerType
public interface GanComponent {

    /** Service property that names a component in run configurations, e.g. {@code gan.name=nonsaturating}. */
    String NAME = "gan.name";

    /** One line saying what the component is, naming its paper where it has one. */
    String description();

    /**
     * The options the component accepts in a run configuration, under the key prefix of its role
     * (for example {@code architecture.hidden=128}). Empty when it has none.
     */
    default List<OptionSpec> options() {
        return List.of();
    }
}
