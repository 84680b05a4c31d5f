package org.jgan.mlp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.api.Options;
import org.jgan.api.Side;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The MLP computes what its equations say, for every batch size (a regression test for xw_plus_b). */
class MlpNetworksTest {

    /** A scope that creates parameters in one graph, as the engine does. */
    static final class Scope implements NetworkScope {
        final SameDiff sd = SameDiff.create();
        final Map<String, INDArray> params = new HashMap<>();

        @Override
        public SameDiff sd() {
            return sd;
        }

        @Override
        public Side network() {
            return Side.GENERATOR;
        }

        @Override
        public boolean training() {
            return true;
        }

        @Override
        public SDVariable param(String name, ParamKind kind, Initializer init, long... shape) {
            if (sd.hasVariable(name)) {
                return sd.getVariable(name);
            }
            INDArray a = init.create(shape, new SplittableRandom(name.hashCode()));
            params.put(name, a);
            return sd.var(name, a);
        }

        @Override
        public Map<String, SDVariable> parameters(ParamKind kind) {
            Map<String, SDVariable> out = new HashMap<>();
            params.keySet().forEach(n -> out.put(n, sd.getVariable(n)));
            return out;
        }

        @Override
        public SDVariable buffer(String name, Initializer init, long... shape) {
            return param("buffer/" + name, ParamKind.OTHER, init, shape);
        }

        @Override
        public void updateBuffer(SDVariable buffer, SDVariable newValue) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void generatorMatchesTheHandWrittenForwardPassAtSeveralBatchSizes() {
        Networks nets = new MlpArchitecture().create(new DataShape(2), 16, 0,
                Options.resolve("architecture", MlpArchitecture.OPTIONS, Map.of()));
        Scope scope = new Scope();
        SDVariable z = scope.sd.placeHolder("z", DataType.FLOAT, -1, 16);
        SDVariable out = nets.generator(scope, z, null);
        for (int n : new int[] {1, 3, 64, 3}) {
            INDArray zv = Nd4j.rand(DataType.FLOAT, n, 16).subi(0.5);
            INDArray h = Transforms.relu(zv.mmul(scope.params.get("fc0/W")).addRowVector(scope.params.get("fc0/b")));
            h = Transforms.relu(h.mmul(scope.params.get("fc1/W")).addRowVector(scope.params.get("fc1/b")));
            INDArray expected = h.mmul(scope.params.get("out/W")).addRowVector(scope.params.get("out/b"));
            INDArray got = scope.sd.outputSingle(Map.of("z", zv), out.name());
            assertEquals(0, got.sub(expected).norm2Number().doubleValue(), 1e-4, "batch " + n);
        }
    }

    @Test
    void discriminatorReturnsOneLogitPerSampleAndItsFeatures() {
        Networks nets = new MlpArchitecture().create(new DataShape(1, 4, 4), 8, 0,
                Options.resolve("architecture", MlpArchitecture.OPTIONS, Map.of("hidden", "32", "activation", "tanh")));
        Scope scope = new Scope();
        SDVariable x = scope.sd.placeHolder("x", DataType.FLOAT, -1, 1, 4, 4);
        Critique c = nets.discriminator(scope, x, null);
        Map<String, INDArray> out = scope.sd.output(Map.of("x", Nd4j.rand(DataType.FLOAT, 5, 1, 4, 4)),
                c.logits().name(), c.features().name());
        assertArrayEquals(new long[] {5, 1}, out.get(c.logits().name()).shape());
        assertArrayEquals(new long[] {5, 32}, out.get(c.features().name()).shape());
        Scope gScope = new Scope();
        SDVariable z = gScope.sd.placeHolder("z", DataType.FLOAT, -1, 8);
        INDArray g = gScope.sd.outputSingle(Map.of("z", Nd4j.rand(DataType.FLOAT, 5, 8)),
                nets.generator(gScope, z, null).name());
        assertArrayEquals(new long[] {5, 1, 4, 4}, g.shape());
    }
}
