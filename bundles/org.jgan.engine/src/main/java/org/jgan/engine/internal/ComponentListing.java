package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.api.OptionSpec;
import org.jgan.api.Preset;
import org.jgan.api.dto.ComponentDTO;
import org.jgan.api.dto.OptionDTO;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSettings;

/** The catalog as DTOs for the shell, plus the engine's own settings as a pseudo-component "run". */
public final class ComponentListing {

    private ComponentListing() {
    }

    public static List<ComponentDTO> list(ComponentCatalog catalog) {
        List<ComponentDTO> out = new ArrayList<>();
        ComponentDTO engine = new ComponentDTO();
        engine.kind = "settings";
        engine.name = "run";
        engine.description = "The engine's run settings (keys of a run configuration)";
        engine.bundle = "org.jgan.engine";
        engine.options = options(RunSettings.SPECS);
        engine.settings = List.of();
        out.add(engine);
        for (Kind kind : Kind.values()) {
            for (ComponentCatalog.Entry e : catalog.list(kind)) {
                ComponentDTO d = new ComponentDTO();
                d.kind = kind.label();
                d.name = e.name();
                d.description = e.component().description();
                d.bundle = e.bundle();
                d.bundleVersion = e.version();
                d.options = options(e.component().options());
                d.settings = new ArrayList<>();
                if (e.component() instanceof Preset p) {
                    for (Map.Entry<String, String> s : new TreeMap<>(p.settings()).entrySet()) {
                        d.settings.add(s.getKey() + "=" + s.getValue());
                    }
                }
                out.add(d);
            }
        }
        return out;
    }

    private static List<OptionDTO> options(List<OptionSpec> specs) {
        List<OptionDTO> out = new ArrayList<>();
        for (OptionSpec s : specs) {
            OptionDTO o = new OptionDTO();
            o.name = s.name();
            o.type = s.type().name().toLowerCase(java.util.Locale.ROOT);
            o.defaultValue = s.defaultValue();
            o.expected = s.expected();
            o.description = s.description();
            out.add(o);
        }
        return out;
    }
}
