package org.jgan.sweep.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a run folder says about its run, read from outside the process that trains it: the engine's status.json,
 * the folder's {@code .lock} (held by the trainer's process for the run's life, released by the operating system
 * however the process ends), metrics.json and the evaluations under eval/.
 *
 * @param phase     pending (no folder), running (a process holds the lock), completed, failed, or interrupted
 *                  (status.json not final and no trainer: it resumes from its checkpoint when started again)
 * @param iteration the last iteration status.json recorded (0 when none)
 * @param error     the run's error line when failed, else null
 */
public record RunState(Phase phase, long iteration, long iterations, String error) {

    /** Where a run stands. */
    public enum Phase { PENDING, RUNNING, COMPLETED, FAILED, INTERRUPTED }

    /** The engine's lock file in a run folder (RunLock.FILE; the engine exports nothing to import it from). */
    static final String LOCK = ".lock";

    /** Reads {@code dir}, a run's folder. */
    public static RunState of(Path dir) {
        JsonObject status = object(dir.resolve("status.json"));
        long iteration = number(status, "iteration");
        long iterations = number(status, "iterations");
        if (locked(dir)) {
            return new RunState(Phase.RUNNING, iteration, iterations, null);
        }
        if (status == null) {
            return new RunState(Files.isDirectory(dir) ? Phase.INTERRUPTED : Phase.PENDING, 0, 0, null);
        }
        String state = status.has("state") && status.get("state").isJsonPrimitive()
                ? status.get("state").getAsString() : "";
        return switch (state) {
            case "COMPLETED" -> new RunState(Phase.COMPLETED, iteration, iterations, null);
            case "FAILED" -> new RunState(Phase.FAILED, iteration, iterations, status.has("error")
                    && status.get("error").isJsonPrimitive() ? status.get("error").getAsString() : "failed");
            default -> new RunState(Phase.INTERRUPTED, iteration, iterations, null);
        };
    }

    /**
     * The run's scores: metrics.json's latest in-run scores, then those of its latest evaluation
     * ({@code eval/evaluation-iter-N.json}, scores named {@code metric.score}) over them.
     */
    public static Map<String, Double> scores(Path dir) {
        Map<String, Double> scores = new LinkedHashMap<>();
        JsonObject metrics = object(dir.resolve("metrics.json"));
        if (metrics != null && metrics.has("scores") && metrics.get("scores").isJsonObject()) {
            metrics.getAsJsonObject("scores").entrySet().forEach(e -> put(scores, e.getKey(), e.getValue()));
        }
        JsonObject evaluation = object(latestEvaluation(dir));
        if (evaluation != null && evaluation.has("metrics") && evaluation.get("metrics").isJsonObject()) {
            for (Map.Entry<String, JsonElement> m : evaluation.getAsJsonObject("metrics").entrySet()) {
                JsonElement s = m.getValue().isJsonObject() ? m.getValue().getAsJsonObject().get("scores") : null;
                if (s != null && s.isJsonObject()) {
                    s.getAsJsonObject().entrySet().forEach(e -> put(scores, m.getKey() + "." + e.getKey(), e.getValue()));
                }
            }
        }
        return scores;
    }

    /** The pseudo-score of a completed run's length: the iteration it completed at (an early stop's, say). */
    static final String ITERATION = "run.iteration";

    /**
     * What a run's logs give beside its latest scores: {@link #ITERATION} from status.json, and for each score of
     * metrics.csv its lowest and highest value over the run's evaluations, keyed {@code score@min} and
     * {@code score@max} (a converging run's best FD is {@code features.fd@min}).
     */
    static Map<String, Double> summaries(Path dir) {
        Map<String, Double> out = new LinkedHashMap<>();
        JsonObject status = object(dir.resolve("status.json"));
        if (status != null && status.has("iteration")) {
            out.put(ITERATION, (double) number(status, "iteration"));
        }
        try {
            for (String line : Files.readAllLines(dir.resolve("metrics.csv"))) {
                String[] f = line.split(",");
                if (f.length != 3 || !f[0].matches("\\d+")) {
                    continue;
                }
                double v;
                try {
                    v = Double.parseDouble(f[2]);
                } catch (NumberFormatException notANumber) {
                    continue;
                }
                if (!Double.isNaN(v)) {
                    out.merge(f[1] + "@min", v, Math::min);
                    out.merge(f[1] + "@max", v, Math::max);
                }
            }
        } catch (IOException none) {
            // no metrics.csv: no extremes
        }
        return out;
    }

    /** Whether {@code key} names one of {@link #summaries}. */
    static boolean isSummary(String key) {
        return key.equals(ITERATION) || key.endsWith("@min") || key.endsWith("@max");
    }

