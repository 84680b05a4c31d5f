package org.jgan.nd4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The class loader ND4J looks its backend up with ({@code ND4JClassLoading}): the bundle's own, except that of the
 * service files declaring an {@code Nd4jBackend} it shows only those naming the chosen backend class. ND4J takes
 * the available backend of highest priority (CUDA over CPU, changeable only by environment variables), so a runtime
 * that carries both backends would otherwise always try CUDA; this makes {@link BackendChoice} the one that decides.
 * With one backend packaged it changes nothing.
 */
final class BackendLoader extends ClassLoader {

    static final String SERVICE = "META-INF/services/org.nd4j.linalg.factory.Nd4jBackend";
    static final String CPU = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";
    static final String CUDA = "org.nd4j.linalg.jcublas.JCublasBackend";

    private final String backendClass;

    BackendLoader(ClassLoader parent, String backendClass) {
        super(parent);
        this.backendClass = backendClass;
    }

    /** The backend class of a choice. */
    static String backendClass(BackendChoice.Backend b) {
        return b == BackendChoice.Backend.CUDA ? CUDA : CPU;
    }

    /** Whether {@code loader} carries ND4J's CUDA backend. */
    static boolean carriesCuda(ClassLoader loader) {
        return loader.getResource(CUDA.replace('.', '/') + ".class") != null;
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        Enumeration<URL> all = super.getResources(name);
        if (!SERVICE.equals(name)) {
            return all;
        }
        List<URL> kept = new ArrayList<>();
        for (URL u : Collections.list(all)) {
            if (declares(u, backendClass)) {
                kept.add(u);
            }
        }
        return Collections.enumeration(kept);
    }

    /** Whether a service file names the class (comments and blank lines aside). */
    private static boolean declares(URL file, String cls) throws IOException {
        try (InputStream in = file.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(l -> l.replaceFirst("#.*", "").strip()).anyMatch(cls::equals);
        }
    }
}
