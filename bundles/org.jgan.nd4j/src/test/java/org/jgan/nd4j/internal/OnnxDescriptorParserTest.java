package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.nd4j.common.config.ND4JClassLoading;
import org.nd4j.imports.descriptors.onnx.OnnxDescriptorParser;
import org.nd4j.imports.descriptors.onnx.OpDescriptor;

/**
 * The bundle's version of ND4J's {@code OnnxDescriptorParser} (src/main/java/org/nd4j, put in the place of ND4J's in
 * the embedded nd4j-api jar by {@code EmbeddedJars}): the same descriptors as ND4J's own class parses, read from
 * {@code onnxops.json} when the map is first read and not before. The test class path has this module's classes
 * before nd4j-api's jar, so {@code OnnxDescriptorParser} here is the bundle's version; ND4J's own is defined from the
 * jar's bytes in a class loader of its own.
 */
class OnnxDescriptorParserTest {

    private static final String NAME = "org.nd4j.imports.descriptors.onnx.OnnxDescriptorParser";

    /** ND4J's own {@code onnxOpDescriptors()}: the class as nd4j-api's jar holds it, in a loader of its own. */
    private static Map<?, ?> nd4jsOwn() throws Exception {
        String entry = NAME.replace('.', '/') + ".class";
        List<URL> found = Collections.list(OnnxDescriptorParserTest.class.getClassLoader().getResources(entry));
        URL jar = found.stream().filter(u -> u.getProtocol().equals("jar") && u.getPath().contains("nd4j-api"))
                .findFirst().orElseThrow(() -> new AssertionError("nd4j-api's jar not on the class path: " + found));
        byte[] bytes;
        try (InputStream in = jar.openStream()) {
            bytes = in.readAllBytes();
        }
        ClassLoader own = new ClassLoader(OnnxDescriptorParserTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (!name.equals(NAME)) {
                    return super.loadClass(name, resolve);
                }
                synchronized (getClassLoadingLock(name)) {
                    Class<?> c = findLoadedClass(name);
                    return c != null ? c : defineClass(name, bytes, 0, bytes.length);
                }
            }
        };
        Class<?> original = own.loadClass(NAME);
        assertNotSame(OnnxDescriptorParser.class, original);
        assertTrue(found.get(0).getPath().contains("/classes/"), "the bundle's version first on the test class path: "
                + found);
        return (Map<?, ?>) original.getMethod("onnxOpDescriptors").invoke(null);
    }

    /** ND4J's resource loader for the duration of {@code body}: the test's, counting the reads of onnxops.json. */
    private static void countingReads(AtomicInteger reads, boolean missing, Runnable body) {
        ClassLoader before = ND4JClassLoading.getNd4jClassloader();
        ClassLoader counting = new ClassLoader(OnnxDescriptorParserTest.class.getClassLoader()) {
            @Override
            public InputStream getResourceAsStream(String name) {
                if (name.equals("onnxops.json")) {
                    reads.incrementAndGet();
                    if (missing) {
                        return null;
                    }
                }
                return super.getResourceAsStream(name);
            }
        };
        ND4JClassLoading.setNd4jClassloader(counting);
        try {
            body.run();
        } finally {
            ND4JClassLoading.setNd4jClassloader(before);
        }
    }

    @Test
    void theDescriptorsAreNd4jsOwnOnesReadWhenTheMapIsFirstRead() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        List<Map<String, OpDescriptor>> read = new ArrayList<>();
        countingReads(reads, false, () -> {
            Map<String, OpDescriptor> ours;
            try {
                ours = OnnxDescriptorParser.onnxOpDescriptors();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            assertEquals(0, reads.get(), "nothing read before the map is");
            assertTrue(ours.containsKey("Conv"));
            assertEquals(1, reads.get());
            assertEquals("Conv", ours.get("Conv").getName());
            assertEquals(1, reads.get(), "read once");
            read.add(ours);
        });
        Map<String, OpDescriptor> ours = read.get(0);
        Map<?, ?> nd4j = nd4jsOwn();
        assertTrue(nd4j.size() > 100, "ND4J's descriptors: " + nd4j.size());
        assertEquals(nd4j, ours, "ND4J's descriptors, name by name");
        assertEquals(nd4j.keySet(), ours.keySet());
        ours.put("Custom", ours.get("Conv"));
        assertSame(ours.get("Conv"), ours.get("Custom"), "as mutable as ND4J's HashMap");
    }

    @Test
    void eachCallHasItsOwnMapAsNd4jsDoes() throws Exception {
        Map<String, OpDescriptor> a = OnnxDescriptorParser.onnxOpDescriptors();
        Map<String, OpDescriptor> b = OnnxDescriptorParser.onnxOpDescriptors();
        a.remove("Conv");
        assertTrue(b.containsKey("Conv"));
        assertEquals(a.size() + 1, b.size());
    }

    @Test
    void aMissingFileFailsTheFirstReadNamingIt() {
        AtomicInteger reads = new AtomicInteger();
        countingReads(reads, true, () -> {
            Map<String, OpDescriptor> ours;
            try {
                ours = OnnxDescriptorParser.onnxOpDescriptors();
            } catch (Exception e) {
                throw new AssertionError("nothing is read yet", e);
            }
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ours.get("Conv"));
            assertEquals("ND4J's ONNX op descriptors (onnxops.json) could not be read", e.getMessage());
            assertEquals(1, reads.get());
        });
    }
}
