package org.jgan.engine.internal.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jgan.engine.internal.model.GanModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The routes PenaltyBenchmark gives PyTorch's reference are those jgan's models take: on the ring MLP (D's rows
 * independent) D once on both batches for the loss and Roth et al.'s two point groups in one pass carrying the loss;
 * on the conv GAN (batch norm) D on each batch, the loss on the points of Roth et al.'s, R1's and R2's passes.
 */
class PenaltyRoutesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "mlp; none:s,roth:sc,r1:s,r2:s,wgan-gp:s",
        "conv; none:,roth:c,r1:c,r2:c,wgan-gp:"})
    void theReferenceTakesTheRoutesOfJgansModels(String network, String expected) {
        Map<String, String> base = network.equals("mlp") ? PenaltyBenchmark.mlpSettings()
                : PenaltyBenchmark.convSettings();
        Map<String, GanModel> models = new LinkedHashMap<>();
        try {
            models.put("none", PenaltyBenchmark.model(base, "", 1));
            for (String p : new String[] {"roth", "r1", "r2", "wgan-gp"}) {
                models.put(p + " every 1", PenaltyBenchmark.model(base, p, 1));
                // (not a row of PyTorch's)
                models.put(p + " every 16", PenaltyBenchmark.model(base, p, 16));
            }
            models.values().forEach(m -> m.discriminatorStep(0, 0));
            assertEquals(expected, PenaltyBenchmark.routes(models), network);
        } finally {
            models.values().forEach(GanModel::close);
        }
    }
}
