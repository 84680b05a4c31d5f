package org.jgan.vae.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.ModelContext;
import org.jgan.api.NetworkScope;
import org.jgan.api.Objective;
import org.jgan.api.Options;
import org.jgan.api.Side;
import org.jgan.testing.TestScope;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ELBO's terms on inputs chosen so that every value can be worked out by hand: the encoder's trunk is the identity
 * (features = x), its head is set to mean = x and log-variance = (log 1/4, 0), the decoder is a fixed linear map, the
 * noise is given. Batch of 2, two dimensions, two latent dimensions:
 * <pre>
 *   x = [[0.5, -1], [0, 1]], eps = [[1, 0], [-2, 1]], sigma_e = [0.5, 1]  =>  z = [[1, -1], [-1, 2]]
 *   KL = mean over rows of 1/2 sum_j (mu^2 + sigma_e^2 - 1 - log sigma_e^2)
 *      = ((0.25 + 0.25 - 1 + log 4) + 1 + (0.25 - 1 + log 4) + 1) / 4 = 0.880647...
 * </pre>
 */
class VaeModelTest {

    private static final double KL = 0.8806471805599453;

    /** Builds the objective on the hand-made networks; decoder G(z) = scale * z. */
    private static Map<String, Double> evaluate(double scale, String... options) {
        SameDiff sd = SameDiff.create();
        TestScope.Store store = new TestScope.Store();
        store.params.put("d/vae/mean/W", Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}}));
        store.params.put("d/vae/mean/b", Nd4j.zeros(DataType.FLOAT, 1, 2));
        store.params.put("d/vae/log_variance/W", Nd4j.zeros(DataType.FLOAT, 2, 2));
        store.params.put("d/vae/log_variance/b", Nd4j.createFromArray(new float[][] {{(float) Math.log(0.25), 0}}));
        TestScope g = new TestScope(sd, Side.GENERATOR, true, store);
        TestScope d = new TestScope(sd, Side.DISCRIMINATOR, true, store);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 2);
        Map<String, String> given = new HashMap<>();
        for (int i = 0; i < options.length; i += 2) {
            given.put(options[i], options[i + 1]);
        }
        VaeModel vae = new VaeModel();
        Options resolved = Options.resolve("model 'vae'", vae.options(), given);
        ModelContext context = new ModelContext() {
            @Override
            public SameDiff sd() {
                return sd;
            }

            @Override
            public DataShape shape() {
                return new DataShape(2);
            }

            @Override
            public int latent() {
                return 2;
            }

            @Override
            public int batchSize() {
                return 2;
            }

            @Override
            public SDVariable data() {
                return x;
            }

            @Override
            public SDVariable labels() {
                return null;
            }

            @Override
            public NetworkScope generatorScope() {
                return g;
            }

            @Override
            public NetworkScope discriminatorScope() {
                return d;
            }

            @Override
            public SDVariable generator(SDVariable z) {
                return z.mul(scale);
            }

            @Override
            public Critique discriminator(SDVariable input) {
                return new Critique(input.sum(true, 1), input.mul(1.0));
            }

            @Override
            public long[] shapeOf(SDVariable variable) {
                return new long[] {2, 2};
            }

            @Override
            public SDVariable option(String name) {
                return sd.constant(Nd4j.scalar(DataType.FLOAT, resolved.getDouble(name)));
            }
        };
        Objective objective = vae.define(context, resolved);
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("x", Nd4j.createFromArray(new float[][] {{0.5f, -1}, {0, 1}}));
        feed.put("d/noise/vae/epsilon", Nd4j.createFromArray(new float[][] {{1, 0}, {-2, 1}}));
        List<String> names = new java.util.ArrayList<>(objective.terms().values().stream().map(SDVariable::name)
                .toList());
        names.add(objective.loss().name());
        Map<String, INDArray> out = sd.output(feed, names.toArray(new String[0]));
        Map<String, Double> values = new HashMap<>();
        objective.terms().forEach((n, v) -> values.put(n, out.get(v.name()).getDouble(0)));
        values.put("loss", out.get(objective.loss().name()).getDouble(0));
        values.put("params", (double) store.params.size());
        return values;
    }

    @Test
    void gaussianDecoderWithFixedSigma() {
        // residuals x - z: [-0.5, 0] and [1, -1], mean squared norm 1.125; sigma 0.5, D = 2:
        // NLL = 1.125 / (2 * 0.25) + 2 log 0.5 + log(2 pi) = 2.701583...; loss = NLL + beta KL with beta 2
        Map<String, Double> v = evaluate(1, "sigma", "0.5", "beta", "2");
        assertEquals(KL, v.get("kl"), 1e-6);
        assertEquals(2.7015827052894545, v.get("nll"), 1e-5);
        assertEquals(2.7015827052894545 + 2 * KL, v.get("loss"), 1e-5);
        assertEquals(-(2.7015827052894545 + KL), v.get("elbo"), 1e-5);
        assertEquals(0.5, v.get("sigma"), 1e-7);
    }

    @Test
    void gaussianDecoderLearnsOneSigmaStartingAtOne() {
        // log sigma is a generator parameter initialised at 0: NLL = 1.125 / 2 + log(2 pi)
        Map<String, Double> v = evaluate(1);
        assertEquals(1, v.get("sigma"), 1e-7);
        assertEquals(1.125 / 2 + Math.log(2 * Math.PI), v.get("nll"), 1e-5);
        assertEquals(1.125 / 2 + Math.log(2 * Math.PI) + KL, v.get("loss"), 1e-5);
        // the head's four arrays and log sigma
        assertEquals(5, v.get("params"));
    }

    @Test
    void bernoulliDecoderOnIntensitiesWithItsClamp() {
        // G(z) = z / 2 = [[0.5, -0.5], [-0.5, 1]]: means m = (1 + G)/2 = [[0.75, 0.25], [0.25, 1 -> 1 - 1e-6]],
        // targets t = (1 + x)/2 = [[0.75, 0], [0.5, 1]]; NLL row 0 = -(0.75 log 0.75 + 0.25 log 0.25) - log 0.75,
        // row 1 = -(0.5 log 0.25 + 0.5 log 0.75) - log(1 - 1e-6)
        double row0 = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)) - Math.log(0.75);
        double row1 = -(0.5 * Math.log(0.25) + 0.5 * Math.log(0.75)) - Math.log(1 - 1e-6);
        Map<String, Double> v = evaluate(0.5, "decoder", "bernoulli");
        assertEquals((row0 + row1) / 2, v.get("nll"), 1e-5);
        assertEquals((row0 + row1) / 2 + KL, v.get("loss"), 1e-5);
        assertEquals(4, v.get("params"), "no sigma for a Bernoulli decoder");
        assertTrue(!v.containsKey("sigma"));
    }

    @Test
    void aDiscriminatorWithoutFeaturesIsRefusedInOneLine() {
        SameDiff sd = SameDiff.create();
        ModelContext context = (ModelContext) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ModelContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "sd" -> sd;
                    case "latent" -> 2;
                    case "data" -> sd.placeHolder("x", DataType.FLOAT, -1, 2);
                    case "discriminator" -> new Critique((SDVariable) args[0], null);
                    default -> throw new AssertionError(method.getName());
                });
        VaeModel vae = new VaeModel();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vae.define(context, Options.resolve("model 'vae'", vae.options(), Map.of())));
        assertTrue(e.getMessage().startsWith("model 'vae': the architecture's discriminator returns no features"),
                e.getMessage());
    }
}
