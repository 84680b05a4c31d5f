/**
 * Layers shared by the image architecture bundles, written on {@link org.jgan.api.NetworkScope} with first-order
 * SameDiff ops: {@link org.jgan.layers.BatchNorm}, the pre-activation {@link org.jgan.layers.ResidualBlock}s of
 * Gulrajani et al. 2017, {@link org.jgan.layers.Resampling}, {@link org.jgan.layers.Resolution} and
 * {@link org.jgan.layers.NetworkChecks}. A variant bundle may import it too; its version follows semantic versioning.
 */
@Export
@Version("1.1.0")
package org.jgan.layers;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
