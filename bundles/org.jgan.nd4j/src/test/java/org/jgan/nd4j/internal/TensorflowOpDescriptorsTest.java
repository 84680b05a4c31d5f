package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.imports.descriptors.tensorflow.TensorflowDescriptorParser;
import org.tensorflow.framework.OpDef;

/**
 * The binary op descriptors the build writes into this bundle hold exactly the ops ND4J parses from its
 * {@code ops.proto} text, and installing them makes ND4J's parser return them instead of parsing. Each test starts
 * and ends with the parser's cache as it found it.
 */
class TensorflowOpDescriptorsTest {

    private Object cacheBefore;

    private static Field cache() throws ReflectiveOperationException {
        Field f = TensorflowDescriptorParser.class.getDeclaredField("DESCRIPTORS");
        f.setAccessible(true);
        return f;
    }

    @BeforeEach
    void emptyTheCache() throws ReflectiveOperationException {
        cacheBefore = cache().get(null);
        cache().set(null, null);
    }

    @AfterEach
    void restoreTheCache() throws ReflectiveOperationException {
        cache().set(null, cacheBefore);
    }

    /** ND4J's own parse of its text form, whatever was installed before. */
    private static Map<String, OpDef> parsedByNd4j() throws ReflectiveOperationException {
        cache().set(null, null);
        Map<String, OpDef> parsed = TensorflowDescriptorParser.opDescs();
        cache().set(null, null);
        return parsed;
    }

    private static Map<String, OpDef> bundled() throws Exception {
        try (InputStream in = TensorflowOpDescriptors.class.getClassLoader()
                .getResourceAsStream(TensorflowOpDescriptors.RESOURCE)) {
            assertNotNull(in, TensorflowOpDescriptors.RESOURCE + " is missing: the build writes it (exec plugin)");
            return TensorflowOpDescriptors.parse(in);
        }
    }

    @Test
    void theBundledBinaryFormHoldsTheOpsNd4jParsesFromItsText() throws Exception {
        Map<String, OpDef> text = parsedByNd4j();
        Map<String, OpDef> binary = bundled();
        assertTrue(text.size() > 1000, "ND4J's ops.proto has " + text.size() + " ops");
        assertEquals(text.keySet(), binary.keySet());
        for (Map.Entry<String, OpDef> e : text.entrySet()) {
            assertEquals(e.getValue(), binary.get(e.getKey()), e.getKey());
        }
        assertTrue(text.containsKey("Conv2D") && text.get("Conv2D").getInputArgCount() == 2,
                "Conv2D with its two inputs: " + text.get("Conv2D"));
    }

    @Test
    void installedDescriptorsAreWhatNd4jReturnsWithoutParsing() throws Exception {
        assertTrue(TensorflowOpDescriptors.install(TensorflowOpDescriptors.class.getClassLoader()));
        Object installed = cache().get(null);
        assertNotNull(installed);
        assertSame(installed, TensorflowDescriptorParser.opDescs(), "the parser returns the installed map");
        assertEquals(parsedByNd4j(), installed);
    }

    @Test
    void aFilledCacheIsLeftAlone() throws Exception {
        Map<String, OpDef> filled = Map.of();
        cache().set(null, filled);
        assertFalse(TensorflowOpDescriptors.install(TensorflowOpDescriptors.class.getClassLoader()));
        assertSame(filled, cache().get(null));
    }

    @Test
    void withoutTheResourceNothingIsInstalledAndNd4jParsesAsBefore() throws Exception {
        ClassLoader empty = new ClassLoader(null) {
        };
        assertFalse(TensorflowOpDescriptors.install(empty));
        assertNull(cache().get(null));
        assertTrue(TensorflowDescriptorParser.opDescs().containsKey("MatMul"));
    }

    @Test
    void theBinaryFormDoesNotDependOnTheMapsOrder() throws Exception {
        Map<String, OpDef> parsed = bundled();
        List<String> names = new ArrayList<>(parsed.keySet());
        Collections.sort(names);
        Collections.reverse(names);
        Map<String, OpDef> reversed = new LinkedHashMap<>();
        names.forEach(n -> reversed.put(n, parsed.get(n)));
        byte[] written = TensorflowOpDescriptors.binary(reversed);
        assertArrayEquals(TensorflowOpDescriptors.binary(parsed), written);
        assertEquals(parsed, TensorflowOpDescriptors.parse(new ByteArrayInputStream(written)));
    }
}
