package org.jgan.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadFolderJarsTest {

    private static void jar(Path file, String bsn) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (bsn != null) {
            m.getMainAttributes().putValue("Bundle-SymbolicName", bsn);
        }
        try (OutputStream os = Files.newOutputStream(file); JarOutputStream j = new JarOutputStream(os, m)) {
            j.putNextEntry(new ZipEntry("a.txt"));
            j.write('a');
        }
    }

    @Test
    void jarsThatAreNotBundlesAreNamedWithWhatIsExpected(@TempDir Path dir) throws IOException {
        jar(dir.resolve("bundle.jar"), "com.example.bundle");
        jar(dir.resolve("plain.jar"), null);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(dir.resolve("nomanifest.jar")))) {
            z.putNextEntry(new ZipEntry("x.class"));
        }
        Files.writeString(dir.resolve("text.jar"), "not a zip");
        Files.writeString(dir.resolve("notes.txt"), "ignored: not a jar");
        String expected = "; it is not loaded: expected an OSGi bundle jar (a manifest with Bundle-SymbolicName, as bnd "
                + "or the maven-bundle-plugin write it)";
        List<String> lines = LoadFolderJars.notBundles(dir);
        assertEquals(3, lines.size(), lines.toString());
        assertEquals(dir.resolve("nomanifest.jar") + ": has no manifest" + expected, lines.get(0));
        assertEquals(dir.resolve("plain.jar") + ": its manifest has no Bundle-SymbolicName" + expected, lines.get(1));
        assertEquals(true, lines.get(2).startsWith(dir.resolve("text.jar") + ": is not a readable jar ("), lines.get(2));
        assertEquals(List.of(), LoadFolderJars.notBundles(dir.resolve("missing")));
    }
}
