package org.jgan.engine.internal.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares one engine setting on a component of {@link RunSettings}: its default (as text), its range or choices
 * and its description. The component's name is the setting's key and its Java type the setting's type.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@interface Setting {

    /** The default value, as it would be written in a configuration. */
    String value();

    /** What the setting does, for the shell's listing and Metatype. */
    String description();

    /** Smallest allowed value of a number (inclusive); unbounded when not given (an int: its type's range). */
    double min() default Double.NEGATIVE_INFINITY;

    /** Largest allowed value of a number (inclusive). */
    double max() default Double.POSITIVE_INFINITY;

    /** The allowed values of a text setting that is a choice; any text when empty. */
    String[] choices() default {};
}
