package org.jgan.engine.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.OptionSpec;
import org.jgan.api.TrainingService;
import org.junit.jupiter.api.Test;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.ObjectClassDefinition;

class RunSettingsTest {

    private static IllegalArgumentException reject(Map<String, String> raw) {
        return assertThrows(IllegalArgumentException.class, () -> RunSettings.parse(raw, "r"));
    }

    @Test
    void defaultsAreTypedAndTheNameAndFolderFilledIn() {
        RunSettings s = RunSettings.parse(Map.of(), "run-1");
        assertEquals("run-1", s.name());
        assertEquals("runs/run-1", s.outputDir());
        assertEquals(64, s.batchSize());
        assertEquals(1e-4, s.lrG());
        assertEquals("adam", s.optimizer());
        assertEquals(5.0, s.progressInterval());
        assertEquals(RunSettings.keys(), List.copyOf(s.asText().keySet()));
        assertEquals(RunSettings.class.getRecordComponents().length, RunSettings.SPECS.size());
    }

    @Test
    void givenValuesAreParsedAndTextRoundTrips() {
        RunSettings s = RunSettings.parse(Map.of("lrD", "2e-4", "batchSize", "32", "accumulate", "4",
                "optimizer", "rmsprop", "name", "x", "outputDir", "/tmp/x", "seed", "-3"), "unused");
        assertEquals(2e-4, s.lrD());
        assertEquals(32, s.batchSize());
        assertEquals(4, s.accumulate());
        assertEquals("rmsprop", s.optimizer());
        assertEquals("/tmp/x", s.outputDir());
        assertEquals(-3, s.seed());
        assertEquals("2.0E-4", s.asText().get("lrD"));
        assertEquals(s, RunSettings.parse(s.asText(), "other"));
    }

    /** The ranges where Metatype and the engine had drifted apart: one range now, the engine's. */
    @Test
    void formerlyDriftedRangesHoldOnce() {
        assertEquals("setting: option 'lrG' has value '0'; expected a number in [1.0E-12, 10]",
                reject(Map.of("lrG", "0")).getMessage());
        assertEquals("setting: option 'beta1' has value '1'; expected a number in [0, 0.999999]",
                reject(Map.of("beta1", "1")).getMessage());
        assertEquals("setting: option 'progressInterval' has value '0'; expected a number in [0.1, 3600]",
                reject(Map.of("progressInterval", "0")).getMessage());
        assertEquals("setting 'accumulate' is 3, which does not divide batchSize 64; expected a divisor of "
                + "batchSize (micro-batches of equal size)", reject(Map.of("accumulate", "3")).getMessage());
        assertTrue(reject(Map.of("name", "../x")).getMessage().startsWith("setting 'name' is '../x'"));
        assertTrue(reject(Map.of(), "-bad").getMessage().startsWith("setting 'name' is '-bad'"));
    }

    private static IllegalArgumentException reject(Map<String, String> raw, String defaultName) {
        return assertThrows(IllegalArgumentException.class, () -> RunSettings.parse(raw, defaultName));
    }

    /**
     * Metatype's attributes are the settings, with their types, defaults and choices, and its validation accepts
     * exactly the values the parser accepts, at and just beyond every bound.
     */
    @Test
    void metatypeDescribesAndValidatesAsTheParserDoes() {
        ObjectClassDefinition ocd = new RunMetaType().getObjectClassDefinition(TrainingService.RUN_FACTORY_PID, null);
        assertNull(new RunMetaType().getObjectClassDefinition("org.jgan.other", null));
        AttributeDefinition[] ads = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
        assertEquals(RunSettings.keys(), Arrays.stream(ads).map(AttributeDefinition::getID).toList());
        int checked = 0;
        for (AttributeDefinition ad : ads) {
            OptionSpec spec = RunSettings.SPECS.stream().filter(s -> s.name().equals(ad.getID())).findFirst().get();
            assertEquals(spec.defaultValue(), ad.getDefaultValue()[0], ad.getID());
            assertEquals(switch (spec.type()) {
                case INT -> AttributeDefinition.INTEGER;
                case DOUBLE -> AttributeDefinition.DOUBLE;
                default -> AttributeDefinition.STRING;
            }, ad.getType(), ad.getID());
            for (String value : probes(spec)) {
                Map<String, String> raw = new HashMap<>(Map.of(ad.getID(), value));
                if (ad.getID().equals("accumulate")) {
                    raw.put("batchSize", "65536");  // divisibility is a rule between two settings, not a range
                }
                boolean parses;
                try {
                    RunSettings.parse(raw, "r");
                    parses = true;
                } catch (IllegalArgumentException e) {
                    parses = false;
                }
                String verdict = ad.validate(value);
                assertEquals(parses, verdict.isEmpty(), ad.getID() + "=" + value + ": metatype says '" + verdict
                        + "'");
                checked++;
            }
        }
        assertTrue(checked > 100, checked + " values checked");
    }

    /** Values at and just beyond a setting's bounds, its default, choices and text that is not of its type. */
    static List<String> probes(OptionSpec spec) {
        List<String> out = new ArrayList<>(List.of(spec.defaultValue(), "", "abc"));
        switch (spec.type()) {
            case INT -> {
                long lo = (long) spec.min();
                long hi = (long) spec.max();
                out.addAll(List.of(Long.toString(lo), Long.toString(lo - 1), Long.toString(hi),
                        Long.toString(hi + 1), "1.5"));
            }
            case DOUBLE -> {
                double lo = spec.min();
                double hi = spec.max();
                out.addAll(List.of(Double.toString(lo), Double.toString(lo == 0 ? -1e-9 : lo * 0.999),
                        Double.toString(hi), Double.toString(hi + Math.max(1e-9, Math.abs(hi) * 1e-3)), "NaN"));
            }
            case CHOICE -> out.addAll(spec.choices());
            default -> out.addAll(List.of("x", "../x", "a.b_c-1"));
        }
        return out;
    }
}
