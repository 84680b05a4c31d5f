package org.jgan.nd4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Build step for the jars this bundle embeds on its {@code Bundle-ClassPath} (bnd.bnd), for the way Felix loads a
 * class from them: it asks each jar in the order of the {@code Bundle-ClassPath} until one has the class, and a jar
 * whose manifest says {@code Multi-Release: true} is asked for {@code META-INF/versions/N/<class>} for every Java
 * version N from the running one down to 9 before the class itself (Felix 7's {@code MultiReleaseContent}): ten zip
 * lookups per jar for each class it does not hold. Fifteen of the embedded jars say so, and a start loads about
 * 2,700 classes from this bundle (the op registry's and the 547 JNI binding classes among them), so that the
 * searches were a measurable part of loading ND4J (2026-12-05: {@code ND4J ready} 650-690 against 525-560 ms, the op
 * registry 540-660 against 490-570, each alternating 8 starts).
 * <ol>
 * <li>{@link #strip}: removes {@code Multi-Release} from the manifest of a jar whose only versioned entries are
 * {@code module-info.class} (all fifteen: a module descriptor, which no OSGi class loader reads), so that Felix
 * asks it once per class. A jar with other versioned entries keeps its header; entries and bytes are otherwise
 * unchanged.</li>
 * <li>{@link #classPath}: the {@code Bundle-ClassPath} with the jars that hold most of the classes a start loads first
 * ({@link #FIRST}, counted with {@code -Xlog:class+load}), then the rest by name. No class is in two of the jars (the
 * only entries in more than one are manifests, {@code module-info.class}, GraalVM configurations and one service file,
 * which {@code getResources} reads from all of them alike), so the order changes no class's jar.</li>
 * </ol>
 * {@link #main} does both on the folder the build gathers the jars in and writes the class path as a bnd property file
 * that bnd.bnd includes.
 */
public final class EmbeddedJars {

    /**
     * The jars that hold most of the classes a start loads, in the order of their counts (nd4j-api 998, nd4j-native
     * 576, ND4J's shaded Jackson 469 and protobuf 183, Gson 142, JavaCPP 72, ND4J's Guava 54, ...): artifact names;
     * a jar with a platform classifier (native libraries) never counts as one of them.
     */
    static final List<String> FIRST = List.of("nd4j-api", "nd4j-native", "nd4j-cuda-11.6", "jackson", "protobuf",
            "gson", "javacpp", "guava", "nd4j-common", "commons-collections4", "slf4j-api", "nd4j-native-api",
            "openblas", "commons-io", "flatbuffers-java", "slf4j-simple", "commons-math3");

    /** A platform classifier at the end of a jar's name. */
    private static final Pattern PLATFORM = Pattern.compile(".*-(linux|macosx|windows|android|ios)-[^-]+(-[^-]+)*\\.jar");

    private static final Attributes.Name MULTI_RELEASE = new Attributes.Name("Multi-Release");

    private EmbeddedJars() {
    }

    /**
     * Build step: {@code args[0]} the folder of embedded jars (each stripped where it can be), {@code args[1]} the bnd
     * file to write, {@code args[2]} the prefix of the jars inside the bundle ({@code lib/}).
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            throw new IllegalArgumentException("expected the jar folder, the bnd file to write and the bundle's "
                    + "folder prefix; got " + args.length + " arguments");
        }
        Path dir = Path.of(args[0]);
        List<String> names = new ArrayList<>();
        try (Stream<Path> jars = Files.list(dir)) {
            for (Path jar : jars.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                if (strip(jar)) {
                    System.out.println("embedded jars: Multi-Release removed from " + jar.getFileName());
                }
                names.add(jar.getFileName().toString());
            }
        }
        if (names.isEmpty()) {
            throw new IllegalStateException(dir + " has no jars to embed");
        }
        Path out = Path.of(args[1]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, "# written by " + EmbeddedJars.class.getName() + " (bundles/org.jgan.nd4j/pom.xml)\n"
                + "embedded.classpath: " + String.join(",", classPath(names, args[2])) + "\n");
    }

    /**
     * The class path entries for these jar names, {@code prefix} before each: the {@link #FIRST} ones in that order,
     * then the others by name.
     */
    static List<String> classPath(List<String> names, String prefix) {
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(Comparator.comparingInt(EmbeddedJars::rank).thenComparing(Comparator.naturalOrder()));
        return sorted.stream().map(n -> prefix + n).toList();
    }

    /** The jar's place in {@link #FIRST}, or past its end. */
    static int rank(String name) {
        if (PLATFORM.matcher(name).matches()) {
            return FIRST.size();
        }
        for (int i = 0; i < FIRST.size(); i++) {
            // the artifact's name followed by its version (nd4j-native-1.0.0-M2.1.jar, not nd4j-native-api-...)
            String artifact = FIRST.get(i);
            if (name.startsWith(artifact + "-") && name.length() > artifact.length() + 1
                    && Character.isDigit(name.charAt(artifact.length() + 1))) {
                return i;
            }
        }
        return FIRST.size();
    }

    /**
     * Removes {@code Multi-Release} from the jar's manifest where its only versioned entries are
     * {@code module-info.class}; returns whether it did. The jar is written anew beside it and renamed over it (same
     * entries, in the same order, with the same times and bytes, but the manifest), keeping its modification time.
     */
    static boolean strip(Path jar) throws IOException {
        Manifest manifest;
        try (JarFile in = new JarFile(jar.toFile(), false)) {
            manifest = in.getManifest();
            if (manifest == null || !"true".equalsIgnoreCase(manifest.getMainAttributes().getValue(MULTI_RELEASE))) {
                return false;
            }
            Enumeration<JarEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                String name = entries.nextElement().getName();
                if (name.startsWith("META-INF/versions/") && !name.endsWith("/")
                        && !name.endsWith("/module-info.class")) {
                    return false;
                }
            }
        }
        manifest.getMainAttributes().remove(MULTI_RELEASE);
        FileTime modified = Files.getLastModifiedTime(jar);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try (ZipFile in = new ZipFile(jar.toFile()); OutputStream file = Files.newOutputStream(tmp);
                ZipOutputStream out = new ZipOutputStream(file)) {
            Enumeration<? extends ZipEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                if (e.getComment() != null) {
                    copy.setComment(e.getComment());
                }
                if (e.getExtra() != null) {
                    copy.setExtra(e.getExtra());
                }
                out.putNextEntry(copy);
                if (e.getName().equals(JarFile.MANIFEST_NAME)) {
                    manifest.write(out);
                } else {
                    try (InputStream data = in.getInputStream(e)) {
                        data.transferTo(out);
                    }
                }
                out.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.setLastModifiedTime(tmp, modified);
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }
}
