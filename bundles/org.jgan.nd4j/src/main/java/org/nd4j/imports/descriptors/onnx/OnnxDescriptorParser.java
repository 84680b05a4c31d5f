/*
 * ND4J's OnnxDescriptorParser (nd4j-api 1.0.0-M2.1, Apache License 2.0), changed by jgan to parse on first use.
 */
package org.nd4j.imports.descriptors.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.nd4j.common.io.ClassPathResource;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * ND4J's ONNX op descriptors by name, read from {@code onnxops.json} when the map is first read, not when SameDiff's
 * op registry ({@code DifferentialFunctionClassHolder}) is built. The registry is built once per JVM (the ND4J
 * bundle's activator builds it as soon as ND4J is loaded; a run's first gradient function needs it) and keeps this map
 * for ONNX import alone, which jgan never runs; ND4J's own class parsed the file there with a new Jackson
 * {@code ObjectMapper}: Jackson's first use and its parse on the way to every start's first iteration, and C2
 * compilations of its parser (the registry 340 against 508 ms, medians of 12 alternating starts of the default run,
 * 2026-12-08; docs/architectures.md). This class replaces ND4J's in the ND4J bundle's embedded nd4j-api jar
 * ({@code EmbeddedJars}, run by the bundle's build): the same public method returns a map that parses the file as
 * ND4J's method does, on its first read. A file that cannot be read or parsed then fails that read with an unchecked
 * exception naming it, where ND4J's failed the registry.
 */
public class OnnxDescriptorParser {

    /**
     * The descriptors by name, as ND4J's method returns them (a new mutable map for each call), parsed when the map is
     * first read.
     */
    public static Map<String, OpDescriptor> onnxOpDescriptors() throws Exception {
        return new OnFirstRead();
    }

    /** ND4J's parse, unchanged: the descriptors of {@code onnxops.json} by name. */
    static Map<String, OpDescriptor> parse() throws IOException {
        try (InputStream is = new ClassPathResource("onnxops.json").getInputStream()) {
            ObjectMapper objectMapper = new ObjectMapper();
            OnnxDescriptor opDescriptor = objectMapper.readValue(is, OnnxDescriptor.class);
            Map<String, OpDescriptor> descriptorMap = new HashMap<>();
            for (OpDescriptor descriptor : opDescriptor.getDescriptors()) {
                descriptorMap.put(descriptor.getName(), descriptor);
            }
            return descriptorMap;
        }
    }

    /** A map that is {@link #parse()}'s result, parsed on the first call of any of its methods. */
    private static final class OnFirstRead extends AbstractMap<String, OpDescriptor> {

        private volatile Map<String, OpDescriptor> parsed;

        private Map<String, OpDescriptor> parsed() {
            Map<String, OpDescriptor> p = parsed;
            if (p == null) {
                synchronized (this) {
                    p = parsed;
                    if (p == null) {
                        try {
                            p = parse();
                        } catch (IOException e) {
                            throw new UncheckedIOException(
                                    "ND4J's ONNX op descriptors (onnxops.json) could not be read", e);
                        }
                        parsed = p;
                    }
                }
            }
            return p;
        }

        @Override
        public Set<Entry<String, OpDescriptor>> entrySet() {
            return parsed().entrySet();
        }

        @Override
        public OpDescriptor get(Object key) {
            return parsed().get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return parsed().containsKey(key);
        }

        @Override
        public int size() {
            return parsed().size();
        }

        @Override
        public OpDescriptor put(String key, OpDescriptor value) {
            return parsed().put(key, value);
        }
    }
}
