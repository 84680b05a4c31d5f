package org.jgan.presets.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jgan.api.GanComponent;
import org.jgan.api.Preset;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers every preset file of this bundle ({@code presets/*.cfg}, see {@link PresetFile}) as a {@link Preset}
 * service named after the file. A recipe is one small data file: adding one needs no code. A file that cannot be
 * read is reported in one line and left out; the others are registered.
 */
@Component
public final class PresetFiles {

    private static final Logger LOG = LoggerFactory.getLogger(PresetFiles.class);

    static final String FOLDER = "presets";
    static final String SUFFIX = ".cfg";

    private final List<ServiceRegistration<Preset>> registrations = new ArrayList<>();

    @Activate
    void activate(BundleContext context) {
        Bundle bundle = context.getBundle();
        for (URL url : Collections.list(bundle.findEntries(FOLDER, "*" + SUFFIX, false))) {
            String file = url.getPath().substring(url.getPath().lastIndexOf('/') + 1);
            try (InputStream in = url.openStream()) {
                PresetFile preset = PresetFile.read(nameOf(file), FOLDER + "/" + file, in);
                Dictionary<String, Object> props = new Hashtable<>(Map.of(GanComponent.NAME, preset.name()));
                registrations.add(context.registerService(Preset.class, preset, props));
            } catch (IOException | IllegalArgumentException e) {
                LOG.error("preset {}/{} of bundle {} left out: {}", FOLDER, file, bundle.getSymbolicName(),
                        e.getMessage());
            }
        }
    }

    @Deactivate
    void deactivate() {
        registrations.forEach(ServiceRegistration::unregister);
        registrations.clear();
    }

    private static String nameOf(String file) {
        return file.substring(0, file.length() - SUFFIX.length());
    }

    /**
     * Every preset file on the class path next to this class (the bundle's jar or its build folder), sorted by
     * name: for tests and tools that run outside a framework.
     */
    public static List<PresetFile> onClassPath() throws IOException {
        URL self = PresetFiles.class.getProtectionDomain().getCodeSource().getLocation();
        try {
            Path root = Path.of(self.toURI());
            if (Files.isDirectory(root)) {
                return read(root.resolve(FOLDER));
            }
            try (FileSystem jar = FileSystems.newFileSystem(root)) {
                return read(jar.getPath(FOLDER));
            }
        } catch (URISyntaxException e) {
            throw new IOException("cannot list the presets at " + self + ": " + e.getMessage(), e);
        }
    }

    /** The preset file of this name on the class path. */
    public static PresetFile named(String name) throws IOException {
        return onClassPath().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no preset file " + FOLDER + "/" + name + SUFFIX));
    }

    private static List<PresetFile> read(Path folder) throws IOException {
        List<PresetFile> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    String file = f.getFileName().toString();
                    out.add(PresetFile.read(nameOf(file), FOLDER + "/" + file, in));
                }
            }
        }
        out.sort(java.util.Comparator.comparing(PresetFile::name));
        return out;
    }
}
