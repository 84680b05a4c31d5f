package org.jgan.regularizers.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.Options;
import org.jgan.api.RegularizationContext;
import org.jgan.api.Side;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** LeCam's term and its moving averages against values computed by hand over two steps. */
class LeCamRegularizerTest {

    /** D's logits on data and samples as placeholders; buffers as variables whose updates the test applies. */
    static final class Context implements RegularizationContext, NetworkScope {
        final SameDiff sd = SameDiff.create();
        final SDVariable real = sd.placeHolder("real", DataType.FLOAT, -1, 1);
        final SDVariable fake = sd.placeHolder("fake", DataType.FLOAT, -1, 1);
        final Map<SDVariable, SDVariable> updates = new LinkedHashMap<>();

        @Override
        public SameDiff sd() {
            return sd;
        }

        @Override
        public Side side() {
            return Side.DISCRIMINATOR;
        }

        @Override
        public Critique realCritique() {
            return new Critique(real, null);
        }

        @Override
        public Critique fakeCritique() {
            return new Critique(fake, null);
        }

        @Override
        public NetworkScope scope() {
            return this;
        }

        @Override
        public SDVariable buffer(String name, Initializer init, long... shape) {
            return sd.var(name, Nd4j.zeros(DataType.FLOAT, shape));
        }

        @Override
        public void updateBuffer(SDVariable buffer, SDVariable newValue) {
            updates.put(buffer, newValue);
        }

        /** Runs the term on these logits, then stores the buffers' new values as the engine does after a step. */
        double step(SDVariable term, double[] r, double[] f) {
            Map<String, INDArray> feed = feed(r, f);
            Map<String, INDArray> out = new HashMap<>();
            for (SDVariable v : updates.values()) {
                out.put(v.name(), sd.outputSingle(feed, v.name()).dup());
            }
            double value = sd.outputSingle(feed, term.name()).getDouble(0);
            updates.forEach((buffer, next) -> buffer.getArr().assign(out.get(next.name())));
            return value;
        }

        static Map<String, INDArray> feed(double[] r, double[] f) {
            return Map.of("real", Nd4j.createFromArray(r).castTo(DataType.FLOAT).reshape(-1, 1),
                    "fake", Nd4j.createFromArray(f).castTo(DataType.FLOAT).reshape(-1, 1));
        }

        // not used by the term
        @Override
        public SDVariable real() {
            throw new UnsupportedOperationException();
        }

        @Override
        public SDVariable fake() {
            throw new UnsupportedOperationException();
        }

        @Override
        public SDVariable labels() {
            return null;
        }

        @Override
        public Critique discriminate(SDVariable x) {
            throw new UnsupportedOperationException();
        }

        @Override
        public SDVariable noise(String name, long... shape) {
            throw new UnsupportedOperationException();
        }

        @Override
        public SDVariable uniform(String name, long... shape) {
            throw new UnsupportedOperationException();
        }

        @Override
        public NetworkScope scope(Side network) {
            return this;
        }

        @Override
        public SDVariable code(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long[] shapeOf(SDVariable variable) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String lossName() {
            return "nonsaturating";
        }

        @Override
        public Options lossOptions() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Side network() {
            return Side.DISCRIMINATOR;
        }

        @Override
        public boolean training() {
            return true;
        }

        @Override
        public SDVariable param(String name, ParamKind kind, Initializer init, long... shape) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, SDVariable> parameters(ParamKind kind) {
            return Map.of();
        }
    }

    private static Options options(String decay, String oneSided) {
        return Options.resolve("regularizer 'lecam'", new LeCamRegularizer().options(),
                Map.of("emaDecay", decay, "oneSided", oneSided));
    }

    @Test
    void termAndDebiasedAveragesMatchHandComputedValues() {
        Context c = new Context();
        SDVariable term = new LeCamRegularizer().define(c, options("0.9", "false"));
        // step 1: means 2 (data) and -0.5 (samples); the debiased averages are those means:
        // alpha_R = 0.1 * 2 / (1 - 0.9) = 2, alpha_F = -0.5
        // R = mean((1 + 0.5)^2, (3 + 0.5)^2) + mean((2 + 1)^2, (2 - 0)^2) = 7.25 + 6.5
        assertEquals(13.75, c.step(term, new double[] {1, 3}, new double[] {-1, 0}), 1e-5);
        // step 2: means 1 and 1; b_R = 0.9 * 0.2 + 0.1 = 0.28, b_F = 0.9 * -0.05 + 0.1 = 0.055,
        // w = 1 - 0.9^2 = 0.19: alpha_R = 0.28 / 0.19, alpha_F = 0.055 / 0.19
        double alphaR = 0.28 / 0.19;
        double alphaF = 0.055 / 0.19;
        double expected = (sq(0 - alphaF) + sq(2 - alphaF)) / 2 + (sq(alphaR - 1) + sq(alphaR - 1)) / 2;
        Map<SDVariable, SDVariable> updates = c.updates;
        assertEquals(3, updates.size(), "two averages and their weight are buffers");
        INDArray[] before = updates.keySet().stream().map(b -> b.getArr().dup()).toArray(INDArray[]::new);
        assertEquals(expected, c.step(term, new double[] {0, 2}, new double[] {1, 1}), 1e-5);
        assertEquals(0.2, before[0].getDouble(0), 1e-6, "b_R after step 1");
        assertEquals(-0.05, before[1].getDouble(0), 1e-6, "b_F after step 1");
        assertEquals(0.1, before[2].getDouble(0), 1e-6, "w after step 1");
    }

    @Test
    void theAnchorsAreConstantsOfTheGradient() {
        Context c = new Context();
        SDVariable term = new LeCamRegularizer().define(c, options("0", "false"));
        // decay 0: the anchors are this batch's means, alpha_R = mean(0, 2) = 1, alpha_F = mean(0, 1) = 0.5;
        // dR/dr_i = 2 (r_i - alpha_F) / n and dR/df_i = -2 (alpha_R - f_i) / n. Through the anchors the data logits
        // would also get (2/n) sum_j (alpha_R - f_j) / n = 0.5 each.
        c.sd.setLossVariables(term.name());
        // a placeholder's gradient is only created when asked for (SameDiff 1.0.0-M2.1)
        c.sd.createGradFunction("real", "fake");
        Map<String, INDArray> g = c.sd.calculateGradients(Context.feed(new double[] {0, 2}, new double[] {0, 1}),
                "real", "fake");
        assertEquals(-0.5, g.get("real").getDouble(0), 1e-5);
        assertEquals(1.5, g.get("real").getDouble(1), 1e-5);
        assertEquals(-1, g.get("fake").getDouble(0), 1e-5);
        assertEquals(0, g.get("fake").getDouble(1), 1e-5);
    }

    @Test
    void oneSidedPenalizesOnlyOutputsBeyondTheAnchor() {
        Context c = new Context();
        SDVariable term = new LeCamRegularizer().define(c, options("0", "true"));
        // anchors alpha_R = mean(0, 4) = 2, alpha_F = mean(1, 3) = 2: relu(r - 2) = (0, 2), relu(2 - f) = (1, 0)
        assertEquals((0 + 4) / 2.0 + (1 + 0) / 2.0, c.step(term, new double[] {0, 4}, new double[] {1, 3}), 1e-5);
        Context two = new Context();
        SDVariable paper = new LeCamRegularizer().define(two, options("0", "false"));
        assertEquals((4 + 4) / 2.0 + (1 + 1) / 2.0, two.step(paper, new double[] {0, 4}, new double[] {1, 3}), 1e-5);
    }

    private static double sq(double x) {
        return x * x;
    }
}
