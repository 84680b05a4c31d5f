package org.jgan.dashboard.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The files of a run folder the dashboard serves, by name only: the folder's logs and documents, the images and
 * point clouds of its {@code samples/} folder, the grids of {@code explore/} and the results of {@code eval/}. A name is one path segment of letters, digits, dots, dashes and
 * underscores that does not start with a dot; it is looked up in the run's own folder, and a name that leads
 * anywhere else (a symbolic link out of it) is refused. Nothing else of the file system can be reached.
 */
final class RunFiles {

    /** The files at the top of a run folder that may be read. */
    static final Set<String> TOP = Set.of("config.json", "status.json", "metrics.json", "metrics.csv", "losses.csv",
            "losses.png", "history.csv");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}");
    private static final Pattern SAMPLE = Pattern.compile("iter-[0-9]{7}-[A-Za-z0-9._-]{1,100}\\.(png|csv)");
    /** What gan:sample, gan:interpolate and gan:arithmetic write (explore/) and gan:evaluate (eval/). */
    private static final Pattern EXPLORE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,150}\\.png");
    private static final Pattern EVAL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,150}\\.(json|txt)");

    private RunFiles() {
    }

    /**
     * The file {@code name} ({@code losses.csv}, or {@code samples/iter-0001000-samples.png}) of the run folder, or
     * null when the name is not one the dashboard serves or no such regular file exists inside the folder.
     */
    static Path resolve(Path folder, String name) throws IOException {
        if (folder == null || name == null) {
            return null;
        }
        Path file;
        int slash = name.indexOf('/');
        String dir = slash < 0 ? "" : name.substring(0, slash);
        String leaf = name.substring(slash + 1);
        Pattern allowed = switch (dir) {
            case "samples" -> SAMPLE;
            case "explore" -> EXPLORE;
            case "eval" -> EVAL;
            default -> null;
        };
        if (allowed != null) {
            if (!allowed.matcher(leaf).matches()) {
                return null;
            }
            file = folder.resolve(dir).resolve(leaf);
        } else if (TOP.contains(name)) {
            file = folder.resolve(name);
        } else {
            return null;
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        // the folder itself may lie behind a link; what counts is that the file lies inside it
        Path real = file.toRealPath();
        if (!real.startsWith(folder.toRealPath())) {
            return null;
        }
        return real;
    }

    /** The names of the sample files of the folder (grids and plots), oldest iteration first. */
    static List<String> samples(Path folder) throws IOException {
        return list(folder, "samples", SAMPLE, ".png");
    }

    /** The readable evaluation results of {@code eval/} ({@code evaluation-<iteration>.txt}), by name. */
    static List<String> evaluations(Path folder) throws IOException {
        return list(folder, "eval", EVAL, ".txt");
    }

    /** The grids of {@code explore/} (samples, interpolations, mixing, traversals), by name. */
    static List<String> explorations(Path folder) throws IOException {
        return list(folder, "explore", EXPLORE, ".png");
    }

    /** The files of subfolder {@code sub} that the folder serves and end with {@code suffix}, sorted by name. */
    private static List<String> list(Path folder, String sub, Pattern served, String suffix) throws IOException {
        List<String> out = new ArrayList<>();
        Path dir = folder.resolve(sub);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (var files = Files.list(dir)) {
            files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
                    .map(f -> f.getFileName().toString())
                    .filter(n -> served.matcher(n).matches() && n.endsWith(suffix))
                    .sorted().forEach(n -> out.add(sub + "/" + n));
        }
        return out;
    }

    /** Whether a word is a plain name (for run ids in a path). */
    static boolean plainName(String s) {
        return s != null && NAME.matcher(s).matches();
    }
}
