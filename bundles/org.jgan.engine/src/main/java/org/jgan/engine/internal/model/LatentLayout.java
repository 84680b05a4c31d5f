package org.jgan.engine.internal.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jgan.api.LatentCode;
import org.jgan.api.Regularizer;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.graph.Seeds;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where the latent codes of a run's regularizers (InfoGAN, Chen et al. 2016) sit in z, and how z is drawn: the
 * codes fill the first columns in declaration order (categorical: uniform one-hot; continuous: U(-1, 1)), the
 * remaining columns are N(0, 1) noise.
 */
public final class LatentLayout {

    /** One code's columns. */
    record Slot(String owner, LatentCode code, int offset) {
    }

    private final int latent;
    private final Map<String, Slot> slots = new LinkedHashMap<>();

    private LatentLayout(int latent) {
        this.latent = latent;
    }

    public static LatentLayout of(RunSpec spec, int latent) {
        LatentLayout layout = new LatentLayout(latent);
        int offset = 0;
        for (RunSpec.RegularizerChoice r : spec.regularizers()) {
            if (r.kind() != Kind.REGULARIZER) {
                continue;
            }
            for (LatentCode c : ((Regularizer) r.entry().component()).latentCodes(r.options())) {
                Slot previous = layout.slots.put(c.name(), new Slot(r.name(), c, offset));
                if (previous != null) {
                    throw new IllegalArgumentException("latent code '" + c.name() + "' is declared by both "
                            + previous.owner() + " and " + r.name() + "; expected unique code names");
                }
                offset += c.width();
            }
        }
        if (offset > 0 && offset >= latent) {
            throw new IllegalArgumentException("the latent codes of the run (" + layout.describe() + ") take "
                    + offset + " columns of z, but latent is " + latent + "; expected latent > " + offset
                    + " so that z keeps noise columns");
        }
        return layout;
    }

    /** The code's columns. */
    Slot slot(String name) {
        Slot s = slots.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no regularizer of the run declares latent code '" + name
                    + "'; declared: " + slots.keySet());
        }
        return s;
    }

    /** The columns of z. */
    int latent() {
        return latent;
    }

    /** True when z carries codes. */
    boolean hasCodes() {
        return !slots.isEmpty();
    }

    /** {@code [rows, latent]}: the codes drawn per row, N(0, 1) in the other columns. */
    public INDArray draw(long seed, int rows) {
        return withCodes(seed, Seeds.gaussian(seed, rows, latent));
    }

    /** As {@link #draw}, written into {@code z} ({@code [rows, latent]}, dense floats): the same values. */
    INDArray drawInto(long seed, INDArray z) {
        if (z.rank() != 2 || z.size(1) != latent) {
            throw new IllegalArgumentException("a latent batch is [rows, " + latent + "]; got "
                    + Arrays.toString(z.shape()));
        }
        return withCodes(seed, Seeds.gaussianInto(seed, z));
    }

    /** {@code z} (N(0, 1) draws from {@code seed}) with the codes drawn per row in their columns. */
    private INDArray withCodes(long seed, INDArray z) {
        if (slots.isEmpty()) {
            return z;
        }
        long rows = z.size(0);
        SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, 0xC0DE));
        for (int r = 0; r < rows; r++) {
            for (Slot s : slots.values()) {
                int k = s.code().categories();
                if (k == 0) {
                    z.putScalar(r, s.offset(), 2 * rng.nextDouble() - 1);
                } else {
                    int hot = rng.nextInt(k);
                    for (int j = 0; j < k; j++) {
                        z.putScalar(r, s.offset() + j, j == hot ? 1 : 0);
                    }
                }
            }
        }
        return z;
    }

    /**
     * As {@link #draw}, but row i's categorical codes take value {@code (first + i) mod categories}, so sample grids
     * show each value of a code in turn.
     */
    public INDArray drawCycling(long seed, int rows, int first) {
        INDArray z = draw(seed, rows);
        for (Slot s : slots.values()) {
            int k = s.code().categories();
            for (int r = 0; r < rows && k > 0; r++) {
                for (int j = 0; j < k; j++) {
                    z.putScalar(r, s.offset() + j, j == (first + r) % k ? 1 : 0);
                }
            }
        }
        return z;
    }

    /** The codes, in their column order in z. */
    public List<LatentCode> codes() {
        return slots.values().stream().map(Slot::code).toList();
    }

    /**
     * A copy of {@code z} with code {@code name} set in every row: a categorical code to the one-hot vector of
     * category {@code (int) value}, a continuous one to {@code value}.
     */
    public INDArray with(INDArray z, String name, double value) {
        Slot s = slot(name);
        INDArray out = z.dup();
        int k = s.code().categories();
        for (int r = 0; r < out.size(0); r++) {
            if (k == 0) {
                out.putScalar(r, s.offset(), value);
            } else {
                for (int j = 0; j < k; j++) {
                    out.putScalar(r, s.offset() + j, j == (int) value ? 1 : 0);
                }
            }
        }
        return out;
    }

    String describe() {
        List<String> parts = new ArrayList<>();
        slots.values().forEach(s -> parts.add(s.code().name() + (s.code().categories() == 0 ? " continuous"
                : " " + s.code().categories() + " categories") + " from " + s.owner()));
        return String.join(", ", parts);
    }
}
