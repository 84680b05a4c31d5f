package org.jgan.engine.internal.folder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;

/**
 * The runs found in a folder of run folders ({@code runs/}) that this runtime does not train: those of earlier
 * runtimes and of other processes, with the state their status.json recorded. A run recorded as starting, running
 * or paused whose folder no trainer holds was interrupted (its process ended without saving a final status): it is
 * listed as STOPPED with that said, since it resumes from its checkpoint like a stopped one.
 */
public final class RecordedRuns {

    static final String INTERRUPTED = "interrupted: the process that trained it ended; the same run command resumes it";

    private RecordedRuns() {
    }

    /**
     * @param root  the folder of run folders
     * @param known the names of runs to leave out (this runtime's), and their folders' absolute paths
     */
    public static List<RunStatusDTO> in(Path root, Set<String> known) {
        List<RunStatusDTO> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        List<Path> dirs;
        try (var list = Files.list(root)) {
            dirs = list.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            return out;
        }
        for (Path dir : dirs) {
            String name = dir.getFileName().toString();
            if (known.contains(name) || known.contains(dir.toAbsolutePath().normalize().toString())) {
                continue;
            }
            RunStatusDTO s = read(dir);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /** The status recorded in a run folder, or null when it has no readable status.json. */
    static RunStatusDTO read(Path dir) {
        RunFolder folder = new RunFolder(dir);
        Object doc;
        try {
            doc = Json.read(Files.readString(folder.status()));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
        if (!(doc instanceof Map<?, ?> m) || !(m.get("state") instanceof String stateName)) {
            return null;
        }
        RunStatusDTO s = new RunStatusDTO();
        s.id = dir.getFileName().toString();
        try {
            s.state = State.valueOf(stateName);
        } catch (IllegalArgumentException e) {
            return null;
        }
        s.iteration = number(m.get("iteration"));
        s.iterations = number(m.get("iterations"));
        s.losses = numbers(m.get("losses"));
        s.metrics = numbers(m.get("metrics"));
        s.error = m.get("error") instanceof String e ? e : null;
        s.outputDir = dir.toAbsolutePath().normalize().toString();
        s.etaSeconds = -1;
        boolean unfinished = s.state == State.STARTING || s.state == State.RUNNING || s.state == State.PAUSED;
        if (unfinished && !RunLock.held(dir)) {
            s.state = State.STOPPED;
            s.error = INTERRUPTED;
        }
        return s;
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private static Map<String, Double> numbers(Object o) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), v instanceof Number n ? n.doubleValue() : Double.NaN));
        }
        return out;
    }
}