    /** The key of score {@code score} at iteration {@code iteration}: {@code mixture.modes@1000}. */
    static String at(String score, long iteration) {
        return score + "@" + iteration;
    }

    /**
     * The scores metrics.csv recorded at {@code iterations} (rows {@code iteration,metric,value}), keyed
     * {@link #at}.
     */
    static Map<String, Double> scoresAt(Path dir, List<Long> iterations) {
        Map<String, Double> scores = new LinkedHashMap<>();
        if (iterations.isEmpty()) {
            return scores;
        }
        try {
            for (String line : Files.readAllLines(dir.resolve("metrics.csv"))) {
                String[] f = line.split(",");
                if (f.length == 3 && f[0].matches("\\d+") && iterations.contains(Long.parseLong(f[0]))) {
                    try {
                        scores.put(at(f[1], Long.parseLong(f[0])), Double.parseDouble(f[2]));
                    } catch (NumberFormatException notANumber) {
                        // an empty or non-numeric score is left out
                    }
                }
            }
        } catch (IOException none) {
            // no metrics.csv: no scores
        }
        return scores;
    }

    /** The evaluation of the highest iteration in {@code dir/eval}, or null. */
    static Path latestEvaluation(Path dir) {
        TreeMap<String, Path> found = new TreeMap<>();
        try (var files = Files.list(dir.resolve("eval"))) {
            files.filter(f -> f.getFileName().toString().matches("evaluation-iter-\\d+\\.json"))
                    .forEach(f -> found.put(f.getFileName().toString(), f));
        } catch (IOException none) {
            return null;
        }
        return found.isEmpty() ? null : found.lastEntry().getValue();
    }

    /** Whether {@code dir} holds an evaluation of iteration {@code iteration}. */
    static boolean evaluatedAt(Path dir, long iteration) {
        return Files.isRegularFile(dir.resolve("eval").resolve(String.format("evaluation-iter-%07d.json", iteration)));
    }

    private static void put(Map<String, Double> scores, String key, JsonElement v) {
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
            scores.put(key, v.getAsDouble());
        }
    }

    /**
     * Whether a process holds the folder's lock. On this machine the kernel's table of locks says so without touching
     * the lock ({@code /proc/locks}, matched by the file's inode): a probe that took the lock for a moment could make
     * a trainer starting at that instant fail, and in a JVM that itself trains the run, closing the probe's channel
     * would release the trainer's lock. When the lock file names another host (a cluster's shared folder), only a
     * probe can tell; the engine's lock retries for a second, so a probe does not refuse a starting trainer.
     */
    static boolean locked(Path dir) {
        Path file = dir.resolve(LOCK);
        if (!Files.isRegularFile(file)) {
            return false;
        }
        Boolean local = lockedHere(file);
        if (local != null && (local || holderIsThisHost(file))) {
            return local;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException thisProcess) {
            return true;
        } catch (IOException unreadable) {
            return false;
        }
    }

    /** Whether /proc/locks lists a lock on {@code file}'s inode; null where there is no such table or no inode. */
    static Boolean lockedHere(Path file) {
        Path table = Path.of("/proc/locks");
        if (!Files.isReadable(table)) {
            return null;
        }
        try {
            String inode = ":" + Files.getAttribute(file, "unix:ino");
            for (String line : Files.readAllLines(table)) {
                // "1: POSIX  ADVISORY  WRITE 8459 fe:00:2236726 0 EOF": the sixth field is major:minor:inode
                String[] f = line.trim().split("\\s+");
                if (f.length > 5 && f[5].endsWith(inode) && f[5].chars().filter(c -> c == ':').count() == 2) {
                    return true;
                }
            }
            return false;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether the lock file's note ("pid N on host H (...)") names this machine, or names none. */
    private static boolean holderIsThisHost(Path file) {
        try {
            String note = Files.readString(file);
            int at = note.indexOf(" on host ");
            if (at < 0) {
                return true;
            }
            String host = note.substring(at + 9).split(" ")[0];
            return host.equals(java.net.InetAddress.getLocalHost().getHostName())
                    || host.equals(System.getenv("HOSTNAME")) || host.equals(hostname());
        } catch (IOException e) {
            return true;
        }
    }

    private static String hostname() {
        try {
            return Files.readString(Path.of("/etc/hostname")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    static JsonObject object(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file));
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (IOException | JsonParseException e) {
            return null;
        }
    }

    private static long number(JsonObject o, String key) {
        return o != null && o.has(key) && o.get(key).isJsonPrimitive() && o.get(key).getAsJsonPrimitive().isNumber()
                ? o.get(key).getAsLong() : 0;
    }
}
