package org.jgan.engine.internal.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSettings;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.folder.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Early stopping ({@code stopScore}, {@code stopGoal}, {@code stopPatience}, {@code stopDelta}): the patience rule on
 * sequences worked out by hand, and real runs that complete where the rule says, read their recorded evaluations
 * back when resumed, and go on when the watched score is never scored; bad settings refused in one line.
 */
class EarlyStopTest {

    private static RunSettings settings(String goal, int patience, double delta) {
        return RunSettings.parse(Map.of("stopScore", "m.s", "stopGoal", goal, "stopPatience",
                Integer.toString(patience), "stopDelta", Double.toString(delta)), "t");
    }

    private static EarlyStop watch(double... values) {
        EarlyStop w = new EarlyStop("m.s");
        for (int i = 0; i < values.length; i++) {
            w.add(1000L * (i + 1), values[i]);
        }
        return w;
    }

    @Test
    void theBestIsTheLastValueThatBeatItByMoreThanTheDelta() {
        // lower is better, delta 0: 8.9 at 4000 is the best; 9.0 and 9.1 after it are two evaluations without
        EarlyStop.Verdict v = watch(10, 9, 9.5, 8.9, 9.0, 9.1).verdict(settings("min", 2, 0));
        assertEquals(8.9, v.best());
        assertEquals(4000, v.bestIteration());
        assertEquals(2, v.since());
        assertTrue(v.stop());
        assertFalse(watch(10, 9, 9.5, 8.9, 9.0, 9.1).verdict(settings("min", 3, 0)).stop(), "patience 3");
        // delta 0.2: 8.9 is only 0.1 below 9, so 9 at 2000 stays the best and four evaluations did not beat it
        v = watch(10, 9, 9.5, 8.9, 9.0, 9.1).verdict(settings("min", 5, 0.2));
        assertEquals(9.0, v.best());
        assertEquals(2000, v.bestIteration());
        assertEquals(4, v.since());
        assertFalse(v.stop());
        assertTrue(watch(10, 9, 9.5, 8.9, 9.0, 9.1).verdict(settings("min", 4, 0.2)).stop());
        // an equal value is not an improvement
        assertEquals(1, watch(5, 5).verdict(settings("min", 1, 0)).since());
    }

    @Test
    void higherIsBetterUnderGoalMax() {
        EarlyStop.Verdict v = watch(0.2, 0.5, 0.4, 0.6, 0.55).verdict(settings("max", 2, 0));
        assertEquals(0.6, v.best());
        assertEquals(4000, v.bestIteration());
        assertEquals(1, v.since());
        assertFalse(v.stop());
        assertTrue(watch(0.2, 0.5, 0.4, 0.6, 0.55, 0.58).verdict(settings("max", 2, 0)).stop());
    }

    @Test
    void aNaNScoreNeverImproves() {
        EarlyStop.Verdict v = watch(3, Double.NaN, Double.NaN).verdict(settings("min", 2, 0));
        assertEquals(3, v.best());
        assertEquals(2, v.since());
        assertTrue(v.stop());
        v = watch(Double.NaN, 4).verdict(settings("min", 1, 0));
        assertEquals(4, v.best(), "the first number is the first best");
        assertEquals(0, v.since());
        assertNull(watch().verdict(settings("min", 1, 0)), "no evaluation yet");
    }

    @Test
    void theWatchReadsOnlyItsScoreFromMetricsCsv(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("metrics.csv");
        Files.writeString(csv, "iteration,metric,value\n5,m.s,2.5\n5,m.other,1\n5,m.s2,7\n10,m.s,NaN\n15,m.s,1.5\n"
                + "20,m.s,1.");
        EarlyStop w = EarlyStop.read("m.s", csv);
        assertEquals(4, w.evaluations(), "5, 10, 15 and the last row (complete as a number)");
        EarlyStop.Verdict v = w.verdict(settings("min", 9, 0));
        assertEquals(1.0, v.best());
        assertEquals(20, v.bestIteration());
        assertEquals(0, EarlyStop.read("m.s", dir.resolve("none.csv")).evaluations());
    }

    private static Map<String, String> raw(Path dir, int iterations) {
        Map<String, String> raw = new HashMap<>(Map.of("dataset", "ring8", "architecture.hidden", "16",
                "batchSize", "32", "metrics", "mixture", "metric.mixture.samples", "256", "sampleInterval", "5",
                "checkpointInterval", "0"));
        raw.put("iterations", Integer.toString(iterations));
        raw.put("outputDir", dir.toString());
        return raw;
    }

    private static RunStatusDTO train(Map<String, String> raw) throws InterruptedException {
        TrainingRun run = new TrainingRun(RunSpec.parse(raw, TestCatalog.create(), "es"), Map.of());
        Thread t = new Thread(run);
        t.start();
        assertTrue(run.awaitFinished(120_000), "the run ends within 2 minutes: " + run.status().summary);
        t.join(60_000);
        assertEquals(State.COMPLETED, run.status().state, run.status().summary);
        return run.status();
    }

    private static List<String> iterationsOf(Path csv, String metric) throws Exception {
        return Files.readAllLines(csv).stream().filter(r -> r.contains("," + metric + ","))
                .map(r -> r.substring(0, r.indexOf(','))).toList();
    }

