package org.jgan.api;

import java.util.Map;
import java.util.Objects;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * What a {@link Model} minimizes in one update, and what it reports.
 *
 * @param loss  the scalar minimized over both networks' parameters (a batch mean); logged as {@code loss}
 * @param terms scalars logged beside it by name each step (parts of the loss, diagnostics), in order
 * @since 1.13
 */
public record Objective(SDVariable loss, Map<String, SDVariable> terms) {
    public Objective {
        Objects.requireNonNull(loss, "loss");
        terms = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(terms));
        if (terms.containsKey("loss")) {
            throw new IllegalArgumentException("a reported term may not be named 'loss'; expected another name");
        }
    }
}
