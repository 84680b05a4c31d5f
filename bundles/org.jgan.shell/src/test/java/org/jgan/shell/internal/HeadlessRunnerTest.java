package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When a headless run starts the bundles above the level it began at (the dashboard's Jetty). */
class HeadlessRunnerTest {

    @Test
    void deferredBundlesWaitForTheRunsFirstIterationInThisJvm() {
        assertFalse(HeadlessRunner.deferredDue(0, 0));
        assertFalse(HeadlessRunner.deferredDue(0, HeadlessRunner.DEFERRED_MILLIS - 1));
        assertTrue(HeadlessRunner.deferredDue(1, 0), "after the first iteration");
        assertTrue(HeadlessRunner.deferredDue(0, HeadlessRunner.DEFERRED_MILLIS), "or once the first takes too long");
    }
}
