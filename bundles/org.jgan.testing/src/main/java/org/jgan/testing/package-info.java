/**
 * Test support for plug-in bundles: {@link org.jgan.testing.TestScope}, a network scope as the engine's, so an
 * architecture's or a layer's graphs can be built, run and trained in plain unit tests. A test-scoped dependency;
 * never deployed.
 */
package org.jgan.testing;
