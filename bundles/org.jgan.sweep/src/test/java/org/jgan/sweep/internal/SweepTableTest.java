package org.jgan.sweep.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepTableTest {

    @TempDir
    Path work;

    private static final String SPEC = """
            {"name": "t", "grid": {"data": {"ring8": {}, "grid25": {}}, "method": {"unreg": {}, "roth": {}}},
             "seeds": 3, "table": {"metrics": ["mixture.modes", {"score": "mixture.high_quality", "label": "high quality %",
             "scale": 100, "digits": 1}], "columns": "data",
             "results": "docs/t.md", "title": "Test table", "rows": ["| published | | 7.9 | 95.6 | | | |"],
             "perSeed": "mixture.modes", "images": "docs/t"}}
            """;

    @Test
    void cellsAverageTheirCompletedSeedsAndListFailedRuns() throws IOException {
        Sweep s = sweep();
        // ring8-unreg: modes 8, 6, 7 -> 7 ± 1; high quality from metrics.json, then an evaluation over it in seed 3
        completed("t-ring8-unreg-s1", 8, 0.5);
        completed("t-ring8-unreg-s2", 6, 0.7);
        completed("t-ring8-unreg-s3", 7, 0.6);
        evaluation("t-ring8-unreg-s3", 40, 7, 0.9);
        // grid25-roth: one completed, one failed, one never started
        completed("t-grid25-roth-s1", 20, 0.25);
        status("t-grid25-roth-s2", "{\"state\": \"FAILED\", \"iteration\": 12, \"iterations\": 40, \"error\": "
                + "\"non-finite loss d_loss = NaN at iteration 12\"}");
        SweepTable t = SweepTable.of(s.spec(), s.runs(), s.folder());
        String md = t.markdown();
        assertTrue(md.startsWith("""
                | method | ring8 n | ring8 mixture.modes | ring8 high quality % | grid25 n | grid25 mixture.modes | grid25 high quality % |
                | --- | --- | --- | --- | --- | --- | --- |
                | unreg | 3 | 7.000 ± 1.000 | 70.0 ± 20.0 | 0 | - | - |
                | roth | 0 | - | - | 1 | 20.000 | 25.0 |
                | published | | 7.9 | 95.6 | | | |
                """), md);
        assertTrue(md.contains("""
                mixture.modes, seed by seed (seeds 1 2 3; -: not completed):

                | method | ring8 | grid25 |
                | --- | --- | --- |
                | unreg | 8 6 7 | - - - |
                | roth | - - - | 20 - - |
                """), md);
        assertTrue(md.contains("- t-grid25-roth-s2: non-finite loss d_loss = NaN at iteration 12\n"), md);
        assertTrue(md.contains("Not finished: 7 pending."), md);
        assertTrue(t.csv().contains("t-ring8-unreg,ring8,unreg,mixture.modes,3,7.0,1.0\n"), t.csv());
        JsonObject json = JsonParser.parseString(t.json()).getAsJsonObject();
        JsonObject cell = json.getAsJsonArray("cells").get(0).getAsJsonObject();
        assertEquals("[0.5,0.7,0.9]", cell.getAsJsonObject("scores").getAsJsonObject("mixture.high_quality")
                .get("values").toString());
        assertEquals("non-finite loss d_loss = NaN at iteration 12",
                json.getAsJsonObject("failed").get("t-grid25-roth-s2").getAsString());
    }

    @Test
    void crossTestsAreTabulatedPerPairOverTheSeedsDone() throws IOException {
        Path file = work.resolve("c.json");
        Files.writeString(file, """
                {"name": "c", "grid": {"m": {"u": {}, "r": {}}}, "seeds": 3,
                 "crosstest": {"axis": "m", "pairs": [["u", "r"]]}}""");
        Sweep s = Sweep.load(file, work);
        crossTest(s.crossTests().get(0), 0.10, 0.20, 0.01, 0.30);
        crossTest(s.crossTests().get(2), 0.12, 0.22, 0.03, 0.50);
        String md = SweepTable.of(s.spec(), s.runs(), s.crossTests(), s.folder()).markdown();
        assertTrue(md.contains("""
                | A (m) | B | n | FN of D_A | FN of D_B | FP of D_A on G_A | FP of D_B on G_B | FP of D_A on G_B | FP of D_B on G_A |
                | --- | --- | --- | --- | --- | --- | --- | --- | --- |
                | u | r | 2 | 0.0050 ± 0.0000 | 0.0100 ± 0.0141 | 0.1100 ± 0.0141 | 0.2100 ± 0.0141 | 0.0200 ± 0.0141 | 0.4000 ± 0.1414 |
                """), md);
        assertTrue(s.status().contains("  c1  cross-test c-u-s2 vs c-r-s2: pending\n"), s.status());
        assertTrue(s.status().contains("2 of 3 cross-tests done"), s.status());
    }

    private void crossTest(CrossPair p, double ownA, double ownB, double crossA, double crossB) throws IOException {
        Files.createDirectories(p.result(new SweepFolder(work, work.resolve("sweeps/c"))).getParent());
        Files.writeString(p.result(new SweepFolder(work, work.resolve("sweeps/c"))), "{\"confusionA\": {\"fpRate\": "
                + ownA + ", \"fnRate\": 0.005}, \"confusionB\": {\"fpRate\": " + ownB + ", \"fnRate\": " + (ownA > 0.11 ? 0.02
                : 0) + "}, \"crossA\": {\"fp\": " + crossA
                + "}, \"crossB\": {\"fp\": " + crossB + "}}");
    }

    @Test
    void scoresAtChosenIterationsComeFromMetricsCsv() throws IOException {
        Path file = work.resolve("at.json");
        Files.writeString(file, """
                {"name": "a", "grid": {"k": [1, 5]}, "table": {"metrics": [{"score": "mixture.modes", "label": "modes",
                 "digits": 0}], "at": [1000, 2000]}}""");
        Sweep s = Sweep.load(file, work);
        for (String run : List.of("a-k1", "a-k5")) {
            status(run, "{\"state\": \"COMPLETED\", \"iteration\": 2000, \"iterations\": 2000}");
        }
        Files.writeString(work.resolve("runs/a-k1/metrics.csv"), "iteration,metric,value\n1000,mixture.modes,2.0\n"
                + "1000,mixture.high_quality,0.1\n2000,mixture.modes,5.0\n");
        Files.writeString(work.resolve("runs/a-k5/metrics.csv"), "iteration,metric,value\n1000,mixture.modes,4.0\n");
        String md = SweepTable.of(s.spec(), s.runs(), s.folder()).markdown();
        assertTrue(md.startsWith("""
                | k | n | it 1000 modes | it 2000 modes |
                | --- | --- | --- | --- |
                | k1 | 1 | 2 | 5 |
                | k5 | 1 | 4 | - |
                """), md);
    }

    @Test
    void aColumnMayShowWhereTheRunCompletedAndAScoresBestOverItsEvaluations() throws IOException {
        Path file = work.resolve("best.json");
        Files.writeString(file, """
                {"name": "b", "seeds": 2, "table": {"metrics": [{"score": "features.fd", "label": "FD", "digits": 1},
                 {"score": "features.fd@min", "label": "best FD", "digits": 1},
                 {"score": "features.recall@max", "label": "best recall", "digits": 2},
                 {"score": "run.iteration", "label": "stopped at", "digits": 0}]}}""");
        Sweep s = Sweep.load(file, work);
        // seed 1 stopped early at 4000 (its best FD 9 at 2000), seed 2 ran its 5000 with a NaN evaluation
        status("b-s1", "{\"state\": \"COMPLETED\", \"iteration\": 4000, \"iterations\": 4000}");
        Files.writeString(work.resolve("runs/b-s1/metrics.json"), "{\"iteration\": 4000, \"scores\": "
                + "{\"features.fd\": 10.0}}");
        Files.writeString(work.resolve("runs/b-s1/metrics.csv"), "iteration,metric,value\n1000,features.fd,20.0\n"
                + "1000,features.recall,0.3\n2000,features.fd,9.0\n2000,features.recall,0.5\n3000,features.fd,11.0\n"
                + "4000,features.fd,10.0\n4000,features.recall,0.4\n");
        status("b-s2", "{\"state\": \"COMPLETED\", \"iteration\": 5000, \"iterations\": 5000}");
        Files.writeString(work.resolve("runs/b-s2/metrics.json"), "{\"iteration\": 5000, \"scores\": "
                + "{\"features.fd\": 8.0}}");
        Files.writeString(work.resolve("runs/b-s2/metrics.csv"), "iteration,metric,value\n1000,features.fd,NaN\n"
                + "5000,features.fd,8.0\n5000,features.recall,0.7\n");
        String md = SweepTable.of(s.spec(), s.runs(), s.folder()).markdown();
        // FD 10 and 8; best FD 9 and 8; best recall 0.5 and 0.7; stopped at 4000 and 5000
        assertTrue(md.startsWith("""
                | n | FD | best FD | best recall | stopped at |
                | --- | --- | --- | --- | --- |
                | 2 | 9.0 ± 1.4 | 8.5 ± 0.7 | 0.60 ± 0.14 | 4500 ± 707 |
                """), md);

        // beside scores at chosen iterations, a summary is shown once
        Files.writeString(file, """
                {"name": "b", "seeds": 2, "table": {"metrics": [{"score": "features.fd", "label": "FD", "digits": 1},
                 {"score": "features.fd@min", "label": "best FD", "digits": 1}], "at": [1000, 4000]}}""");
        String at = SweepTable.of(Sweep.load(file, work).spec(), Sweep.load(file, work).runs(),
                Sweep.load(file, work).folder()).markdown();
        assertTrue(at.startsWith("""
                | n | best FD | it 1000 FD | it 4000 FD |
                | --- | --- | --- | --- |
                | 2 | 8.5 ± 0.7 | 20.0 | 10.0 |
                """), at);

        // without chosen columns the summaries stay out of the table
        Files.writeString(file, "{\"name\": \"b\", \"seeds\": 2}");
        String all = SweepTable.of(Sweep.load(file, work).spec(), Sweep.load(file, work).runs(),
                Sweep.load(file, work).folder()).markdown();
        assertTrue(all.startsWith("| n | features.fd |\n"), all);
    }

    @Test
    void theResultsFileKeepsItsHandWrittenPart() throws IOException {
        Sweep s = sweep();
        completed("t-ring8-unreg-s1", 8, 0.5);
        Path results = work.resolve("docs/t.md");
        Files.createDirectories(results.getParent());
        Files.writeString(results, "# old\n\nold table\n\n" + Sweep.NOTES_MARK + "\nWhat the runs show.\n");
        Path samples = work.resolve("runs/t-ring8-unreg-s1/samples");
        Files.createDirectories(samples);
        for (String f : List.of("iter-0000020-scatter.png", "iter-0000040-scatter.png", "iter-0000040-samples.png")) {
            Files.writeString(samples.resolve(f), f);
        }
        s.table();
        assertEquals("iter-0000040-scatter.png", Files.readString(work.resolve("docs/t/t-ring8-unreg-s1.png")),
                "the last picture: the highest iteration, the scatter plot after the grid");
        String text = Files.readString(results);
        assertTrue(text.startsWith("# Test table\n\nGenerated by `runtime/jgan sweep table t.json` on "), text);
        assertTrue(text.contains("| unreg | 1 | 8.000 |"), text);
        assertTrue(text.endsWith(Sweep.NOTES_MARK + "\nWhat the runs show.\n"), text);
        assertTrue(!text.contains("old table"), text);
        assertTrue(Files.readString(s.folder().dir().resolve("table.md")).contains("| unreg | 1 | 8.000 |"));
    }

    @Test
    void statusTellsPendingRunningCompletedFailedAndInterruptedApart() throws IOException {
        Sweep s = sweep();
        completed("t-ring8-unreg-s1", 8, 0.5);
        status("t-ring8-roth-s1", "{\"state\": \"FAILED\", \"iteration\": 3, \"iterations\": 40, \"error\": \"boom\"}");
        status("t-grid25-unreg-s1", "{\"state\": \"RUNNING\", \"iteration\": 20, \"iterations\": 40}");
        status("t-grid25-roth-s1", "{\"state\": \"RUNNING\", \"iteration\": 30, \"iterations\": 40}");
        // the engine's RunLock.FILE written out, not RunState's copy of it: a rename in either must fail this
        Path lock = s.folder().run("t-grid25-roth-s1").resolve(".lock");
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = ch.lock()) {
            String status = s.status();
            assertTrue(status.contains("   0  t-ring8-unreg-s1   completed   it 40/40\n"), status);
            assertTrue(status.contains("   1  t-ring8-roth-s1    failed      it 3/40  boom\n"), status);
            assertTrue(status.contains("   2  t-grid25-unreg-s1  interrupted it 20/40\n"), status);
            assertTrue(status.contains("   3  t-grid25-roth-s1   running     it 30/40\n   4  t-ring8-unreg-s2   pending\n"), status);
            assertTrue(status.endsWith("sweep t: 12 runs: 8 pending, 1 running, 1 completed, 1 failed, 1 interrupted\n"),
                    status);
            // what is left to do: neither the completed run nor the one another process trains
            List<String> toDo = s.toDo().stream().map(SweepRun::name).toList();
            assertEquals(10, toDo.size());
            assertTrue(!toDo.contains("t-ring8-unreg-s1") && !toDo.contains("t-grid25-roth-s1"), toDo.toString());
        }
        assertEquals(RunState.Phase.INTERRUPTED, RunState.of(s.folder().run("t-grid25-roth-s1")).phase());
    }

    private Sweep sweep() throws IOException {
        Path file = work.resolve("t.json");
        Files.writeString(file, SPEC);
        return Sweep.load(file, work);
    }

    private void completed(String run, double modes, double hq) throws IOException {
        status(run, "{\"state\": \"COMPLETED\", \"iteration\": 40, \"iterations\": 40}");
        Files.writeString(work.resolve("runs").resolve(run).resolve("metrics.json"), "{\"iteration\": 40, \"scores\": "
                + "{\"mixture.modes\": " + modes + ", \"mixture.high_quality\": " + hq + "}}");
    }

    private void evaluation(String run, int iteration, double modes, double hq) throws IOException {
        Path eval = work.resolve("runs").resolve(run).resolve("eval");
        Files.createDirectories(eval);
        Files.writeString(eval.resolve(String.format("evaluation-iter-%07d.json", iteration)), "{\"run\": \"" + run
                + "\", \"metrics\": {\"mixture\": {\"scores\": {\"modes\": " + modes + ", \"high_quality\": " + hq
                + "}}}}");
    }

    private void status(String run, String json) throws IOException {
        Path dir = work.resolve("runs").resolve(run);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("status.json"), json + "\n   ");
    }
}
