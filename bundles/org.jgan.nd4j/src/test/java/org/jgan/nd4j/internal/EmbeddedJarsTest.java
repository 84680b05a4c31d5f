package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build step for the embedded jars: which lose their Multi-Release header, and the Bundle-ClassPath's order. */
class EmbeddedJarsTest {

    @TempDir
    Path dir;

    /** A jar of these entries (a manifest with these main attributes first), written as {@code name}. */
    private Path jar(String name, Map<String, String> attributes, Map<String, byte[]> entries) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        Path p = dir.resolve(name);
        try (OutputStream file = Files.newOutputStream(p); ZipOutputStream out = new ZipOutputStream(file)) {
            out.putNextEntry(new ZipEntry(JarFile.MANIFEST_NAME));
            m.write(out);
            out.closeEntry();
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return p;
    }

    private static Map<String, byte[]> contents(Path jar) throws IOException {
        Map<String, byte[]> all = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                all.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        }
        return all;
    }

    /** Each entry's method, compressed size, size and CRC, as the central directory gives them. */
    private static Map<String, List<Long>> raw(Path jar) throws IOException {
        Map<String, List<Long>> all = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                all.put(e.getName(), List.of((long) e.getMethod(), e.getCompressedSize(), e.getSize(), e.getCrc(),
                        e.getTime()));
            }
        }
        return all;
    }

    private static Map<String, byte[]> entries(String... namesAndTexts) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndTexts.length; i += 2) {
            m.put(namesAndTexts[i], namesAndTexts[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    @Test
    void aJarVersionedOnlyForItsModuleDescriptorLosesMultiReleaseAndNothingElse() throws IOException {
        Path p = jar("nd4j-api-1.0.0-M2.1.jar", Map.of("Multi-Release", "true", "Implementation-Title", "nd4j"),
                entries("META-INF/versions/9/module-info.class", "module", "org/nd4j/A.class", "class A",
                        "org/nd4j/b.txt", "resource"));
        FileTime modified = FileTime.fromMillis(1_600_000_000_000L);
        Files.setLastModifiedTime(p, modified);
        Map<String, byte[]> before = contents(p);
        Map<String, List<Long>> raw = raw(p);

        assertTrue(EmbeddedJars.strip(p));

        Map<String, byte[]> after = contents(p);
        Map<String, List<Long>> rawAfter = raw(p);
        for (String name : before.keySet()) {
            if (!name.equals(JarFile.MANIFEST_NAME)) {
                assertEquals(raw.get(name), rawAfter.get(name), name + ": copied as it was (method, sizes, CRC)");
            }
        }
        assertEquals(new ArrayList<>(before.keySet()), new ArrayList<>(after.keySet()), "the same entries in order");
        for (String name : before.keySet()) {
            if (!name.equals(JarFile.MANIFEST_NAME)) {
                assertArrayEquals(before.get(name), after.get(name), name);
            }
        }
        try (JarFile j = new JarFile(p.toFile())) {
            Attributes main = j.getManifest().getMainAttributes();
            assertNull(main.getValue("Multi-Release"));
            assertEquals("nd4j", main.getValue("Implementation-Title"), "the other attributes stay");
            assertFalse(j.isMultiRelease());
        }
        assertEquals(modified, Files.getLastModifiedTime(p), "the modification time stays");
        assertFalse(Files.exists(p.resolveSibling(p.getFileName() + ".tmp")));
        assertFalse(EmbeddedJars.strip(p), "a second build finds nothing to do");
    }

    @Test
    void storedEntriesAndTheArchiveCommentSurviveTheRewrite() throws IOException {
        Path p = dir.resolve("gson-2.13.2.jar");
        byte[] stored = "stored bytes".getBytes(StandardCharsets.UTF_8);
        try (OutputStream file = Files.newOutputStream(p); ZipOutputStream out = new ZipOutputStream(file)) {
            out.setComment("an archive comment");
            ZipEntry s = new ZipEntry("a/Stored.class");
            s.setMethod(ZipEntry.STORED);
            s.setSize(stored.length);
            s.setCompressedSize(stored.length);
            CRC32 crc = new CRC32();
            crc.update(stored);
            s.setCrc(crc.getValue());
            out.putNextEntry(s);
            out.write(stored);
            out.closeEntry();
            out.putNextEntry(new ZipEntry(JarFile.MANIFEST_NAME));
            out.write("Multi-Release: true\r\nCreated-By: a test\r\n\r\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            out.putNextEntry(new ZipEntry("META-INF/versions/9/module-info.class"));
            out.write(1);
            out.closeEntry();
        }
        assertTrue(EmbeddedJars.strip(p));
        try (ZipFile z = new ZipFile(p.toFile())) {
            assertEquals("an archive comment", z.getComment());
            assertArrayEquals(stored, z.getInputStream(z.getEntry("a/Stored.class")).readAllBytes());
            assertEquals(ZipEntry.STORED, z.getEntry("a/Stored.class").getMethod());
            assertEquals(List.of("a/Stored.class", JarFile.MANIFEST_NAME, "META-INF/versions/9/module-info.class"),
                    Collections.list(z.entries()).stream().map(ZipEntry::getName).toList());
        }
        try (JarFile j = new JarFile(p.toFile())) {
            // (a manifest without a version: the JDK would write no main attributes at all)
            assertNull(j.getManifest().getMainAttributes().getValue("Multi-Release"));
            assertEquals("a test", j.getManifest().getMainAttributes().getValue("Created-By"));
        }
    }

    @Test
    void aJarWithVersionedClassesKeepsItsHeaderAndBytes() throws IOException {
        Path p = jar("lib-1.0.jar", Map.of("Multi-Release", "true"), entries(
                "META-INF/versions/9/module-info.class", "module", "META-INF/versions/11/a/B.class", "B for 11",
                "a/B.class", "B"));
        byte[] before = Files.readAllBytes(p);
        assertFalse(EmbeddedJars.strip(p));
        assertArrayEquals(before, Files.readAllBytes(p));
    }

    @Test
    void aJarThatIsNotMultiReleaseIsLeftAlone() throws IOException {
        Path p = jar("jackson-1.0.0-M2.1.jar", Map.of(), entries("a/B.class", "B"));
        byte[] before = Files.readAllBytes(p);
        assertFalse(EmbeddedJars.strip(p));
        assertArrayEquals(before, Files.readAllBytes(p));
    }

    @Test
    void theJarsAStartLoadsMostFromComeFirstThenTheRestByName() {
        List<String> names = List.of("byteunits-0.9.1.jar", "commons-io-2.16.1.jar",
                "dnnl-2.5.2-1.5.7-linux-x86_64.jar", "dnnl-2.5.2-1.5.7.jar", "gson-2.13.2.jar",
                "jackson-1.0.0-M2.1.jar", "javacpp-1.5.7-linux-x86_64.jar", "javacpp-1.5.7.jar",
                "nd4j-api-1.0.0-M2.1.jar", "nd4j-native-1.0.0-M2.1-linux-x86_64-onednn-avx512.jar",
                "nd4j-native-1.0.0-M2.1.jar", "nd4j-native-api-1.0.0-M2.1.jar", "opencl-3.0-1.5.7.jar",
                "oshi-core-3.4.2.jar", "protobuf-1.0.0-M2.1.jar");
        assertEquals(List.of("lib/nd4j-api-1.0.0-M2.1.jar", "lib/nd4j-native-1.0.0-M2.1.jar",
                "lib/dnnl-2.5.2-1.5.7.jar", "lib/protobuf-1.0.0-M2.1.jar", "lib/javacpp-1.5.7.jar",
                "lib/opencl-3.0-1.5.7.jar", "lib/nd4j-native-api-1.0.0-M2.1.jar", "lib/commons-io-2.16.1.jar",
                // the rest by name: native libraries (a platform classifier) and jars a start reads little from
                // (ND4J's shaded Jackson none: the bundle's OnnxDescriptorParser)
                "lib/byteunits-0.9.1.jar", "lib/dnnl-2.5.2-1.5.7-linux-x86_64.jar", "lib/gson-2.13.2.jar",
                "lib/jackson-1.0.0-M2.1.jar", "lib/javacpp-1.5.7-linux-x86_64.jar",
                "lib/nd4j-native-1.0.0-M2.1-linux-x86_64-onednn-avx512.jar", "lib/oshi-core-3.4.2.jar"),
                EmbeddedJars.classPath(names, "lib/"));
    }

    /** Two jars of one class each in a folder of their own; the build step's exception, or null. */
    private IllegalStateException twoJars(String first, String firstBytes, String second, String secondBytes)
            throws IOException {
        Path jars = Files.createDirectories(dir.resolve("embedded-" + first + "-" + second));
        Path saved = dir;
        dir = jars;
        jar(first, Map.of(), entries("org/x/Same.class", firstBytes, "META-INF/versions/9/module-info.class", "m"));
        jar(second, Map.of(), entries("org/x/Same.class", secondBytes, "META-INF/versions/9/module-info.class", "m"));
        dir = saved;
        Path bnd = dir.resolve(first + ".bnd");
        try {
            EmbeddedJars.main(new String[] {jars.toString(), bnd.toString(), "lib/", dir.resolve("none").toString()});
            assertTrue(Files.exists(bnd));
            return null;
        } catch (IllegalStateException e) {
            assertFalse(Files.exists(bnd));
            return e;
        }
    }

    @Test
    void theBuildFailsWhereTheOrderWouldLoadAClassFromAnotherJar() throws IOException {
        // by name a-1.0 first; in the order, JavaCPP first
        IllegalStateException e = twoJars("a-1.0.jar", "one", "javacpp-1.5.7.jar", "two");
        assertTrue(e != null && e.getMessage().contains("org/x/Same.class in a-1.0.jar and javacpp-1.5.7.jar"
                + " with different bytes, and the Bundle-ClassPath's order would load it from javacpp-1.5.7.jar"
                + " instead of a-1.0.jar"), String.valueOf(e));
    }

    @Test
    void aClassInTwoJarsIsAllowedWhereTheOrderLoadsTheSameBytes() throws IOException {
        assertNull(twoJars("a-1.0.jar", "same", "javacpp-1.5.7.jar", "same"), "the same bytes in both");
        assertNull(twoJars("a-1.0.jar", "one", "b-1.0.jar", "two"), "a-1.0 first in both orders");
    }

    @Test
    void theBuildStepStripsTheFolderAndWritesTheClassPathForBnd() throws IOException {
        Path jars = Files.createDirectories(dir.resolve("embedded"));
        Path saved = dir;
        dir = jars;
        jar("gson-2.13.2.jar", Map.of("Multi-Release", "true"), entries("META-INF/versions/9/module-info.class", "m",
                "com/google/gson/Gson.class", "Gson"));
        jar("nd4j-api-1.0.0-M2.1.jar", Map.of(), entries("org/nd4j/A.class", "A".repeat(100), ONNX + ".class",
                "ND4J's parser"));
        jar("nd4j-native-1.0.0-M2.1-linux-x86_64.jar", Map.of(), entries("org/nd4j/lib.so", "L".repeat(100)));
        // what a build stopped during a rewrite left
        Files.writeString(jars.resolve("gson-2.13.2.jar.tmp"), "partial");
        dir = saved;
        Path bnd = dir.resolve("out/embedded-classpath.bnd");
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes.resolve(ONNX).getParent());
        Files.writeString(classes.resolve(ONNX + ".class"), "jgan's parser");
        Files.writeString(classes.resolve(ONNX + "$OnFirstRead.class"), "jgan's map");

        EmbeddedJars.main(new String[] {jars.toString(), bnd.toString(), "lib/", classes.toString()});

        assertTrue(Files.readString(bnd).contains("\nembedded.classpath: lib/nd4j-api-1.0.0-M2.1.jar,"
                + "lib/gson-2.13.2.jar,lib/nd4j-native-1.0.0-M2.1-linux-x86_64.jar\n"), Files.readString(bnd));
        try (JarFile j = new JarFile(jars.resolve("gson-2.13.2.jar").toFile())) {
            assertFalse(j.isMultiRelease());
        }
        assertFalse(Files.exists(jars.resolve("gson-2.13.2.jar.tmp")), "the partial rewrite is gone");
        // the jar a start loads most classes from stored, the others (native libraries, Gson) as they were
        assertEquals(List.of((long) ZipEntry.STORED), methods(jars.resolve("nd4j-api-1.0.0-M2.1.jar")));
        assertEquals(List.of((long) ZipEntry.DEFLATED),
                methods(jars.resolve("nd4j-native-1.0.0-M2.1-linux-x86_64.jar")));
        assertEquals(List.of((long) ZipEntry.STORED, (long) ZipEntry.DEFLATED),
                methods(jars.resolve("gson-2.13.2.jar")), "Gson's manifest stored (strip rewrote it), the rest not");
        // ND4J's ONNX descriptor parser replaced by the bundle's, which came with a nested class
        Map<String, byte[]> api = contents(jars.resolve("nd4j-api-1.0.0-M2.1.jar"));
        assertEquals("jgan's parser", new String(api.get(ONNX + ".class"), StandardCharsets.UTF_8));
        assertEquals("jgan's map", new String(api.get(ONNX + "$OnFirstRead.class"), StandardCharsets.UTF_8));
    }

    /** ND4J's class that the bundle replaces (EmbeddedJars.PATCHED). */
    private static final String ONNX = "org/nd4j/imports/descriptors/onnx/OnnxDescriptorParser";

    @Test
    void aReplacedClassKeepsItsPlaceItsNestedClassesAreTheNewOnesAndNothingElseChanges() throws IOException {
        Path p = jar("nd4j-api-1.0.0-M2.1.jar", Map.of(), entries("org/nd4j/A.class", "class A ".repeat(200),
                "org/nd4j/P.class", "ND4J's P", "org/nd4j/P$Old.class", "ND4J's nested class",
                "org/nd4j/P2.class", "another class whose name begins with P", "org/nd4j/B.class", "class B"));
        FileTime modified = FileTime.fromMillis(1_600_000_000_000L);
        Files.setLastModifiedTime(p, modified);
        Map<String, List<Long>> before = raw(p);
        Map<String, byte[]> bytes = contents(p);
        Map<String, byte[]> replacement = entries("org/nd4j/P.class", "jgan's P", "org/nd4j/P$New.class",
                "jgan's nested class");

        assertTrue(EmbeddedJars.patch(p, "org/nd4j/P", replacement));

        Map<String, List<Long>> after = raw(p);
        assertEquals(List.of(JarFile.MANIFEST_NAME, "org/nd4j/A.class", "org/nd4j/P.class", "org/nd4j/P2.class",
                "org/nd4j/B.class", "org/nd4j/P$New.class"), List.copyOf(after.keySet()),
                "P in its place, ND4J's nested class gone, the new one added at the end");
        Map<String, byte[]> now = contents(p);
        assertEquals("jgan's P", new String(now.get("org/nd4j/P.class"), StandardCharsets.UTF_8));
        assertEquals("jgan's nested class", new String(now.get("org/nd4j/P$New.class"), StandardCharsets.UTF_8));
        assertEquals(ZipEntry.STORED, after.get("org/nd4j/P.class").get(0));
        assertEquals(before.get("org/nd4j/P.class").get(4), after.get("org/nd4j/P.class").get(4), "P's time kept");
        for (String other : List.of(JarFile.MANIFEST_NAME, "org/nd4j/A.class", "org/nd4j/P2.class",
                "org/nd4j/B.class")) {
            assertArrayEquals(bytes.get(other), now.get(other), other);
            assertEquals(before.get(other), after.get(other), other + ": its method, sizes, CRC and time");
        }
        assertEquals(modified, Files.getLastModifiedTime(p), "the jar's modification time kept");
        assertFalse(Files.exists(p.resolveSibling(p.getFileName() + ".tmp")));
        assertFalse(EmbeddedJars.patch(p, "org/nd4j/P", replacement), "replaced already: left alone");
        assertTrue(EmbeddedJars.patch(p, "org/nd4j/P", entries("org/nd4j/P.class", "jgan's P, changed")),
                "a changed class replaces the one a build put there before");
        assertEquals(List.of(JarFile.MANIFEST_NAME, "org/nd4j/A.class", "org/nd4j/P.class", "org/nd4j/P2.class",
                "org/nd4j/B.class"), List.copyOf(raw(p).keySet()), "its nested class no longer there either");
    }

    @Test
    void aJarWithoutTheClassToReplaceOrAClassNotCompiledFailsTheBuild() throws IOException {
        Path p = jar("nd4j-api-1.0.0-M2.2.jar", Map.of(), entries("org/nd4j/A.class", "class A"));
        IllegalStateException noClass = assertThrows(IllegalStateException.class,
                () -> EmbeddedJars.patch(p, "org/nd4j/P", entries("org/nd4j/P.class", "jgan's P")));
        assertEquals("nd4j-api-1.0.0-M2.2.jar has no org/nd4j/P.class for the bundle's version to replace "
                + "(EmbeddedJars.PATCHED): check that version against the library's", noClass.getMessage());
        IllegalStateException notCompiled = assertThrows(IllegalStateException.class,
                () -> EmbeddedJars.compiled(dir.resolve("classes"), "org/nd4j/P"));
        assertTrue(notCompiled.getMessage().endsWith("P.class is missing: the bundle's version of org/nd4j/P "
                + "(EmbeddedJars.PATCHED) was not compiled"), notCompiled.getMessage());
    }

    @Test
    void theClassesToReplaceAreNd4jApisOnnxDescriptorParserFoundWithItsNestedClasses() throws IOException {
        assertEquals(List.of(ONNX), EmbeddedJars.patchedIn("nd4j-api-1.0.0-M2.1.jar"));
        assertEquals(List.of(), EmbeddedJars.patchedIn("nd4j-api-parent-1.0.0-M2.1.jar"));
        assertEquals(List.of(), EmbeddedJars.patchedIn("nd4j-api-1.0.0-M2.1-linux-x86_64.jar"));
        assertEquals(List.of(), EmbeddedJars.patchedIn("nd4j-native-1.0.0-M2.1.jar"));
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes.resolve("org/nd4j"));
        for (String f : List.of("P.class", "P$A.class", "P$A$B.class", "P2.class", "Q.class", "P$notes.txt")) {
            Files.writeString(classes.resolve("org/nd4j/" + f), f);
        }
        assertEquals(List.of("org/nd4j/P$A$B.class", "org/nd4j/P$A.class", "org/nd4j/P.class"),
                List.copyOf(EmbeddedJars.compiled(classes, "org/nd4j/P").keySet()));
    }

    /** The compression methods of the jar's entries, each once, in ascending order. */
    private static List<Long> methods(Path jar) throws IOException {
        return raw(jar).values().stream().map(r -> r.get(0)).distinct().sorted().toList();
    }

    @Test
    void aJarIsStoredWithTheSameEntriesBytesTimesAndOrder() throws IOException {
        Path p = jar("nd4j-api-1.0.0-M2.1.jar", Map.of("Created-By", "test"), entries("org/", "",
                "org/nd4j/A.class", "class A ".repeat(200), "onnxops.json", "{\"descriptors\": []}".repeat(50),
                "org/nd4j/B.class", "class B ".repeat(300)));
        FileTime modified = FileTime.fromMillis(1_600_000_000_000L);
        Files.setLastModifiedTime(p, modified);
        Map<String, List<Long>> before = raw(p);
        Map<String, byte[]> bytes = contents(p);
        assertTrue(before.values().stream().allMatch(r -> r.get(0) == ZipEntry.DEFLATED), "written deflated");

        assertTrue(EmbeddedJars.store(p));

        Map<String, List<Long>> after = raw(p);
        assertEquals(List.copyOf(before.keySet()), List.copyOf(after.keySet()), "the same entries in the same order");
        for (Map.Entry<String, List<Long>> e : after.entrySet()) {
            List<Long> was = before.get(e.getKey());
            List<Long> is = e.getValue();
            assertEquals(List.of((long) ZipEntry.STORED, was.get(2), was.get(2), was.get(3), was.get(4)), is,
                    e.getKey() + ": stored, with its size, CRC and time");
        }
        Map<String, byte[]> now = contents(p);
        bytes.forEach((name, b) -> assertArrayEquals(b, now.get(name), name));
        try (JarFile j = new JarFile(p.toFile())) {
            assertEquals("test", j.getManifest().getMainAttributes().getValue("Created-By"));
        }
        assertEquals(modified, Files.getLastModifiedTime(p), "the jar's modification time kept");
        assertFalse(Files.exists(p.resolveSibling(p.getFileName() + ".tmp")));
        assertFalse(EmbeddedJars.store(p), "nothing left to store");
    }
}
