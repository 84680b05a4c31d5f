/**
 * The catalog of plug-ins: {@code PluginReferences} (a DS component with dynamic, multiple references per kind)
 * feeds {@code ComponentCatalog}, which keeps every registration ranked by service ranking and tells listeners of
 * changes; {@code Kind} names the kinds. Depends on nothing else of the engine.
 */
package org.jgan.engine.internal.catalog;
