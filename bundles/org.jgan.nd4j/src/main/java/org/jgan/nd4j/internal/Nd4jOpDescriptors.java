package org.jgan.nd4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.common.config.ND4JClassLoading;
import org.nd4j.ir.OpDescriptorHolder;
import org.nd4j.ir.OpNamespace;

/**
 * ND4J's own op descriptors ({@code OpDescriptorHolder}, which SameDiff reads for every custom op it clones or
 * serializes), kept in this bundle in protobuf's binary form. ND4J parses them from {@code nd4j-op-def.pbtxt}
 * (336 kB of protobuf's text format) in the holder's class initialiser, once per JVM, on the way to the first
 * iteration: about 0.2 s of one core for the parse and 0.4-0.5 s of C1 and C2 compilations of protobuf's text
 * tokenizer and parser, during a start that is CPU-bound on two cores (2026-12-05, LogCompilation). The build writes
 * the holder's own list once ({@link #main}); {@link #install} initialises the holder on a text of no ops and then
 * gives it the binary list, as its {@code opList()} and {@code descriptorForOpName} return it after a parse.
 * {@code Nd4jOpDescriptorsTest} compares the two.
 */
public final class Nd4jOpDescriptors {

    /** Where the bundle carries the binary form (written into the build's classes by {@link #main}). */
    static final String RESOURCE = "org/jgan/nd4j/internal/nd4j-ops.pb";

    /**
     * The system property naming the text file the holder parses: {@code OpDescriptorHolder.nd4jFileSpecifierProperty},
     * spelled out here because reading that field would initialise the holder.
     */
    static final String FILE_PROPERTY = "samediff.import.nd4jdescriptors";

    /** A text form with no ops, which the holder's class initialiser parses instead of ND4J's file. */
    static final String NO_OPS = "org/jgan/nd4j/internal/no-ops.pbtxt";

    private Nd4jOpDescriptors() {
    }

    /**
     * Build step: writes ND4J's op descriptors as its holder parses them from {@code nd4j-op-def.pbtxt} (ops in the
     * order of their names) in binary form to the file {@code args[0]} (its folder is created).
     */
    public static void main(String[] args) throws IOException {
        Files.write(TensorflowOpDescriptors.outputFile(args), OpDescriptorHolder.nd4jOpList().toByteArray());
    }

    /**
     * Initialises ND4J's {@code OpDescriptorHolder} with the descriptors of {@link #RESOURCE}, read through
     * {@code loader}: the holder's class initialiser parses {@link #NO_OPS} (named by the system property it reads,
     * set for that moment only; read through ND4J's class loader), then the holder's list and its table by name are
     * set to the binary form's. Returns whether it did; false, leaving the holder to ND4J, where either resource is
     * missing, where the property names a descriptor file of the user's, or where the holder was initialised already
     * (then with ND4J's own parse). The table is built before the class initialises and set with the list as two
     * reference writes; should that fail, the holder gets ND4J's parse of its text and the exception is thrown. Nothing
     * may read the holder until this returns (the activator waits for it before it offers ND4J to the bundles).
     *
     * @throws IOException when the binary form cannot be read or parsed
     * @throws ReflectiveOperationException when ND4J's holder no longer has the table this relies on
     */
    static boolean install(ClassLoader loader) throws IOException, ReflectiveOperationException {
        String property = FILE_PROPERTY;
        // (the holder reads its file through ND4J's class loader: a text it cannot find would break the holder for
        // good)
        if (System.getProperty(property) != null || ND4JClassLoading.getNd4jClassloader().getResource(NO_OPS) == null) {
            return false;
        }
        OpNamespace.OpDescriptorList descriptors;
        try (InputStream in = loader.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return false;
            }
            descriptors = OpNamespace.OpDescriptorList.parseFrom(in);
        }
        // (looked up and built before the class is initialised: without the field, ND4J parses its text as before)
        Field byName = OpDescriptorHolder.class.getDeclaredField("opDescriptorByName");
        byName.setAccessible(true);
        Map<String, OpNamespace.OpDescriptor> table = new LinkedHashMap<>();
        for (OpNamespace.OpDescriptor d : descriptors.getOpListList()) {
            table.put(d.getName(), d);
        }
        System.setProperty(property, "/" + NO_OPS);
        try {
            Class.forName(OpDescriptorHolder.class.getName(), true, OpDescriptorHolder.class.getClassLoader());
        } finally {
            System.clearProperty(property);
        }
        if (OpDescriptorHolder.INSTANCE == null || OpDescriptorHolder.INSTANCE.getOpListCount() > 0) {
            // initialised before, by ND4J's parse of its own file (or it failed, and said so)
            return false;
        }
        try {
            byName.set(null, table);
            OpDescriptorHolder.INSTANCE = descriptors;
        } catch (IllegalAccessException | RuntimeException e) {
            // the holder was initialised on no ops and is never initialised again: it gets ND4J's parse after all
            try {
                parsedByNd4j(byName);
            } catch (IOException | ReflectiveOperationException | RuntimeException f) {
                e.addSuppressed(f);
            }
            throw e;
        }
        return true;
    }

    /** Gives the holder ND4J's own parse of its text, as its class initialiser would have. */
    private static void parsedByNd4j(Field byName) throws IOException, IllegalAccessException {
        OpNamespace.OpDescriptorList parsed = OpDescriptorHolder.nd4jOpList();
        Map<String, OpNamespace.OpDescriptor> table = new LinkedHashMap<>();
        for (OpNamespace.OpDescriptor d : parsed.getOpListList()) {
            table.put(d.getName(), d);
        }
        byName.set(null, table);
        OpDescriptorHolder.INSTANCE = parsed;
    }
}
