package org.jgan.nd4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.imports.descriptors.tensorflow.TensorflowDescriptorParser;
import org.tensorflow.framework.OpDef;
import org.tensorflow.framework.OpList;

/**
 * The TensorFlow op descriptors that SameDiff's op registry ({@code DifferentialFunctionClassHolder}) reads, kept in
 * this bundle in protobuf's binary form. ND4J parses them from {@code ops.proto}, 1,412 ops in protobuf's text
 * format (870 kB), every time a JVM builds the registry: about 0.45 s of one core, and more than a second of C2
 * compilations of protobuf's text parser, on the way to the first iteration (the first gradient graph clones its
 * graph through the registry). The build converts that file once ({@link #main}, run by the bundle's build); the
 * activator {@linkplain #install installs} the parsed binary form as {@code TensorflowDescriptorParser}'s cache,
 * which ND4J then returns instead of parsing. The ops are the same {@link OpDef} messages: the binary form is written
 * from ND4J's own parse of the {@code ops.proto} embedded in this bundle, and {@code TensorflowOpDescriptorsTest}
 * compares the two.
 */
public final class TensorflowOpDescriptors {

    /** Where the bundle carries the binary form (written into the build's classes by {@link #main}). */
    static final String RESOURCE = "org/jgan/nd4j/internal/tensorflow-ops.pb";

    private TensorflowOpDescriptors() {
    }

    /**
     * Build step: writes ND4J's op descriptors, as parsed from its {@code ops.proto}, in binary form to the file
     * {@code args[0]} (its folder is created). The ops are written in the order of their names, so that a build
     * writes the same bytes every time.
     */
    public static void main(String[] args) throws IOException {
        Files.write(outputFile(args), binary(TensorflowDescriptorParser.opDescs()));
    }

    /** A build step's one argument, the file to write, with its folder made (this class's and Nd4jOpDescriptors'). */
    static Path outputFile(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("expected one argument, the file to write; got " + args.length);
        }
        Path out = Path.of(args[0]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        return out;
    }

    /** The descriptors as one binary {@link OpList}, ops in the order of their names. */
    static byte[] binary(Map<String, OpDef> descriptors) {
        List<OpDef> ops = new ArrayList<>(descriptors.values());
        ops.sort(Comparator.comparing(OpDef::getName));
        return OpList.newBuilder().addAllOp(ops).build().toByteArray();
    }

    /** Parses a binary {@link OpList} into the map ND4J builds from its text form (op name to op). */
    static Map<String, OpDef> parse(InputStream binary) throws IOException {
        Map<String, OpDef> byName = new HashMap<>();
        for (OpDef op : OpList.parseFrom(binary).getOpList()) {
            byName.put(op.getName(), op);
        }
        return byName;
    }

    /**
     * Installs the descriptors of {@link #RESOURCE}, read through {@code loader}, as
     * {@code TensorflowDescriptorParser}'s cache, unless the cache is filled already (under the lock its
     * {@code opDescs()} holds). Returns whether it installed them; false when the resource is missing (ND4J then
     * parses its text form as before) or the cache was filled.
     *
     * @throws IOException when the resource cannot be read or parsed
     * @throws ReflectiveOperationException when ND4J's parser no longer has the cache field this relies on
     */
    static boolean install(ClassLoader loader) throws IOException, ReflectiveOperationException {
        Map<String, OpDef> descriptors;
        try (InputStream in = loader.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return false;
            }
            descriptors = parse(in);
        }
        Field cache = TensorflowDescriptorParser.class.getDeclaredField("DESCRIPTORS");
        cache.setAccessible(true);
        synchronized (TensorflowDescriptorParser.class) {
            if (cache.get(null) != null) {
                return false;
            }
            cache.set(null, descriptors);
            return true;
        }
    }
}
