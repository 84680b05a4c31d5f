package org.jgan.sweep.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SweepSpecTest {

    private static final String MIXTURES = """
            {"name": "mix", "preset": "default",
             "settings": {"iterations": 5000, "lrD": 1e-4, "metrics": "mixture", "plot": true},
             "grid": {"data": {"ring8": {}, "grid25": {"preset": "grid25"}},
                      "method": {"unreg": {}, "roth": {"regularizers": "roth", "regularizer.roth.gamma": 0.1}}},
             "seeds": 2}
            """;

    @Test
    void runsGoSeedBySeedWithTheFirstAxisSlowest() {
        List<SweepRun> runs = SweepRun.expand(SweepSpec.parse(MIXTURES, "mix.json"), "mix.json");
        assertEquals(List.of("mix-ring8-unreg-s1", "mix-ring8-roth-s1", "mix-grid25-unreg-s1", "mix-grid25-roth-s1",
                "mix-ring8-unreg-s2", "mix-ring8-roth-s2", "mix-grid25-unreg-s2", "mix-grid25-roth-s2"),
                runs.stream().map(SweepRun::name).toList());
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), runs.stream().map(SweepRun::index).toList());
        SweepRun r = runs.get(7);
        assertEquals("mix-grid25-roth", r.cell());
        assertEquals(Map.of("data", "grid25", "method", "roth"), r.labels());
        assertEquals("grid25", r.preset());
        assertEquals(2L, r.seed());
        // numbers keep the digits they were written with; the level's settings join the base ones
        assertEquals(List.of("grid25", "iterations=5000", "lrD=1e-4", "metrics=mixture", "plot=true",
                "regularizers=roth", "regularizer.roth.gamma=0.1", "name=mix-grid25-roth-s2", "seed=2"), r.arguments());
        assertEquals("default", runs.get(0).preset());
        assertEquals("7\tmix-grid25-roth-s2\tgrid25\titerations=5000\tlrD=1e-4", r.manifestLine().substring(0, 52));
    }

    @Test
    void listAxesAndZippedAxesLabelTheirValues() {
        SweepSpec s = SweepSpec.parse("""
                {"name": "lr", "grid": {"regularizer.r1.gamma": [1, 10], "lrG,lrD": [[1e-4, 2e-4], [2e-4, 4e-4]]},
                 "seeds": [7]}""", "lr.json");
        List<SweepRun> runs = SweepRun.expand(s, "lr.json");
        assertEquals(List.of("lr-gamma1-lrG1e-4-lrD2e-4-s7", "lr-gamma1-lrG2e-4-lrD4e-4-s7",
                "lr-gamma10-lrG1e-4-lrD2e-4-s7", "lr-gamma10-lrG2e-4-lrD4e-4-s7"), runs.stream().map(SweepRun::name).toList());
        assertEquals("4e-4", runs.get(3).settings().get("lrD"));
        assertEquals("2e-4", runs.get(3).settings().get("lrG"));
        assertEquals("7", runs.get(3).settings().get("seed"));
        assertNull(runs.get(0).preset());
    }

    @Test
    void withoutSeedsRunsAreNamedByTheirCellAlone() {
        List<SweepRun> runs = SweepRun.expand(SweepSpec.parse("""
                {"name": "p", "grid": {"preset": ["default", "grid25"]}}""", "p.json"), "p.json");
        assertEquals(List.of("p-default", "p-grid25"), runs.stream().map(SweepRun::name).toList());
        assertEquals(List.of("grid25", "name=p-grid25"), runs.get(1).arguments());
        assertNull(runs.get(1).seed());
    }

    @Test
    void mistakesAreRefusedInOneLineNamingTheKey() {
        assertEquals("sweep spec s.json: unknown key 'seed'; expected crosstest, description, evaluate, grid, name, preset, "
                + "seeds, settings, table", refused("{\"name\": \"a\", \"seed\": 3}"));
        assertEquals("sweep spec s.json: 'name' is 'a b'; expected letters, digits, '.', '_' or '-' (it names the "
                + "sweep's folder and its runs)", refused("{\"name\": \"a b\"}"));
        assertEquals("sweep spec s.json: 'grid.lrG,lrD' zips 2 settings; expected a list of 2-value lists, found [1]",
                refused("{\"name\": \"a\", \"grid\": {\"lrG,lrD\": [[1]]}}"));
        assertEquals("sweep spec s.json: 'settings' sets 'seed'; the sweep sets name, seed and outputDir of its runs "
                + "itself (use \"seeds\" for seeds)", refused("{\"name\": \"a\", \"settings\": {\"seed\": 1}}"));
        assertEquals("sweep spec s.json: 'grid.lrD' has no values; expected at least one",
                refused("{\"name\": \"a\", \"grid\": {\"lrD\": []}}"));
        assertEquals("sweep spec s.json: 'settings.lrD' is [1]; expected a string, a number or a boolean",
                refused("{\"name\": \"a\", \"settings\": {\"lrD\": [1]}}"));
        assertEquals("sweep spec s.json: 'seeds' lists 2 twice; expected each seed once",
                refused("{\"name\": \"a\", \"seeds\": [1, 2, 2]}"));
        assertEquals("sweep spec s.json: 'seeds' must be a count N (seeds 1 to N) or a list of integers; found 1.5",
                refused("{\"name\": \"a\", \"seeds\": 1.5}"));
        assertEquals("sweep spec s.json: 'table.columns' is 'data'; expected one of the grid's axes [lrD]",
                refused("{\"name\": \"a\", \"grid\": {\"lrD\": [1]}, \"table\": {\"columns\": \"data\"}}"));
        assertEquals("sweep spec s.json: unknown key 'table.metric'; expected at, columns, images, metrics, perSeed, results, rows, title",
                refused("{\"name\": \"a\", \"table\": {\"metric\": []}}"));
        assertEquals(true, refused("{\"name\": \"a\",").startsWith("sweep spec s.json: not valid JSON: "));
        assertEquals("sweep spec s.json: 'seeds' is an empty list; expected at least one seed, or no \"seeds\" at all "
                + "(the runs then keep the preset's seed)", refused("{\"name\": \"a\", \"seeds\": []}"));
        assertEquals("sweep spec s.json: 'grid.lrG,,lrD' has an empty setting name; expected keys joined by commas",
                refused("{\"name\": \"a\", \"grid\": {\"lrG,,lrD\": [[1, 2, 3]]}}"));
        assertEquals("sweep spec s.json: 'table.title' must be a string",
                refused("{\"name\": \"a\", \"table\": {\"title\": 3}}"));
    }

    @Test
    void cellsThatWouldShareANameOrASettingAreRefused() {
        assertEquals("sweep spec s.json: grid axes 'a' and 'b' both set 'lrD'; expected each setting on one axis",
                refusedExpansion("{\"name\": \"x\", \"grid\": {\"a\": {\"one\": {\"lrD\": 1}}, \"lrD\": [2]}}"
                        .replace("\"lrD\": [2]", "\"b\": {\"two\": {\"lrD\": 2}}")));
        assertEquals("sweep spec s.json: 'grid.data': a b and a/b both label runs 'a_b'; expected values that tell the "
                + "runs apart (in names, characters other than letters, digits, '.', '_', '+' and '-' become '_')",
                refused("{\"name\": \"x\", \"grid\": {\"data\": {\"a b\": {}, \"a/b\": {}}}}"));
        assertEquals("sweep spec s.json: cells {a=x-y, b=z} and {a=x, b=y-z} would both be named 'x-x-y-z'; expected "
                + "labels that tell the cells apart", refusedExpansion(
                        "{\"name\": \"x\", \"grid\": {\"a\": {\"x-y\": {}, \"x\": {}}, \"b\": {\"z\": {}, \"y-z\": {}}}}"));
    }

    @Test
    void crossTestsPairTheRunsOfTwoLabelsInEveryOtherCellAndSeed() {
        String json = MIXTURES.replace("\"seeds\": 2}", "\"seeds\": 2, \"crosstest\": {\"axis\": \"method\", "
                + "\"pairs\": [[\"unreg\", \"roth\"]], \"options\": {\"samples\": 1000}}}");
        SweepSpec s = SweepSpec.parse(json, "mix.json");
        List<CrossPair> pairs = CrossPair.of(s, SweepRun.expand(s, "mix.json"));
        assertEquals(List.of("0\tmix-ring8-unreg-s1\tmix-ring8-roth-s1", "1\tmix-grid25-unreg-s1\tmix-grid25-roth-s1",
                "2\tmix-ring8-unreg-s2\tmix-ring8-roth-s2", "3\tmix-grid25-unreg-s2\tmix-grid25-roth-s2"),
                pairs.stream().map(CrossPair::manifestLine).toList());
        assertEquals(Map.of("samples", "1000"), s.crossTest().options());
        assertEquals("sweep spec s.json: 'crosstest.pairs' names 'r1'; expected a label of axis 'method': [unreg, roth]",
                refused(json.replace("[\"unreg\", \"roth\"]", "[\"unreg\", \"r1\"]")));
        assertEquals("sweep spec s.json: 'crosstest.pairs' holds [roth, roth]; expected two different labels",
                refused(json.replace("[\"unreg\", \"roth\"]", "[\"roth\", \"roth\"]")));
        assertEquals("sweep spec s.json: 'crosstest.axis' is 'seed'; expected one of the grid's axes [data, method]",
                refused(json.replace("\"axis\": \"method\"", "\"axis\": \"seed\"")));
    }

    private static String refused(String json) {
        return assertThrows(IllegalArgumentException.class, () -> SweepSpec.parse(json, "s.json")).getMessage();
    }

    private static String refusedExpansion(String json) {
        SweepSpec s = SweepSpec.parse(json, "s.json");
        return assertThrows(IllegalArgumentException.class, () -> SweepRun.expand(s, "s.json")).getMessage();
    }
}
