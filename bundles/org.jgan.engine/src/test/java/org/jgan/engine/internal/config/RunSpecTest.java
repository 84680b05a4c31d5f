package org.jgan.engine.internal.config;

import java.util.Map;
import org.jgan.engine.internal.TestCatalog;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunSpecTest {

    private static IllegalArgumentException reject(Map<String, String> raw) {
        return assertThrows(IllegalArgumentException.class, () -> RunSpec.parse(raw, TestCatalog.create(), "r"));
    }

    @Test
    void defaultsResolveAndOutputDirFollowsTheName() {
        RunSpec s = RunSpec.parse(Map.of("name", "abc"), TestCatalog.create(), "unused");
        assertEquals("runs/abc", s.settings().outputDir());
        assertEquals("mlp", s.architecture().name());
        assertEquals("128", s.resolved().get("architecture.hidden"));
        assertEquals(1, s.metrics().size(), "metrics=auto picks the installed metric");
    }

    @Test
    void badInputIsNamedWithWhatIsExpected() {
        assertEquals("unknown loss 'bce'; installed: fgan, hinge, lsgan, minimax, nonsaturating, rpgan, wasserstein",
                reject(Map.of("loss", "bce")).getMessage());
        assertEquals("setting: option 'lrG' has value '-0.1'; expected a number in [1.0E-12, 10]",
                reject(Map.of("lrG", "-0.1")).getMessage());
        assertEquals("setting: option 'batchSize' has value '0'; expected an integer in [1, 65536]",
                reject(Map.of("batchSize", "0")).getMessage());
        // refused when validated (gan:validate), not only when the run builds its model
        assertEquals("setting 'accumulate' is 3, which does not divide batchSize 64; expected a divisor of batchSize "
                + "(micro-batches of equal size)", reject(Map.of("batchSize", "64", "accumulate", "3")).getMessage());
        assertTrue(reject(Map.of("epochs", "3")).getMessage().startsWith("unknown setting 'epochs'; known settings: name,"));
        assertEquals("architecture 'mlp': unknown option 'depth'; known options: activation, dHidden, dLayers, dMaxout, gHidden, gLayers, gNorm, hidden, init, initStd, leak, minibatchKernelDims, minibatchKernels, vbnReference",
                reject(Map.of("architecture.depth", "3")).getMessage());
        assertEquals("unknown regularizer 'r3'; installed: ada, clip, diffaugment, dragan, feature-matching, historical-averaging, infogan, instance-noise, lecam, orthogonal, r1, r2, roth, roth-f, spectral-norm, wgan-gp",
                reject(Map.of("regularizers", "r3")).getMessage());
        assertTrue(reject(Map.of("regularizer.r1.weight", "3")).getMessage()
                .startsWith("settings 'regularizer.r1.*' name no chosen component"));
        assertEquals("penalty 'roth': option 'gamma' has value '-2'; expected a number in [0, 1000000000]",
                reject(Map.of("regularizers", "roth", "regularizer.roth.gamma", "-2")).getMessage());
        assertTrue(reject(Map.of("name", "../x")).getMessage().startsWith("setting 'name' is '../x'"));
    }
}
