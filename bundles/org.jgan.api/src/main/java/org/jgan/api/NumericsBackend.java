package org.jgan.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Registered by the numerics library bundle once ND4J is loaded and usable from every bundle. Consumers that touch
 * ND4J reference this service so nothing uses ND4J before it is ready. The service property {@value #READY} is
 * {@code true} when loading succeeded; on failure the service is still registered with {@code ready=false} and
 * {@link #failure()} says why.
 */
@ProviderType
public interface NumericsBackend {

    /** Service property: whether ND4J loaded. */
    String READY = "ready";

    /** Backend name and native variant, e.g. {@code "CPU (linux-x86_64-onednn-avx512)"}. */
    String description();

    /** Why loading failed, or {@code null} when it succeeded. */
    String failure();
}
