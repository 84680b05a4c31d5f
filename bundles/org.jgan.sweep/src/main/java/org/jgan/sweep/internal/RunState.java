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

    /** Whether a process holds the folder's lock (tried and released at once; the file is never created here). */
    static boolean locked(Path dir) {
        Path file = dir.resolve(LOCK);
        if (!Files.isRegularFile(file)) {
            return false;
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
