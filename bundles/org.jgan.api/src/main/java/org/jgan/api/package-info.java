/**
 * Training SPIs of jgan. Plug-in bundles implement the {@code @ConsumerType} interfaces
 * ({@link org.jgan.api.Architecture}, {@link org.jgan.api.AdversarialLoss}, {@link org.jgan.api.Regularizer}, {@link org.jgan.api.GradientPenalty},
 * {@link org.jgan.api.ParameterConstraint}, {@link org.jgan.api.Reparametrization}, {@link org.jgan.api.InputTransform},
 * {@link org.jgan.api.Dataset}, {@link org.jgan.api.Metric}, {@link org.jgan.api.FeatureExtractor}, {@link org.jgan.api.Preset}) and register them as
 * OSGi services with the service property {@value org.jgan.api.GanComponent#NAME}; the engine implements the
 * {@code @ProviderType} ones. Conventions: tensors are NCHW (or [batch, features] for vector data), image pixels
 * lie in [-1, 1], discriminators return logits (before any sigmoid).
 */
@Export
@Version("1.15.0")
package org.jgan.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