    @Test
    void aRunCompletesAtTheEvaluationWherePatienceRunsOut(@TempDir Path dir) throws Exception {
        Map<String, String> raw = raw(dir, 200);
        // a delta no score can beat: the first evaluation (5) is the best, 10 and 15 do not improve on it
        raw.putAll(Map.of("stopScore", "mixture.modes", "stopPatience", "2", "stopDelta", "1e9"));
        RunStatusDTO s = train(raw);
        assertEquals(15, s.iteration, s.summary);
        assertEquals(15, s.iterations, "the run's length is where it stopped: " + s.summary);
        assertEquals(List.of("5", "10", "15"), iterationsOf(dir.resolve("metrics.csv"), "mixture.modes"),
                "each evaluation once, none after the stop");
        assertEquals(15, Checkpoint.read(dir.resolve("checkpoints").resolve(Checkpoint.FILE)).iteration());
        String history = Files.readString(dir.resolve("history.csv"));
        assertTrue(history.contains("15,early stop,,") && history.contains("mixture.modes has not improved")
                && history.contains("at iteration 5") && history.contains("in 2 evaluations"), history);
        assertEquals(15, Files.readAllLines(dir.resolve("losses.csv")).size() - 1, "15 iterations trained");
    }

    @Test
    void aResumedRunJudgesTheEvaluationsItRecordedBefore(@TempDir Path dir) throws Exception {
        // 10 iterations without early stopping: evaluations at 5 and 10 in metrics.csv
        train(raw(dir, 10));
        // resumed for 200 with the rule: 5 is the best, 10 recorded one evaluation without, 15 is the second
        Map<String, String> raw = raw(dir, 200);
        raw.putAll(Map.of("stopScore", "mixture.modes", "stopPatience", "2", "stopDelta", "1e9"));
        RunStatusDTO s = train(raw);
        assertEquals(15, s.iteration, "stopped where the uninterrupted run stops: " + s.summary);
        assertEquals(List.of("5", "10", "15"), iterationsOf(dir.resolve("metrics.csv"), "mixture.modes"));
    }

    @Test
    void anInterruptedRunJudgesOnlyTheEvaluationsUpToItsCheckpoint(@TempDir Path dir) throws Exception {
        // 20 iterations, checkpoint at 20: evaluations 5 (the best under a delta no score beats), 10, 15, 20
        train(raw(dir, 20));
        // rows a crash after the checkpoint would leave: evaluations 25 and 30 that the resumed run trains again
        Files.writeString(dir.resolve("metrics.csv"), "25,mixture.modes,1.0\n30,mixture.modes,1.0\n",
                java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("status.json"), Files.readString(dir.resolve("status.json"))
                .replace("COMPLETED", "RUNNING"));
        Map<String, String> raw = raw(dir, 200);
        raw.putAll(Map.of("stopScore", "mixture.modes", "stopPatience", "5", "stopDelta", "1e9"));
        RunStatusDTO s = train(raw);
        // 10, 15, 20, then 25 and 30 trained again: five without improvement at 30 (the leftover rows would have
        // made it 25)
        assertEquals(30, s.iteration, s.summary);
        assertEquals(List.of("5", "10", "15", "20", "25", "30"),
                iterationsOf(dir.resolve("metrics.csv"), "mixture.modes"));
    }

    @Test
    void aScoreTheMetricsNeverGiveLeavesTheRunToItsIterations(@TempDir Path dir) throws Exception {
        Map<String, String> raw = raw(dir, 15);
        raw.putAll(Map.of("stopScore", "mixture.nothing", "stopPatience", "1"));
        RunStatusDTO s = train(raw);
        assertEquals(15, s.iteration, s.summary);
        assertFalse(Files.exists(dir.resolve("history.csv"))
                && Files.readString(dir.resolve("history.csv")).contains("early stop"));
    }

    @Test
    void badSettingsAreRefusedInOneLineNamingTheSetting(@TempDir Path dir) {
        Map<String, String> noSamples = raw(dir, 10);
        noSamples.putAll(Map.of("stopScore", "mixture.modes", "sampleInterval", "0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunSpec.parse(noSamples, TestCatalog.create(), "es"));
        assertEquals("setting 'stopScore' is 'mixture.modes' with sampleInterval 0; expected sampleInterval above 0 "
                + "(the score is watched at each evaluation)", e.getMessage());

        Map<String, String> otherMetric = raw(dir, 10);
        otherMetric.put("stopScore", "features.fd");
        e = assertThrows(IllegalArgumentException.class, () -> RunSpec.parse(otherMetric, TestCatalog.create(), "es"));
        assertEquals("setting 'stopScore' is 'features.fd', a score of metric 'features', which is not among the "
                + "run's metrics [mixture]; expected a score of one of them (metrics=mixture)", e.getMessage());

        Map<String, String> noDot = raw(dir, 10);
        noDot.put("stopScore", "fd");
        e = assertThrows(IllegalArgumentException.class, () -> RunSpec.parse(noDot, TestCatalog.create(), "es"));
        assertTrue(e.getMessage().startsWith("setting 'stopScore' is 'fd'; expected a score as metrics.csv names it"),
                e.getMessage());

        Map<String, String> goal = raw(dir, 10);
        goal.put("stopGoal", "lower");
        e = assertThrows(IllegalArgumentException.class, () -> RunSpec.parse(goal, TestCatalog.create(), "es"));
        assertTrue(e.getMessage().contains("stopGoal") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
