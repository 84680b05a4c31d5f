package org.jgan.mlp.internal;

import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.Networks;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** The MLP networks of one run. Conditional runs concatenate the one-hot labels to the input of both networks. */
final class MlpNetworks implements Networks {

    /** Widths, depths, activation and initialisation. */
    record Layout(int hidden, int gLayers, int dLayers, String activation, double leak, String init, double initStd,
            int minibatchKernels, int minibatchKernelDims, int vbnReference) {
        Layout(int hidden, int gLayers, int dLayers, String activation, double leak, String init, double initStd) {
            this(hidden, gLayers, dLayers, activation, leak, init, initStd, 0, 5, 0);
        }
    }

    private final DataShape shape;
    private final int latent;
    private final int classes;
    private final Layout layout;

    MlpNetworks(DataShape shape, int latent, int classes, Layout layout) {
        this.shape = shape;
        this.latent = latent;
        this.classes = classes;
        this.layout = layout;
    }

    @Override
    public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
        SameDiff sd = scope.sd();
        SDVariable h = labels == null ? z : sd.concat(1, z, labels);
        long in = latent + classes;
        VirtualBatchNorm vbn = null;
        if (layout.vbnReference() > 0) {
            if (labels != null) {
                throw new IllegalArgumentException("architecture 'mlp': gNorm=vbn supports unconditional runs only; "
                        + "expected gNorm=none with class labels");
            }
            vbn = new VirtualBatchNorm(scope, layout.vbnReference(), latent);
        }
        for (int i = 0; i < layout.gLayers(); i++) {
            SDVariable a = dense(scope, "fc" + i, h, in, layout.hidden());
            if (vbn != null) {
                SDVariable aRef = dense(scope, "fc" + i, vbn.reference(), in, layout.hidden());
                vbn.advance(activate(scope, vbn.normalizeReference("vbn" + i, aRef, layout.hidden())));
                a = vbn.normalize("vbn" + i, a, aRef, layout.hidden());
            }
            h = activate(scope, a);
            in = layout.hidden();
        }
        SDVariable out = dense(scope, "out", h, in, shape.size());
        return shape.dims().length == 1 ? out : sd.reshape(out, shape.batched(-1));
    }

    @Override
    public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
        SameDiff sd = scope.sd();
        SDVariable h = shape.dims().length == 1 ? x : sd.reshape(x, -1, shape.size());
        if (labels != null) {
            h = sd.concat(1, h, labels);
        }
        long in = shape.size() + classes;
        for (int i = 0; i < layout.dLayers(); i++) {
            h = activate(scope, dense(scope, "fc" + i, h, in, layout.hidden()));
            in = layout.hidden();
        }
        SDVariable features = h;
        if (layout.minibatchKernels() > 0) {
            h = MinibatchDiscrimination.append(scope, h, in, layout.minibatchKernels(), layout.minibatchKernelDims());
            in += layout.minibatchKernels();
        }
        return new Critique(dense(scope, "out", h, in, 1), features);
    }

    private SDVariable dense(NetworkScope scope, String name, SDVariable x, long in, long out) {
        SDVariable w = scope.param(name + "/W", ParamKind.WEIGHT, init(in, out), in, out);
        SDVariable b = scope.param(name + "/b", ParamKind.BIAS, Initializer.zeros(), out);
        // matmul + broadcast add rather than SameDiff's fused xw_plus_b: in ND4J 1.0.0-M2.1 xw_plus_b gives wrong
        // results for a square weight fed by another op (seen with 128 x 128 hidden layers; LinearLayerTest).
        return x.mmul(w).add(b);
    }

    private Initializer init(long in, long out) {
        return switch (layout.init()) {
            case "he" -> Initializer.heNormal(in);
            case "normal" -> Initializer.normal(layout.initStd());
            default -> Initializer.glorotUniform(in, out);
        };
    }

    private SDVariable activate(NetworkScope scope, SDVariable x) {
        return switch (layout.activation()) {
            case "tanh" -> scope.sd().math.tanh(x);
            case "leakyrelu" -> scope.leakyRelu(x, layout.leak());
            default -> scope.relu(x);
        };
    }
}
