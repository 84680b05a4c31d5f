package org.jgan.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type that names a plug-in: {@code @GanName("hinge")} on a DS component sets the service
 * property {@value GanComponent#NAME}{@code =hinge}.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface GanName {
    /** The component's name in run configurations. */
    String value();
}
