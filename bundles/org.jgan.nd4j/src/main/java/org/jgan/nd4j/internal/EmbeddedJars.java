package org.jgan.nd4j.internal;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Build step for the jars this bundle embeds on its {@code Bundle-ClassPath} (bnd.bnd), for the way Felix loads a class
 * from them: it asks each jar in the order of the {@code Bundle-ClassPath} until one has the class, and a jar whose
 * manifest says {@code Multi-Release: true} is asked for {@code META-INF/versions/N/<class>} for every Java version N
 * from the running one down to 9 before the class itself (Felix 7's {@code MultiReleaseContent}): ten zip lookups on
 * Java 17 for every class asked of that jar, held or not. Fifteen of the embedded jars say so, and a start loads about
 * 2,700 classes from this bundle (the op registry's and the 547 JNI binding classes among them), so that the searches
 * were a measurable part of loading ND4J (2026-12-05, alternating 8 starts: {@code ND4J ready in} 690 against 561 ms
 * and the op registry 598 against 491 ms, before and after both changes).
 * <ol>
 * <li>{@link #strip}: removes {@code Multi-Release} from the manifest of a jar whose only versioned entries are
 * {@code module-info.class} (all fifteen: a module descriptor, which no OSGi class loader reads), so that Felix
 * asks it once per class. A jar with other versioned entries keeps its header; entries and bytes are otherwise
 * unchanged.</li>
 * <li>{@link #classPath}: the {@code Bundle-ClassPath} with the jars that hold most of the classes a start loads first
 * ({@link #FIRST}, counted with {@code -Xlog:class+load}), then the rest by name. No class is in two of the jars (the
 * other entries in more than one are manifests, licence and notice files, Maven's metadata, GraalVM configurations
 * and one service file, which {@code getResources} reads from all of them alike), so the order changes no class's
 * jar; {@link #main} fails the build where it would (a class in two jars with different bytes, the first of them
 * another than by name).</li>
 * <li>{@link #store}: the {@link #FIRST} jars with every entry stored instead of deflated. Felix reads the bytes of
 * every class it loads from them, also of one the JVM then maps from the runtime's class-data sharing archive, and
 * inflating them was a fifth of the time SameDiff's op registry took to build at a start (its 625 op classes; the
 * registry 427 against 522 ms, {@code ND4J ready in} 570 against 586, medians of 8 alternating starts, 2026-12-07).
 * The laid-out runtime's folder grows by 38 MB; the bundle, which deflates its embedded jars, does not (the runtime's
 * jar 356.5 MB against 362.1).</li>
 * <li>{@link #patch}: the classes of {@link #PATCHED}, compiled from this bundle's sources, in the place of ND4J's
 * (the same binary names in the same jar, so that the class path's order and the other classes stay as they are;
 * the bundle's own folder does not carry them, its pom.xml leaving them out of the bundle's jar).</li>
 * </ol>
 * {@link #main} does all four on the folder the build gathers the jars in and writes the class path as a bnd
 * property file that bnd.bnd includes.
 */
public final class EmbeddedJars {

    /**
     * The jars that hold most of the classes a start loads, in the order of their counts (the default run,
     * {@code -Xshare:off}, 2026-12-08: nd4j-api 984, nd4j-native 576, oneDNN's binding 200 and the OpenCL binding 66
     * that it extends, which the activator loads before it offers ND4J, ND4J's shaded protobuf 95, JavaCPP 78, ND4J's
     * Guava 54, ...; ND4J's shaded Jackson none since the bundle's {@code OnnxDescriptorParser} (469 on 2026-12-07),
     * the embedded Gson none, the framework's own Gson bundle serving jgan): artifact names; a jar with a platform
     * classifier (native libraries) never counts as one of them. {@link #main} also stores their entries
     * ({@link #store}).
     */
    static final List<String> FIRST = List.of("nd4j-api", "nd4j-native", "nd4j-cuda-11.6", "dnnl",
            "protobuf", "javacpp", "opencl", "guava", "nd4j-common", "commons-collections4", "nd4j-native-api",
            "openblas", "commons-io", "slf4j-api", "flatbuffers-java", "slf4j-simple", "commons-math3");

    /**
     * ND4J's classes that this bundle replaces, by the artifact whose jar holds them (internal names, each with its
     * nested classes): {@code OnnxDescriptorParser}, which parsed ND4J's ONNX op descriptors with Jackson whenever
     * SameDiff's op registry was built, at every start, for ONNX import alone; this bundle's version parses them when
     * they are first read (its Javadoc).
     */
    static final Map<String, List<String>> PATCHED =
            Map.of("nd4j-api", List.of("org/nd4j/imports/descriptors/onnx/OnnxDescriptorParser"));

    /** A platform classifier at the end of a jar's name. */
    private static final Pattern PLATFORM =
            Pattern.compile(".*-(linux|macosx|windows|android|ios)-[^-]+(-[^-]+)*\\.jar");

    private static final Attributes.Name MULTI_RELEASE = new Attributes.Name("Multi-Release");

    private EmbeddedJars() {
    }

    /**
     * Build step: {@code args[0]} the folder of embedded jars (each stripped where it can be), {@code args[1]} the bnd
     * file to write, {@code args[2]} the prefix of the jars inside the bundle ({@code lib/}), {@code args[3]} the
     * folder of this bundle's compiled classes, which holds the {@link #PATCHED} ones.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            throw new IllegalArgumentException("expected the jar folder, the bnd file to write, the bundle's folder "
                    + "prefix and the folder of the compiled classes; got " + args.length + " arguments");
        }
        Path dir = Path.of(args[0]);
        List<String> names = new ArrayList<>();
        try (Stream<Path> stale = Files.list(dir)) {
            // what a build stopped during a rewrite left (bnd would put it into the bundle)
            for (Path p : stale.filter(p -> p.getFileName().toString().endsWith(".jar.tmp")).toList()) {
                Files.delete(p);
            }
        }
        try (Stream<Path> jars = Files.list(dir)) {
            for (Path jar : jars.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                if (strip(jar)) {
                    System.out.println("embedded jars: Multi-Release removed from " + jar.getFileName());
                }
                if (rank(jar.getFileName().toString()) < FIRST.size() && store(jar)) {
                    System.out.println("embedded jars: entries stored in " + jar.getFileName());
                }
                for (String patched : patchedIn(jar.getFileName().toString())) {
                    if (patch(jar, patched, compiled(Path.of(args[3]), patched))) {
                        System.out.println("embedded jars: " + patched + " replaced in " + jar.getFileName());
                    }
                }
                names.add(jar.getFileName().toString());
            }
        }
        if (names.isEmpty()) {
            throw new IllegalStateException(dir + " has no jars to embed");
        }
        List<String> order = classPath(names, "");
        String moved = classMoved(dir, names, order);
        if (moved != null) {
            throw new IllegalStateException("the embedded jars hold " + moved + " (EmbeddedJars)");
        }
        Path out = Path.of(args[1]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, "# written by " + EmbeddedJars.class.getName() + " (bundles/org.jgan.nd4j/pom.xml)\n"
                + "embedded.classpath: " + String.join(",", order.stream().map(n -> args[2] + n).toList()) + "\n");
    }

    /**
     * A class that two of the jars hold with different bytes and that the {@code order} would load from another jar
     * than the order by name (bnd's, before this step) did, named with its jars; or null. ({@code module-info.class}
     * and versioned entries aside.)
     */
    static String classMoved(Path dir, List<String> names, List<String> order) throws IOException {
        // per class, the jars holding it with the CRC of its bytes there
        Map<String, Map<String, Long>> holders = new HashMap<>();
        for (String name : names) {
            try (ZipFile z = new ZipFile(dir.resolve(name).toFile())) {
                Enumeration<? extends ZipEntry> entries = z.entries();
                while (entries.hasMoreElements()) {
                    ZipEntry e = entries.nextElement();
                    String entry = e.getName();
                    if (entry.endsWith(".class") && !entry.endsWith("module-info.class")
                            && !entry.startsWith("META-INF/")) {
                        holders.computeIfAbsent(entry, k -> new HashMap<>()).put(name, e.getCrc());
                    }
                }
            }
        }
        List<String> byName = new ArrayList<>(names);
        byName.sort(Comparator.naturalOrder());
        for (Map.Entry<String, Map<String, Long>> c : holders.entrySet()) {
            Map<String, Long> jars = c.getValue();
            if (jars.size() < 2 || jars.values().stream().distinct().count() < 2) {
                continue;
            }
            String before = byName.stream().filter(jars::containsKey).findFirst().orElseThrow();
            String now = order.stream().filter(jars::containsKey).findFirst().orElseThrow();
            if (!before.equals(now)) {
                return c.getKey() + " in " + String.join(" and ", new TreeSet<>(jars.keySet()))
                        + " with different bytes, and the Bundle-ClassPath's order would load it from " + now
                        + " instead of " + before;
            }
        }
        return null;
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
            if (isArtifact(name, FIRST.get(i))) {
                return i;
            }
        }
        return FIRST.size();
    }

    /** Whether the jar's name is the artifact's followed by its version (not nd4j-native-api-... for nd4j-native). */
    private static boolean isArtifact(String name, String artifact) {
        return name.startsWith(artifact + "-") && name.length() > artifact.length() + 1
                && Character.isDigit(name.charAt(artifact.length() + 1));
    }

    /** The {@link #PATCHED} classes that the jar of this name holds (none for a jar with a platform classifier). */
    static List<String> patchedIn(String name) {
        if (PLATFORM.matcher(name).matches()) {
            return List.of();
        }
        return PATCHED.entrySet().stream().filter(e -> isArtifact(name, e.getKey()))
                .flatMap(e -> e.getValue().stream()).toList();
    }

    /**
     * The compiled class {@code name} (internal name) and its nested classes from the folder of compiled classes, by
     * entry name ({@code name.class}, {@code name$Nested.class}).
     *
     * @throws IllegalStateException when the folder has no {@code name.class}
     */
    static Map<String, byte[]> compiled(Path classes, String name) throws IOException {
        Path outer = classes.resolve(name + ".class");
        if (!Files.isRegularFile(outer)) {
            throw new IllegalStateException(outer + " is missing: the bundle's version of " + name
                    + " (EmbeddedJars.PATCHED) was not compiled");
        }
        String simple = outer.getFileName().toString().replace(".class", "");
        String folder = name.substring(0, name.lastIndexOf('/') + 1);
        Map<String, byte[]> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(outer.getParent())) {
            for (Path f : files.sorted().toList()) {
                String file = f.getFileName().toString();
                if (file.equals(simple + ".class") || file.startsWith(simple + "$") && file.endsWith(".class")) {
                    found.put(folder + file, Files.readAllBytes(f));
                }
            }
        }
        return found;
    }

    /**
     * Replaces the class {@code name} (internal name) and its nested classes in the jar by {@code classes} (entry name
     * to bytes, as {@link #compiled} reads them): the class's entry keeps its place, written stored, nested classes
     * the jar has and {@code classes} has not are left out, and those it has not are added at the end; every other
     * entry is the same, the file's modification time kept. Returns whether it rewrote the jar (false where it holds
     * these classes already).
     *
     * @throws IllegalStateException when the jar has no {@code name.class} to replace (another version of the
     *         library, whose class this bundle's version may no longer match)
     */
    static boolean patch(Path jar, String name, Map<String, byte[]> classes) throws IOException {
        String outer = name + ".class";
        // the class's entry and those of its nested classes
        Predicate<String> replaced = entry -> entry.equals(outer) || entry.startsWith(name + "$")
                && entry.endsWith(".class");
        boolean current;
        try (ZipFile z = new ZipFile(jar.toFile())) {
            if (z.getEntry(outer) == null) {
                throw new IllegalStateException(jar.getFileName() + " has no " + outer + " for the bundle's version "
                        + "to replace (EmbeddedJars.PATCHED): check that version against the library's");
            }
            Map<String, byte[]> held = new TreeMap<>();
            for (ZipEntry e : z.stream().filter(e -> replaced.test(e.getName())).toList()) {
                try (InputStream in = z.getInputStream(e)) {
                    held.put(e.getName(), in.readAllBytes());
                }
            }
            current = held.keySet().equals(classes.keySet())
                    && held.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), classes.get(e.getKey())));
        }
        if (current) {
            return false;
        }
        long added = Files.getLastModifiedTime(jar).toMillis();
        rewrite(jar, (z, out) -> {
            Map<String, byte[]> toAdd = new TreeMap<>(classes);
            for (ZipEntry e : Collections.list(z.entries())) {
                String entry = e.getName();
                if (replaced.test(entry)) {
                    byte[] replacement = toAdd.remove(entry);
                    if (replacement != null) {
                        putStored(out, entry, replacement, e.getTime());
                    }
                    continue;
                }
                byte[] data;
                try (InputStream in = z.getInputStream(e)) {
                    data = in.readAllBytes();
                }
                ZipEntry copy = copyOf(e);
                if (e.getMethod() == ZipEntry.STORED) {
                    putStored(out, copy, data);
                } else {
                    out.putNextEntry(copy);
                    out.write(data);
                    out.closeEntry();
                }
            }
            for (Map.Entry<String, byte[]> e : toAdd.entrySet()) {
                putStored(out, e.getKey(), e.getValue(), added);
            }
        });
        return true;
    }

    /** Writes a jar's entries into its rewrite. */
    private interface Entries {
        void write(ZipFile in, ZipOutputStream out) throws IOException;
    }

    /**
     * Writes the jar anew beside it, its archive comment kept and its entries as {@code entries} writes them, and
     * renames that over it, keeping its modification time (nothing left beside it when writing fails).
     */
    private static void rewrite(Path jar, Entries entries) throws IOException {
        FileTime modified = Files.getLastModifiedTime(jar);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try (ZipFile z = new ZipFile(jar.toFile());
                ZipOutputStream out = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            if (z.getComment() != null) {
                out.setComment(z.getComment());
            }
            entries.write(z, out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.setLastModifiedTime(tmp, modified);
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A new entry of {@code e}'s name, time and comment. */
    private static ZipEntry copyOf(ZipEntry e) {
        ZipEntry copy = new ZipEntry(e.getName());
        copy.setTime(e.getTime());
        if (e.getComment() != null) {
            copy.setComment(e.getComment());
        }
        return copy;
    }

    private static void putStored(ZipOutputStream out, String name, byte[] data, long time) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setTime(time);
        putStored(out, e, data);
    }

    private static void putStored(ZipOutputStream out, ZipEntry e, byte[] data) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        e.setCrc(crc.getValue());
        out.putNextEntry(e);
        out.write(data);
        out.closeEntry();
    }

    /**
     * Removes {@code Multi-Release} from the jar's manifest where its only versioned entries are
     * {@code module-info.class}; returns whether it did. The jar is written anew beside it and renamed over it, keeping
     * its modification time: every other entry copied as it lies in the file (local header, compressed data, data
     * descriptor: no inflating and deflating, so that a jar of native libraries takes the time of a copy), the
     * manifest written stored, and the central directory with the entries' new offsets, in the same order. A ZIP64
     * jar is left as it is.
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
        // (without a version the JDK writes no main attributes at all)
        manifest.getMainAttributes().putIfAbsent(Attributes.Name.MANIFEST_VERSION, "1.0");
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        manifest.write(text);
        FileTime modified = Files.getLastModifiedTime(jar);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        boolean written;
        try (FileChannel in = FileChannel.open(jar, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            written = RawZip.rewrite(in, out, JarFile.MANIFEST_NAME, text.toByteArray());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (!written) {
            Files.deleteIfExists(tmp);
            return false;
        }
        Files.setLastModifiedTime(tmp, modified);
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /**
     * Rewrites the jar with every entry stored instead of deflated, in the same order, with the same names, bytes,
     * times and comments, keeping the file's modification time; returns whether it did (false where every entry was
     * stored already). Felix reads a class's bytes from its jar for every class it loads, also for one the JVM then
     * maps from the class-data sharing archive (which checks the bytes' size and CRC against the archived class), so
     * that a start inflated every class it loaded from these jars.
     */
    static boolean store(Path jar) throws IOException {
        try (ZipFile z = new ZipFile(jar.toFile())) {
            if (z.stream().allMatch(e -> e.getMethod() == ZipEntry.STORED)) {
                return false;
            }
        }
        rewrite(jar, (z, out) -> {
            for (ZipEntry e : Collections.list(z.entries())) {
                byte[] data;
                try (InputStream in = z.getInputStream(e)) {
                    data = in.readAllBytes();
                }
                putStored(out, copyOf(e), data);
            }
        });
        return true;
    }

    /** A zip file rewritten with one entry's data replaced and every other entry copied byte for byte. */
    static final class RawZip {

        private static final int LOCAL = 0x04034b50;
        private static final int CENTRAL = 0x02014b50;
        private static final int END = 0x06054b50;

        private RawZip() {
        }

        /**
         * Copies the zip file {@code in} to {@code out} with the data of entry {@code name} replaced by {@code data}
         * (stored); returns false, having written nothing usable, where {@code in} is not a plain zip file this can
         * rewrite (ZIP64, several disks, no such entry).
         */
        static boolean rewrite(FileChannel in, FileChannel out, String name, byte[] data) throws IOException {
            long size = in.size();
            int tail = (int) Math.min(size, 22 + 0xFFFF);
            ByteBuffer end = read(in, size - tail, tail);
            int e = -1;
            for (int i = tail - 22; i >= 0; i--) {
                if (end.getInt(i) == END) {
                    e = i;
                    break;
                }
            }
            if (e < 0) {
                return false;
            }
            int disk = end.getShort(e + 4) & 0xFFFF;
            int cdDisk = end.getShort(e + 6) & 0xFFFF;
            int count = end.getShort(e + 10) & 0xFFFF;
            long cdSize = end.getInt(e + 12) & 0xFFFFFFFFL;
            long cdOffset = end.getInt(e + 16) & 0xFFFFFFFFL;
            if (disk != 0 || cdDisk != 0 || count == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL
                    || cdOffset + cdSize > size) {
                return false;
            }
            ByteBuffer cd = read(in, cdOffset, (int) cdSize);
            // the central records, in their order, and their local offsets
            List<int[]> records = new ArrayList<>();
            int target = -1;
            byte[] wanted = name.getBytes(StandardCharsets.UTF_8);
            for (int p = 0, k = 0; k < count; k++) {
                if (p + 46 > cdSize || cd.getInt(p) != CENTRAL) {
                    return false;
                }
                int nameLength = cd.getShort(p + 28) & 0xFFFF;
                int length = 46 + nameLength + (cd.getShort(p + 30) & 0xFFFF) + (cd.getShort(p + 32) & 0xFFFF);
                long offset = cd.getInt(p + 42) & 0xFFFFFFFFL;
                if (offset == 0xFFFFFFFFL || (cd.getShort(p + 34) & 0xFFFF) != 0 || p + length > cdSize) {
                    return false;
                }
                byte[] entryName = new byte[nameLength];
                cd.get(p + 46, entryName);
                if (Arrays.equals(entryName, wanted)) {
                    target = k;
                }
                records.add(new int[] {p, length});
                p += length;
            }
            if (target < 0) {
                return false;
            }
            // the entries' byte ranges in file order: each from its local header to the next one (or the central
            // directory), data descriptor included
            Integer[] byOffset = new Integer[count];
            for (int k = 0; k < count; k++) {
                byOffset[k] = k;
            }
            Arrays.sort(byOffset, Comparator.comparingLong(k -> offsetOf(cd, records.get(k))));
            long[] newOffset = new long[count];
            long first = offsetOf(cd, records.get(byOffset[0]));
            copy(in, 0, first, out);
            CRC32 crc = new CRC32();
            crc.update(data);
            for (int i = 0; i < count; i++) {
                int k = byOffset[i];
                long from = offsetOf(cd, records.get(k));
                long to = i + 1 < count ? offsetOf(cd, records.get(byOffset[i + 1])) : cdOffset;
                newOffset[k] = out.position();
                if (k != target) {
                    copy(in, from, to - from, out);
                    continue;
                }
                ByteBuffer local = read(in, from, 30);
                if (local.getInt(0) != LOCAL) {
                    return false;
                }
                ByteBuffer header = ByteBuffer.allocate(30 + wanted.length).order(ByteOrder.LITTLE_ENDIAN);
                header.putInt(LOCAL).putShort((short) 10).putShort((short) 0).putShort((short) 0)
                        .putShort(local.getShort(10)).putShort(local.getShort(12)).putInt((int) crc.getValue())
                        .putInt(data.length).putInt(data.length).putShort((short) wanted.length).putShort((short) 0)
                        .put(wanted).flip();
                write(out, header);
                write(out, ByteBuffer.wrap(data));
            }
            long newCdOffset = out.position();
            for (int k = 0; k < count; k++) {
                int[] r = records.get(k);
                ByteBuffer record = ByteBuffer.allocate(r[1]).order(ByteOrder.LITTLE_ENDIAN);
                record.put(cd.slice(r[0], r[1]));
                record.putInt(42, (int) newOffset[k]);
                if (k == target) {
                    // stored, no data descriptor, the new data's CRC and sizes
                    record.putShort(8, (short) (record.getShort(8) & ~0x0008)).putShort(10, (short) 0)
                            .putInt(16, (int) crc.getValue()).putInt(20, data.length).putInt(24, data.length);
                }
                record.flip();
                write(out, record);
            }
            long newCdSize = out.position() - newCdOffset;
            if (out.position() > 0xFFFFFFFFL - 1) {
                return false;
            }
            ByteBuffer endRecord = ByteBuffer.allocate(tail - e).order(ByteOrder.LITTLE_ENDIAN);
            endRecord.put(end.slice(e, tail - e));
            endRecord.putInt(12, (int) newCdSize).putInt(16, (int) newCdOffset).flip();
            write(out, endRecord);
            return true;
        }

        private static long offsetOf(ByteBuffer cd, int[] record) {
            return cd.getInt(record[0] + 42) & 0xFFFFFFFFL;
        }

        private static ByteBuffer read(FileChannel in, long position, int length) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (in.read(b, position + b.position()) < 0) {
                    throw new EOFException("zip file ends at " + (position + b.position()));
                }
            }
            return b.flip();
        }

        private static void copy(FileChannel in, long from, long length, FileChannel out) throws IOException {
            long done = 0;
            while (done < length) {
                long n = in.transferTo(from + done, length - done, out);
                if (n <= 0) {
                    throw new EOFException("zip file ends at " + (from + done));
                }
                done += n;
            }
        }

        private static void write(FileChannel out, ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }
}
