package org.jgan.shell.internal;

import java.util.List;
import java.util.Locale;
import org.jgan.api.dto.ComponentDTO;
import org.jgan.api.dto.MemoryDTO;
import org.jgan.api.dto.OptionDTO;
import org.jgan.api.dto.RunStatusDTO;

/** Text rendering of the engine's DTOs for the shell. */
final class Formats {

    private Formats() {
    }

    static String components(List<ComponentDTO> components, String kind) {
        StringBuilder sb = new StringBuilder();
        for (ComponentDTO c : components) {
            if (kind != null && !c.kind.equals(kind) && !(c.kind + "s").equals(kind)) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%-12s %-16s %s%n", c.kind, c.name, c.description));
            if (c.bundle != null) {
                sb.append(String.format(Locale.ROOT, "%-29s from %s %s%n", "", c.bundle,
                        c.bundleVersion == null ? "" : c.bundleVersion));
            }
            for (OptionDTO o : c.options) {
                sb.append(String.format(Locale.ROOT, "%-29s %s = %s  (%s) %s%n", "", o.name, o.defaultValue,
                        o.expected, o.description));
            }
            for (String s : c.settings) {
                sb.append(String.format(Locale.ROOT, "%-29s %s%n", "", s));
            }
        }
        if (sb.length() == 0) {
            sb.append(kind == null ? "no components installed" : "no component of kind '" + kind + "'").append('\n');
        }
        return sb.toString();
    }

    /**
     * Every run's line, then the runtime's memory, then the runs recorded in runs/ that this runtime does not train
     * (earlier runtimes, other processes) with their recorded state.
     */
    static String runs(List<RunStatusDTO> runs, MemoryDTO memory, List<RunStatusDTO> recorded) {
        StringBuilder sb = new StringBuilder();
        if (runs.isEmpty()) {
            sb.append("no runs in this runtime\n");
        } else {
            sb.append(String.format(Locale.ROOT, "%-28s %s%n", "RUN", "STATUS"));
            for (RunStatusDTO r : runs) {
                sb.append(String.format(Locale.ROOT, "%-28s %s%n", r.id, r.summary));
            }
        }
        sb.append(memory.summary).append('\n');
        if (!recorded.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%nrecorded in runs/ (earlier runtimes, other processes):%n"));
            sb.append(String.format(Locale.ROOT, "%-28s %s%n", "RUN", "RECORDED STATUS"));
            for (RunStatusDTO r : recorded) {
                sb.append(String.format(Locale.ROOT, "%-28s %s%n", r.id, r.summary));
            }
        }
        return sb.toString();
    }

    /** Full status with the output folder. */
    static String detail(RunStatusDTO s) {
        return s.id + ": " + s.summary + "\n  output: " + s.outputDir + "\n";
    }
}
