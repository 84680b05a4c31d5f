package org.jgan.api;

import org.osgi.annotation.versioning.ConsumerType;

/** A kind of data, registered with {@value GanComponent#NAME}. */
@ConsumerType
public interface Dataset extends GanComponent {

    /**
     * Opens the data.
     *
     * @throws IllegalArgumentException for a missing or corrupt file, naming the file and what is expected
     */
    DataSource open(Options options);
}
