package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.ir.OpDescriptorHolder;
import org.nd4j.ir.OpNamespace;

/**
 * The binary op descriptors the build writes into this bundle hold exactly the ops ND4J's {@code OpDescriptorHolder}
 * parses from its {@code nd4j-op-def.pbtxt}, and installing them gives the holder that list and table without the
 * parse. The holder initialises once per class loader, so each installation runs in a class loader of its own over
 * this test's class path (ND4J's classes loaded anew, with it as ND4J's class loader, as the activator sets one).
 */
class Nd4jOpDescriptorsTest {

    private static final String PROPERTY = Nd4jOpDescriptors.FILE_PROPERTY;

    /** A class loader of its own over the test's class path, below the platform's (none of the test's classes). */
    private static URLClassLoader isolated(URL... more) throws Exception {
        List<URL> urls = new ArrayList<>(List.of(more));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(new File(entry).toURI().toURL());
        }
        return new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    }

    /** Runs {@code body} with {@code loader} as the thread's context loader, which ND4J takes for its own. */
    private static <T> T within(ClassLoader loader, Callable<T> body) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            return body.call();
        } finally {
            t.setContextClassLoader(before);
        }
    }

    private static Object call(ClassLoader loader, String type, String method, Class<?>[] types, Object... args)
            throws Exception {
        Method m = Class.forName(type, false, loader).getDeclaredMethod(method, types);
        m.setAccessible(true);
        return m.invoke(null, args);
    }

    private static boolean install(ClassLoader loader, ClassLoader resources) throws Exception {
        return (Boolean) call(loader, Nd4jOpDescriptors.class.getName(), "install", new Class<?>[] {ClassLoader.class},
                resources);
    }

    private static Object holder(ClassLoader loader, String method, Object... args) throws Exception {
        Class<?>[] types = args.length == 0 ? new Class<?>[0] : new Class<?>[] {String.class};
        return call(loader, OpDescriptorHolder.class.getName(), method, types, args);
    }

    @Test
    void thePropertyIsTheOneTheHolderReads() {
        assertEquals(OpDescriptorHolder.nd4jFileSpecifierProperty, Nd4jOpDescriptors.FILE_PROPERTY);
    }

    @Test
    void theBundledBinaryFormHoldsTheOpsNd4jParsesFromItsText() throws Exception {
        OpNamespace.OpDescriptorList text = OpDescriptorHolder.nd4jOpList();
        OpNamespace.OpDescriptorList binary;
        try (InputStream in = Nd4jOpDescriptors.class.getClassLoader()
                .getResourceAsStream(Nd4jOpDescriptors.RESOURCE)) {
            assertNotNull(in, Nd4jOpDescriptors.RESOURCE + " is missing: the build writes it (exec plugin)");
            binary = OpNamespace.OpDescriptorList.parseFrom(in);
        }
        assertTrue(text.getOpListCount() > 300, "nd4j-op-def.pbtxt has " + text.getOpListCount() + " ops");
        assertEquals(text, binary);
        assertTrue(binary.getOpListList().stream().anyMatch(d -> d.getName().equals("conv2d")
                && d.getArgDescriptorCount() > 0), "conv2d with its arguments");
    }

    @Test
    void installingGivesTheHolderTheListAndTableOfNd4jsParse() throws Exception {
        try (URLClassLoader loader = isolated()) {
            boolean installed = within(loader, () -> install(loader, loader));
            assertTrue(installed, "installed in a class loader where the holder was not initialised");
            assertNull(System.getProperty(PROPERTY), "the property is cleared after the holder's initialisation");
            Object list = holder(loader, "opList");
            // ND4J's parse of its text, by the same classes
            Object parsed = within(loader, () -> holder(loader, "nd4jOpList"));
            assertEquals(parsed, list, "opList() is the parse's list, op by op in the same order");
            int count = (Integer) parsed.getClass().getMethod("getOpListCount").invoke(parsed);
            assertTrue(count > 300, count + " ops");
            for (int i = 0; i < count; i++) {
                Object op = parsed.getClass().getMethod("getOpList", int.class).invoke(parsed, i);
                String name = (String) op.getClass().getMethod("getName").invoke(op);
                assertEquals(op, holder(loader, "descriptorForOpName", name), name);
            }
            assertNull(holder(loader, "descriptorForOpName", "no such op"));
        }
    }

    @Test
    void aHolderInitialisedBeforeIsLeftWithNd4jsParse() throws Exception {
        try (URLClassLoader loader = isolated()) {
            Object parsed = within(loader, () -> {
                Class.forName(OpDescriptorHolder.class.getName(), true, loader);
                return holder(loader, "opList");
            });
            assertFalse(within(loader, () -> install(loader, loader)));
            Object after = holder(loader, "opList");
            assertEquals(parsed, after);
            assertTrue((Integer) after.getClass().getMethod("getOpListCount").invoke(after) > 300);
        }
    }

    @Test
    void aDescriptorFileOfTheUsersIsRespected(@TempDir Path folder) throws Exception {
        Files.writeString(folder.resolve("one-op.pbtxt"), "opList {\n  name: \"only_op\"\n}\n");
        try (URLClassLoader loader = isolated(folder.toUri().toURL())) {
            System.setProperty(PROPERTY, "/one-op.pbtxt");
            try {
                assertFalse(within(loader, () -> install(loader, loader)));
                assertEquals("/one-op.pbtxt", System.getProperty(PROPERTY));
                Object list = within(loader, () -> holder(loader, "opList"));
                assertEquals(1, list.getClass().getMethod("getOpListCount").invoke(list), "the user's one op");
                assertNotNull(holder(loader, "descriptorForOpName", "only_op"));
            } finally {
                System.clearProperty(PROPERTY);
            }
        }
    }

    @Test
    void withoutTheBinaryFormNd4jParsesAsBefore() throws Exception {
        try (URLClassLoader loader = isolated()) {
            ClassLoader empty = new ClassLoader(null) {
            };
            assertFalse(within(loader, () -> install(loader, empty)));
            assertNull(System.getProperty(PROPERTY));
            Object list = within(loader, () -> holder(loader, "opList"));
            assertEquals(within(loader, () -> holder(loader, "nd4jOpList")), list);
        }
    }
}
