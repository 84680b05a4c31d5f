package org.jgan.api;

import java.util.Set;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Optional for an {@link Architecture}: the names of its options that act only in sampling graphs (e.g. StyleGAN's
 * truncation {@code psi}, BigGAN's {@code truncation} threshold), which the engine lets a user change when sampling
 * from a trained run's checkpoint. Any other option may change the parameters or what the network computes, and is
 * refused there.
 *
 * @since 1.10
 */
@ConsumerType
public interface SamplingOptions {

    /** Options of {@link GanComponent#options()} that the networks read only when building sampling graphs. */
    Set<String> samplingOptions();
}
