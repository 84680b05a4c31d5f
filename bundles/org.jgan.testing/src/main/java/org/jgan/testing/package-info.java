/**
 * Test support for plug-in bundles: {@link org.jgan.testing.TestScope}, a network scope as the engine's, so an
 * architecture's or a layer's graphs can be built, run and trained in plain unit tests; and
 * {@link org.jgan.testing.ArchitectureContract}, the test of what every architecture promises the engine, which an
 * architecture bundle's test extends with its configurations. A test-scoped dependency; never deployed.
 */
package org.jgan.testing;
