package org.jgan.shell.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Jars in the watched folder that FileInstall passes over without a word because they are not OSGi bundles (no
 * {@code Bundle-SymbolicName} in the manifest, or not a readable jar at all).
 */
final class LoadFolderJars {

    private LoadFolderJars() {
    }

    /** One line per jar of {@code dir} that is not a bundle, naming it and what is expected; empty when none. */
    static List<String> notBundles(Path dir) {
        List<String> out = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path jar : jars) {
                String problem = problem(jar);
                if (problem != null) {
                    out.add(jar + ": " + problem + "; it is not loaded: expected an OSGi bundle jar (a manifest with "
                            + "Bundle-SymbolicName, as bnd or the maven-bundle-plugin write it)");
                }
            }
        } catch (IOException e) {
            out.add(dir + ": cannot be listed: " + e.getMessage());
        }
        out.sort(null);
        return out;
    }

    private static String problem(Path jar) {
        try (JarFile f = new JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            if (m == null) {
                return "has no manifest";
            }
            String bsn = m.getMainAttributes().getValue("Bundle-SymbolicName");
            return bsn == null || bsn.isBlank() ? "its manifest has no Bundle-SymbolicName" : null;
        } catch (IOException | SecurityException e) {
            return "is not a readable jar (" + e.getMessage() + ")";
        }
    }
}
