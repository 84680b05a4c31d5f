/** Data transfer objects describing components and runs. */
@Export
@Version("1.1.0")
package org.jgan.api.dto;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
