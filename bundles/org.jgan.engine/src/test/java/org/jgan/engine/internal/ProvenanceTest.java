package org.jgan.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What config.json records about glibc's allocator (runtime/jgan's settings change a run's speed by 10-15%) and the
 * JVM's options (the JIT's thresholds that runtime/jgan sets move where C2's compilations fall).
 */
class ProvenanceTest {

    @Test
    void recordsTheAllocatorSettingsTheProcessStartedWith() {
        assertEquals("glibc defaults", Provenance.malloc(Map.of("PATH", "/usr/bin", "MALLOC_CHECK_", "3")));
        // runtime/jgan's two, in a fixed order whatever the map's
        Map<String, String> launcher = new LinkedHashMap<>();
        launcher.put("MALLOC_TRIM_THRESHOLD_", "268435456");
        launcher.put("MALLOC_MMAP_THRESHOLD_", "33554432");
        assertEquals("MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456", Provenance.malloc(launcher));
        assertEquals("MALLOC_ARENA_MAX=2 GLIBC_TUNABLES=glibc.malloc.hugetlb=1", Provenance.malloc(
                Map.of("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", "MALLOC_ARENA_MAX", "2")));
    }

    @Test
    void recordsTheJvmsOwnOptionsNotItsProperties() {
        assertEquals("JVM defaults", Provenance.jvm(List.of()));
        assertEquals("JVM defaults", Provenance.jvm(List.of("-Dfelix.fileinstall.dir=bundles", "-javaagent:a.jar")));
        // runtime/jgan's JIT setting before the caller's JAVA_OPTS, properties left out
        assertEquals("-XX:CompileThresholdScaling=0.25 -Xmx6g -XX:+UseParallelGC", Provenance.jvm(List.of(
                "-XX:CompileThresholdScaling=0.25", "-Djgan.home=/opt/jgan", "-Xmx6g", "-XX:+UseParallelGC")));
    }
}
