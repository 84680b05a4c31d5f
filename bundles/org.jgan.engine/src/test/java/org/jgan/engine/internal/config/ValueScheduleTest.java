package org.jgan.engine.internal.config;

import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cosine schedule with warm-up against values of R3GAN's {@code cosine_decay_with_warmup} (brownvc/R3GAN,
 * training/training_loop.py), computed with NumPy by a transcription of that function, not by this class.
 */
class ValueScheduleTest {

    @Test
    void cosineDecayMatchesR3gansFunction() {
        // R3GAN's learning rate: 2e-4 to 5e-5 (its presets over 2e7 images; here over 1000 iterations)
        ValueSchedule lr = ValueSchedule.parse("schedule.lrG", "cosine(to=5e-5, over=1000)");
        assertEquals(2e-4, lr.at(2e-4, 0, 50), 1e-18);
        assertEquals(0.00017803300858899106, lr.at(2e-4, 250, 50), 1e-18);
        assertEquals(0.000125, lr.at(2e-4, 500, 50), 1e-18);
        assertEquals(5.0000370109860615e-05, lr.at(2e-4, 999, 50), 1e-18);
        assertEquals(5e-5, lr.at(2e-4, 1000, 50), 1e-18);
        assertEquals(5e-5, lr.at(2e-4, 5000, 50), 1e-18, "after the end the final value");
    }

    @Test
    void warmUpRisesLinearlyThenTheBaseIsHeldThenDecays() {
        ValueSchedule b2 = ValueSchedule.parse("schedule.beta2", "cosine(to=0.99, over=1000, warmup=100, from=0.5, hold=50)");
        double[][] expected = {{0, 0.5}, {50, 0.7}, {100, 0.9}, {150, 0.9}, {151, 0.9000003073575726}, {575, 0.945},
                {1000, 0.99}};
        for (double[] e : expected) {
            assertEquals(e[1], b2.at(0.9, (long) e[0], 7), 1e-12, "iteration " + (long) e[0]);
        }
    }

    @Test
    void withoutOverTheRunLengthIsTheEnd() {
        ValueSchedule g = ValueSchedule.parse("schedule.regularizer.r1.weight", "cosine(to=0.1)");
        assertEquals(0.55, g.at(1, 200, 400), 1e-12);
        assertEquals(0.1, g.at(1, 400, 400), 1e-12);
        assertEquals(0.55, g.at(1, 300, 600), 1e-12, "the run length read at each call (it changes live)");
    }

    @Test
    void theCanonicalTextParsesBackToTheSameSchedule() {
        ValueSchedule s = ValueSchedule.parse("k", " cosine( to = 3 , warmup=5,over=40 )");
        assertEquals(new ValueSchedule(3, 40, 5, 0, 0), s);
        assertEquals(s, ValueSchedule.parse("k", s.toString()));
    }

    @Test
    void badTextIsRefusedInOneLineNamingTheSetting() {
        for (String bad : new String[] {"linear(to=1)", "cosine(over=10)", "cosine(to=1, speed=2)",
                "cosine(to=1, to=2)", "cosine(to=x)", "cosine(to=1, over=10, warmup=6, hold=4)", "cosine(to=1, over=-1)"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ValueSchedule.parse("schedule.lrD", bad), bad);
            assertTrue(e.getMessage().startsWith("setting 'schedule.lrD' is '" + bad + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("expected cosine(to=V"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
