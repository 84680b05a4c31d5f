/**
 * Configuration: a run's settings as one typed record ({@code RunSettings}, described to Metatype by {@code
 * RunMetaType}), the parsed run ({@code RunSpec}: settings plus the chosen components and their options), what may
 * change while training ({@code LiveSettings}), presets merged under user settings ({@code PresetMerge}) and the
 * configurations ConfigAdmin holds ({@code RunConfigurations}). Depends on the catalog only.
 */
package org.jgan.engine.internal.config;
