package org.jgan.mlp.internal;

import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.Networks;
import org.jgan.layers.BatchNorm;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The MLP networks of one run. Conditional runs concatenate the one-hot labels to the input of both networks.
 * <pre>
 *   G:  h_0 = z,  h_i = act(norm(h_{i-1} W_i + b_i)),  G(z) = h_L W_out + b_out
 *   D:  h_0 = x,  h_i = act(h_{i-1} W_i + b_i),  or with k maxout pieces  h_i = max_j (h_{i-1} W_ij + b_ij);
 *       D(x) = h_L w_out + b_out
 * </pre>
 * With batch normalization (Ioffe and Szegedy 2015) G's hidden layers have no bias b_i: the normalization's beta
 * takes its place, as in PacGAN's generator.
 */
final class MlpNetworks implements Networks {

    /** Widths, depths, activation and initialisation. */
    record Layout(int gHidden, int dHidden, int gLayers, int dLayers, String activation, double leak, String init,
            double initStd, int minibatchKernels, int minibatchKernelDims, int vbnReference, boolean batchNorm,
            int maxout) {
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
        long width = layout.gHidden();
        for (int i = 0; i < layout.gLayers(); i++) {
            SDVariable a;
            if (layout.batchNorm()) {
                // [batch, width] as [batch, width, 1, 1]: the statistics per unit over the batch
                a = linear(scope, "fc" + i, h, in, width);
                a = sd.reshape(BatchNorm.apply(scope, "bn" + i, sd.reshape(a, -1, width, 1, 1), width), -1, width);
            } else {
                a = dense(scope, "fc" + i, h, in, width);
            }
            if (vbn != null) {
                SDVariable aRef = dense(scope, "fc" + i, vbn.reference(), in, width);
                vbn.advance(activate(scope, vbn.normalizeReference("vbn" + i, aRef, width)));
                a = vbn.normalize("vbn" + i, a, aRef, width);
            }
            h = activate(scope, a);
            in = width;
        }
        SDVariable out = dense(scope, "out", h, in, shape.size());
        return shape.dims().length == 1 ? out : sd.reshape(out, shape.batched(-1));
    }

    /** D's rows are independent unless minibatch discrimination compares each with the batch's others. */
    @Override
    public boolean independentSamples() {
        return layout.minibatchKernels() == 0;
    }

    @Override
    public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
        SameDiff sd = scope.sd();
        SDVariable h = shape.dims().length == 1 ? x : sd.reshape(x, -1, shape.size());
        if (labels != null) {
            h = sd.concat(1, h, labels);
        }
        long in = shape.size() + classes;
        long width = layout.dHidden();
        for (int i = 0; i < layout.dLayers(); i++) {
            h = layout.maxout() > 0 ? maxout(scope, "fc" + i, h, in, width, layout.maxout())
                    : activate(scope, dense(scope, "fc" + i, h, in, width));
            in = width;
        }
        SDVariable features = h;
        if (layout.minibatchKernels() > 0) {
            h = MinibatchDiscrimination.append(scope, h, in, layout.minibatchKernels(), layout.minibatchKernelDims());
            in += layout.minibatchKernels();
        }
        return new Critique(dense(scope, "out", h, in, 1), features);
    }

    private SDVariable dense(NetworkScope scope, String name, SDVariable x, long in, long out) {
        SDVariable b = scope.param(name + "/b", ParamKind.BIAS, Initializer.zeros(), out);
        // matmul + broadcast add rather than SameDiff's fused xw_plus_b: in ND4J 1.0.0-M2.1 xw_plus_b gives wrong
        // results for a square weight fed by another op (seen with 128 x 128 hidden layers; LinearLayerTest).
        return linear(scope, name, x, in, out).add(b);
    }

    private SDVariable linear(NetworkScope scope, String name, SDVariable x, long in, long out) {
        return x.mmul(scope.param(name + "/W", ParamKind.WEIGHT, init(in, out), in, out));
    }

    /**
     * Maxout units (Goodfellow et al. 2013): one product {@code x W + b} with {@code W [in, k * out]}, whose column
     * block j is piece j of every unit, and the maximum over the pieces, taken as
     * {@code m_1 = p_1, m_j = m_{j-1} + relu(p_j - m_{j-1})}: the same values and gradient (the winning piece's),
     * built of ops whose kinks the engine's gradient penalties handle exactly (see {@link NetworkScope#relu}).
     */
    private SDVariable maxout(NetworkScope scope, String name, SDVariable x, long in, long out, int pieces) {
        SDVariable p = dense(scope, name, x, in, out * pieces);
        SDVariable m = null;
        for (int j = 0; j < pieces; j++) {
            SDVariable piece = p.get(SDIndex.all(), SDIndex.interval(j * out, (j + 1) * out));
            m = m == null ? piece : m.add(scope.relu(piece.sub(m)));
        }
        return m;
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
