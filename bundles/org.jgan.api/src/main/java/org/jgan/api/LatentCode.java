package org.jgan.api;

/**
 * A structured part of the generator's latent vector, as in InfoGAN (Chen et al. 2016, "InfoGAN: Interpretable
 * Representation Learning by Information Maximizing Generative Adversarial Nets", section 4): the engine places
 * the codes a run's regularizers declare in the first columns of z, in declaration order, and draws the rest of z
 * from N(0, 1) as usual.
 *
 * @param name       unique within a run; {@link RegularizationContext#code(String)} returns its columns
 * @param categories at least 2 for a categorical code (uniform over the categories, one-hot, {@code categories}
 *                   columns), or 0 for a continuous code (U(-1, 1), one column)
 * @since 1.3
 */
public record LatentCode(String name, int categories) {

    public LatentCode {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a latent code needs a name");
        }
        if (categories == 1 || categories < 0) {
            throw new IllegalArgumentException("latent code '" + name + "' has " + categories
                    + " categories; expected at least 2 (categorical) or 0 (continuous)");
        }
    }

    /** A categorical code over {@code categories} values. */
    public static LatentCode categorical(String name, int categories) {
        return new LatentCode(name, categories);
    }

    /** A continuous code drawn from U(-1, 1). */
    public static LatentCode continuous(String name) {
        return new LatentCode(name, 0);
    }

    /** Columns of z the code occupies. */
    public int width() {
        return categories == 0 ? 1 : categories;
    }
}
