package org.jgan.stylegan.internal;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Style mixing regularization (Karras et al. 2018, section 3.1): for a fraction of the training images two
 * latents are mapped to w1 and w2, and the layers before a crossover point take their styles from w1, the layers
 * from it on from w2. Here the choice is made per sample from two U[0, 1) draws u: the sample mixes when
 * {@code u_0 < probability}, and the crossover layer is {@code 1 + floor(u_1 (L - 1))}, uniform over 1..L-1 (as
 * in the authors' code, which draws one choice per minibatch).
 */
final class StyleMixing {

    private StyleMixing() {
    }

    /**
     * @param w1          {@code [batch, wDim]}
     * @param w2          {@code [batch, wDim]}
     * @param u           {@code [batch, 2]} draws in [0, 1)
     * @param probability mixing probability
     * @param layers      L, the number of style inputs
     * @return the L per-layer styles' w, each {@code [batch, wDim]}
     */
    static List<SDVariable> perLayer(SameDiff sd, SDVariable w1, SDVariable w2, SDVariable u, double probability,
            int layers) {
        SDVariable mix = sd.lt(u.get(org.nd4j.autodiff.samediff.SDIndex.all(),
                org.nd4j.autodiff.samediff.SDIndex.interval(0, 1)), probability).castTo(DataType.FLOAT);
        SDVariable cutoff = sd.math.floor(u.get(org.nd4j.autodiff.samediff.SDIndex.all(),
                org.nd4j.autodiff.samediff.SDIndex.interval(1, 2)).mul(layers - 1)).add(1);
        List<SDVariable> out = new ArrayList<>();
        SDVariable delta = w2.sub(w1);
        for (int l = 0; l < layers; l++) {
            // 1 for samples that mix and whose crossover is at or before layer l (cutoff <= l, with a half-step margin
            // against rounding)
            SDVariable second = mix.mul(sd.lt(cutoff, l + 0.5).castTo(DataType.FLOAT));
            out.add(w1.add(delta.mul(second)));
        }
        return out;
    }
}
