package org.jgan.regularizers.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.jgan.api.Options;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;

/** ADA's update of p (Karras et al. 2020, section 3) against values computed by hand, step by step. */
class AdaTuningTest {

    @Test
    void pMovesBySignOfTheOverfittingHeuristicAndStaysInZeroToOne() {
        LeCamRegularizerTest.Context c = new LeCamRegularizerTest.Context();
        // kimg 0.1: a step of N / 100 for N real inputs
        SDVariable term = new AdaTuning().define(c, Options.resolve("regularizer 'ada'", new AdaTuning().options(),
                Map.of("target", "0.6", "kimg", "0.1")));
        SDVariable p = c.sd.getVariable(DiffAugment.ADA_P);
        double[] fake = {0, 0, 0, 0};
        // r_t = mean sign = (1 + 1 - 1 + 1) / 4 = 0.5 < 0.6: down, clipped at 0
        assertEquals(0, c.step(term, new double[] {1, 2, -1, 3}, fake), 0, "the term adds nothing to D's loss");
        assertEquals(0, p.getArr().getDouble(0), 0);
        // r_t = 1 > 0.6: up by 4 / 100, twice
        c.step(term, new double[] {1, 2, 3, 4}, fake);
        assertEquals(0.04, p.getArr().getDouble(0), 1e-7);
        c.step(term, new double[] {0.5, 2, 3, 4}, fake);
        assertEquals(0.08, p.getArr().getDouble(0), 1e-7);
        // r_t = (4 - 1) / 5 = 0.6 = target: sign 0, p stays
        c.step(term, new double[] {1, 1, 1, 1, -1}, new double[] {0, 0, 0, 0, 0});
        assertEquals(0.08, p.getArr().getDouble(0), 1e-7);
        // r_t = -1: down by 8 / 100 with 8 inputs
        c.step(term, new double[] {-1, -1, -1, -1, -1, -1, -1, -1}, new double[8]);
        assertEquals(0, p.getArr().getDouble(0), 1e-7);
        // from near 1, up is clipped at 1
        p.getArr().assign(0.99);
        c.step(term, new double[] {1, 2, 3, 4}, fake);
        assertEquals(1, p.getArr().getDouble(0), 1e-7);
    }
}
