package org.jgan.dcgan.internal;

import org.jgan.api.Critique;
import org.jgan.api.Initializer;
import org.jgan.api.NetworkScope.ParamKind;
import org.jgan.api.NetworkScope;
import org.jgan.api.Networks;
import org.jgan.layers.BatchNorm;
import org.jgan.layers.NetworkChecks;
import org.jgan.layers.Resolution;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.DeConv2DConfig;

/**
 * The DCGAN networks of one run (Radford et al. 2015); see {@link DcganArchitecture} for the layer plan.
 * Convolution weights are {@code [kH, kW, inC, outC]} (SameDiff's default YXIO layout); transposed-convolution
 * weights are {@code [kH, kW, outC, inC]}, the layout libnd4j's {@code deconv2d} expects by default. The latter is
 * also the YXIO weight of the convolution {@code outC -> inC} whose adjoint the transposed convolution is, so a
 * reparametrization that views a weight as the matrix {@code [prod(leading dims), lastDim]} (spectral
 * normalization) sees every layer as a convolution with one column per filter.
 */
final class DcganNetworks implements Networks {

    static final String NAME = "dcgan";
    /** Kernel 4, stride 2, padding 1: each layer halves (D) or doubles (G) the resolution. */
    private static final int KERNEL = 4;
    private static final double LEAK = 0.2;

    /**
     * @param channels  base width C: the widest layer has C * 2^(doublings - 1) channels
     * @param batchNorm batch normalization in G (except the output) and D (except the input layer)
     * @param tanh      tanh instead of ReLU (G) and LeakyReLU (D) as hidden activation (Roth et al. 2017)
     * @param he        He et al. 2015 normal initialisation instead of N(0, initStd^2)
     */
    record Layout(int channels, boolean batchNorm, boolean tanh, boolean he, double initStd) {
    }

    private final Resolution res;
    private final int latent;
    private final int classes;
    private final Layout layout;

    DcganNetworks(Resolution res, int latent, int classes, Layout layout) {
        this.res = res;
        this.latent = latent;
        this.classes = classes;
        this.layout = layout;
    }

    /** Channels of G's feature map after {@code step} doublings; D mirrors them. */
    long width(int step) {
        return (long) layout.channels() << (res.doublings() - 1 - step);
    }

    @Override
    public SDVariable generator(NetworkScope scope, SDVariable z, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        NetworkChecks.shape(NAME, z, "latent batch z", -1, latent);
        SDVariable h = labels == null ? z : sd.concat(1, z, labels);
        int s = res.start();
        long in = width(0);
        SDVariable a = dense(scope, "project", h, latent + classes, in * s * s, !layout.batchNorm());
        h = gActivate(scope, normalize(scope, "project/bn", sd.reshape(a, -1, in, s, s), in));
        for (int step = 1; step < res.doublings(); step++) {
            long out = width(step);
            a = deconv(scope, "deconv" + step, h, in, out, !layout.batchNorm());
            h = gActivate(scope, normalize(scope, "deconv" + step + "/bn", a, out));
            in = out;
        }
        return sd.math.tanh(deconv(scope, "out", h, in, res.channels(), true));
    }

    /** D's rows are independent unless batch norm (on every layer but the input one) normalizes them together. */
    @Override
    public boolean independentSamples() {
        return !layout.batchNorm();
    }

    @Override
    public Critique discriminator(NetworkScope scope, SDVariable x, SDVariable labels) {
        SameDiff sd = scope.sd();
        NetworkChecks.labels(NAME, classes, labels);
        int size = res.size();
        NetworkChecks.shape(NAME, x, "data batch x", -1, res.channels(), size, size);
        SDVariable h = labels == null ? x : sd.concat(1, x, NetworkChecks.labelMaps(sd, labels, classes, size));
        long in = res.channels() + classes;
        for (int i = 0; i < res.doublings(); i++) {
            long out = width(res.doublings() - 1 - i);
            // no batch norm on D's input layer (Radford et al.: it made samples oscillate)
            boolean norm = layout.batchNorm() && i > 0;
            SDVariable a = conv(scope, "conv" + i, h, in, out, !norm);
            h = dActivate(scope, norm ? BatchNorm.apply(scope, "conv" + i + "/bn", a, out) : a);
            in = out;
        }
        long features = in * res.start() * res.start();
        SDVariable flat = sd.reshape(h, -1, features);
        return new Critique(dense(scope, "out", flat, features, 1, true), flat);
    }


    private SDVariable normalize(NetworkScope scope, String name, SDVariable a, long channels) {
        return layout.batchNorm() ? BatchNorm.apply(scope, name, a, channels) : a;
    }

    private SDVariable dense(NetworkScope scope, String name, SDVariable x, long in, long out, boolean bias) {
        SDVariable w = scope.param(name + "/W", ParamKind.WEIGHT, init(in), in, out);
        SDVariable y = x.mmul(w);
        return bias ? y.add(scope.param(name + "/b", ParamKind.BIAS, Initializer.zeros(), out)) : y;
    }

    private SDVariable conv(NetworkScope scope, String name, SDVariable x, long in, long out, boolean bias) {
        SDVariable w = scope.param(name + "/W", ParamKind.WEIGHT, init(KERNEL * KERNEL * in), KERNEL, KERNEL, in, out);
        Conv2DConfig c = Conv2DConfig.builder().kH(KERNEL).kW(KERNEL).sH(2).sW(2).pH(1).pW(1).dataFormat("NCHW")
                .build();
        return bias ? scope.sd().cnn().conv2d(x, w, bias(scope, name, out), c) : scope.sd().cnn().conv2d(x, w, c);
    }

    /** Transposed convolution doubling the resolution; out = 2 (in - 1) + 4 - 2 = 2 in. */
    private SDVariable deconv(NetworkScope scope, String name, SDVariable x, long in, long out, boolean bias) {
        // a stride-2 transposed convolution adds kH kW / 4 kernel entries to each output (the fan-in He scales by)
        SDVariable w = scope.param(name + "/W", ParamKind.WEIGHT, init(KERNEL * KERNEL * in / 4), KERNEL, KERNEL,
                out, in);
        DeConv2DConfig c = DeConv2DConfig.builder().kH(KERNEL).kW(KERNEL).sH(2).sW(2).pH(1).pW(1).dH(1).dW(1)
                .isSameMode(false).dataFormat("NCHW").build();
        return bias ? scope.sd().cnn().deconv2d(x, w, bias(scope, name, out), c) : scope.sd().cnn().deconv2d(x, w, c);
    }

    private static SDVariable bias(NetworkScope scope, String name, long out) {
        return scope.param(name + "/b", ParamKind.BIAS, Initializer.zeros(), out);
    }

    private Initializer init(long fanIn) {
        return layout.he() ? Initializer.heNormal(fanIn) : Initializer.normal(layout.initStd());
    }

    private SDVariable gActivate(NetworkScope scope, SDVariable x) {
        return layout.tanh() ? scope.sd().math.tanh(x) : scope.relu(x);
    }

    private SDVariable dActivate(NetworkScope scope, SDVariable x) {
        return layout.tanh() ? scope.sd().math.tanh(x) : scope.leakyRelu(x, LEAK);
    }


}
