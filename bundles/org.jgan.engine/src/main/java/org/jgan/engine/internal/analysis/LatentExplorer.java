package org.jgan.engine.internal.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jgan.engine.internal.graph.Seeds;
import org.jgan.engine.internal.model.Players;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Walks a trained generator's latent space, after the DCGAN paper (Radford et al. 2015, sections 6.1 and 6.3.2):
 * interpolation between latent points and vector arithmetic on averaged latent vectors, each written as a PNG grid.
 * <p>
 * Latent indices refer to a sample batch: by default the fixed batch the run's own sample grids show ({@code
 * samples/iter-*-samples.png}: index i is row i / 10, column i mod 10 of the 10 x 10 grid), or the batch of
 * {@link #sample} for another seed. In conditional runs sample i has class i mod K, as in the run's grids.
 */
public final class LatentExplorer {

    /** One term of a vector arithmetic expression: a sign and the sample indices whose latents it averages. */
    public record Term(int sign, List<Integer> indices) {
    }

    private final Players model;
    private final Path dir;

    /**
     * @param model a run's players restored from its checkpoint
     * @param dir   where grids are written (created when missing)
     */
    public LatentExplorer(Players model, Path dir) {
        this.model = model;
        this.dir = dir;
    }

    /** {@code count} samples from the batch of {@code seed}, in a square grid, index i at row-major position i. */
    public Path sample(int count, long seed) throws IOException {
        return sample(count, seed, -1);
    }

    /**
     * As {@link #sample(int, long)}; in conditional runs with {@code classIndex >= 0} every sample has that class
     * (the latents stay those of the batch, so sample i shows the same latent in each class).
     */
    public Path sample(int count, long seed, int classIndex) throws IOException {
        check(count >= 1 && count <= 1024, "count", count, "1..1024");
        INDArray labels = labels(0, count);
        if (classIndex >= 0) {
            if (model.classes() == 0) {
                throw new IllegalArgumentException("class is " + classIndex + ", but the run is unconditional; "
                        + "expected no class");
            }
            check(classIndex < model.classes(), "class", classIndex, "0.." + (model.classes() - 1));
            labels = sameLabel(classIndex, count);
        }
        INDArray z = model.latents(count, seed);
        return ImageGrid.write(model.generate(z, labels), file(classIndex >= 0 ? "samples-class" + classIndex
                : "samples", seed));
    }

    /**
     * Style mixing (Karras et al. 2018, section 3.1, figure 3): the first grid row shows the samples {@code columns}
     * of the batch after an empty corner, the first column the samples {@code rows}; cell (r, c) is generated with
     * the styles of layers before {@code layer} from sample r and those from {@code layer} on from sample c, so a
     * low crossover keeps little of r (its coarse pose and shape) and a high one much. In conditional runs every
     * cell of row r has sample r's class.
     *
     * @param layer the crossover, 1 .. L - 1, or -1 for L / 2
     */
    public Path mix(List<Integer> rows, List<Integer> columns, int layer, long seed) throws IOException {
        int styles = model.styleLayers();
        if (styles == 0) {
            throw new IllegalArgumentException("the run's generator has no style layers to mix; expected a StyleGAN "
                    + "run (architecture stylegan)");
        }
        int crossover = layer < 0 ? styles / 2 : layer;
        check(crossover >= 1 && crossover < styles, "layer", layer, "1.." + (styles - 1) + " (the generator has "
                + styles + " style inputs)");
        check(!rows.isEmpty() && rows.size() <= 16, "the number of rows", rows.size(), "1..16");
        check(!columns.isEmpty() && columns.size() <= 16, "the number of columns", columns.size(), "1..16");
        int highest = java.util.stream.Stream.concat(rows.stream(), columns.stream()).mapToInt(Integer::intValue)
                .max().orElse(0);
        check(highest < 1024, "index", highest, "0..1023");
        INDArray z = model.latents(highest + 1, seed);
        INDArray zc = pick(z, columns);
        List<INDArray> grid = new ArrayList<>();
        INDArray columnLabels = labelsOf(columns);
        INDArray top = model.generate(zc, columnLabels);
        grid.add(Nd4j.concat(0, Nd4j.zeros(DataType.FLOAT, shapeOfOne(top)), top));
        // the row sources in one batch, as the column sources are (per-pixel noise is drawn per batch size)
        INDArray sources = model.generate(pick(z, rows), labelsOf(rows));
        for (int i = 0; i < rows.size(); i++) {
            int r = rows.get(i);
            INDArray repeated = pick(z, List.of(r)).repeat(0, columns.size());
            INDArray mixed = model.generateMixed(repeated, zc, crossover, sameLabel(r, columns.size()));
            grid.add(Nd4j.concat(0, sources.get(NDArrayIndex.interval(i, i + 1)), mixed));
        }
        return ImageGrid.writeRows(grid, file("mixing-layer" + crossover, seed));
    }

    /**
     * Latent code traversal (InfoGAN, Chen et al. 2016, figure 2): for each of the run's codes in z's column order,
     * {@code rows} grid rows, row i with sample i's latent (its noise and other codes) fixed and the code varied along
     * it: a categorical code through its values, a continuous one from {@code -range} to {@code range} in
     * {@code steps} (the paper shows -2 to 2, beyond the U(-1, 1) of training).
     */
    public Path traverse(int rows, int steps, double range, long seed) throws IOException {
        List<org.jgan.api.LatentCode> codes = model.codes().codes();
        if (codes.isEmpty()) {
            throw new IllegalArgumentException("the run has no latent codes to traverse; expected a run with "
                    + "InfoGAN's codes (regularizers=infogan)");
        }
        check(rows >= 1 && rows <= 16, "rows", rows, "1..16");
        check(steps >= 2 && steps <= 32, "steps", steps, "2..32");
        check(range > 0 && Double.isFinite(range), "range", range, "a finite value > 0");
        INDArray z = model.latents(rows, seed);
        List<INDArray> grid = new ArrayList<>();
        for (org.jgan.api.LatentCode c : codes) {
            int n = c.categories() > 0 ? c.categories() : steps;
            for (int r = 0; r < rows; r++) {
                INDArray zr = z.getRow(r).reshape(1, z.size(1));
                INDArray batch = Nd4j.create(DataType.FLOAT, n, z.size(1));
                for (int j = 0; j < n; j++) {
                    double value = c.categories() > 0 ? j : -range + 2 * range * j / (n - 1);
                    batch.putRow(j, model.codes().with(zr, c.name(), value).getRow(0));
                }
                grid.add(model.generate(batch, sameLabel(r, n)));
            }
        }
        return ImageGrid.writeRows(grid, file("traversal", seed));
    }

    private static INDArray pick(INDArray z, List<Integer> indices) {
        INDArray out = Nd4j.create(DataType.FLOAT, indices.size(), z.size(1));
        for (int i = 0; i < indices.size(); i++) {
            out.putRow(i, z.getRow(indices.get(i)));
        }
        return out;
    }

    private static long[] shapeOfOne(INDArray images) {
        long[] s = images.shape().clone();
        s[0] = 1;
        return s;
    }

    /** The classes of the given samples (sample i has class i mod K); null in unconditional runs. */
    private INDArray labelsOf(List<Integer> indices) {
        if (model.classes() == 0) {
            return null;
        }
        INDArray l = Nd4j.zeros(DataType.FLOAT, indices.size(), model.classes());
        for (int i = 0; i < indices.size(); i++) {
            l.putScalar(i, indices.get(i) % model.classes(), 1);
        }
        return l;
    }

    /**
     * {@code rows} rows of {@code steps} images each: row r walks from sample 2r to sample 2r + 1 of the batch of
     * {@code seed}, linearly ({@code z(t) = (1 - t) z0 + t z1}, as in the DCGAN paper) or along the great circle
     * ({@code spherical}, White 2016: {@code z(t) = sin((1 - t) w) / sin w z0 + sin(t w) / sin w z1}, w the angle
     * between z0 and z1), which keeps the norm typical for a Gaussian prior. In conditional runs both ends of row r
     * have class 2r mod K.
     */
    public Path interpolate(int rows, int steps, long seed, boolean spherical) throws IOException {
        check(rows >= 1 && rows <= 32, "rows", rows, "1..32");
        check(steps >= 2 && steps <= 32, "steps", steps, "2..32");
        INDArray ends = model.latents(2 * rows, seed);
        List<INDArray> grid = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            INDArray z0 = ends.getRow(2 * r);
            INDArray z1 = ends.getRow(2 * r + 1);
            INDArray z = Nd4j.create(DataType.FLOAT, steps, z0.length());
            for (int s = 0; s < steps; s++) {
                z.putRow(s, mix(z0, z1, (double) s / (steps - 1), spherical));
            }
            grid.add(model.generate(z, sameLabel(2 * r, steps)));
        }
        return ImageGrid.writeRows(grid, file(spherical ? "interpolation-spherical" : "interpolation", seed));
    }

    public static INDArray mix(INDArray z0, INDArray z1, double t, boolean spherical) {
        if (spherical) {
            double cos = z0.mul(z1).sumNumber().doubleValue() / (z0.norm2Number().doubleValue()
                    * z1.norm2Number().doubleValue());
            double w = Math.acos(Math.max(-1, Math.min(1, cos)));
            if (w > 1e-6) {
                return z0.mul(Math.sin((1 - t) * w) / Math.sin(w)).add(z1.mul(Math.sin(t * w) / Math.sin(w)));
            }
        }
        return z0.mul(1 - t).add(z1.mul(t));
    }

    /**
     * Vector arithmetic, e.g. {@code "12,31,40 - 3,7,9 + 55,61,70"}: each term averages the latents of its samples
     * (the DCGAN paper averages three exemplars per concept; one sample alone was unstable there), the terms are added
     * with their signs, and the result Y is generated with {@code variants} copies of Y plus uniform noise in
     * [-noise, noise] (the paper: 8 variants, noise 0.25). The grid has one row per term (its samples, then its
     * average) and a last row (Y, then the variants). In conditional runs every image of the result row takes the
     * class of the first sample of the first term.
     */
    public Path arithmetic(String expression, long seed, int variants, double noise) throws IOException {
        check(variants >= 0 && variants <= 32, "variants", variants, "0..32");
        check(noise >= 0 && Double.isFinite(noise), "noise", noise, "a finite value >= 0");
        List<Term> terms = parse(expression);
        int highest = terms.stream().flatMap(t -> t.indices().stream()).mapToInt(Integer::intValue).max().orElse(0);
        check(highest < 1024, "index", highest, "0..1023");
        INDArray z = model.latents(highest + 1, seed);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 1, z.size(1));
        List<INDArray> grid = new ArrayList<>();
        for (Term t : terms) {
            int k = t.indices().size();
            INDArray rows = Nd4j.create(DataType.FLOAT, k + 1, z.size(1));
            INDArray labels = model.classes() > 0 ? Nd4j.zeros(DataType.FLOAT, k + 1, model.classes()) : null;
            for (int i = 0; i < k; i++) {
                int idx = t.indices().get(i);
                rows.putRow(i, z.getRow(idx));
                if (labels != null) {
                    labels.putRow(i, Players.cyclingLabels(idx, 1, model.classes()).getRow(0));
                }
            }
            INDArray mean = rows.get(NDArrayIndex.interval(0, k), NDArrayIndex.all()).mean(true, 0);
            rows.putRow(k, mean);
            if (labels != null) {
                labels.putRow(k, labels.getRow(0));
            }
            y.addi(mean.mul(t.sign()));
            grid.add(model.generate(rows, labels));
        }
        INDArray result = Nd4j.create(DataType.FLOAT, variants + 1, z.size(1));
        result.putRow(0, y);
        for (int v = 1; v <= variants; v++) {
            INDArray u = Seeds.uniform(Seeds.mix(seed, 0xA817, v), 1, z.size(1)).castTo(DataType.FLOAT);
            result.putRow(v, y.add(u.muli(2 * noise).subi(noise)));
        }
        grid.add(model.generate(result, sameLabel(terms.get(0).indices().get(0), variants + 1)));
        return ImageGrid.writeRows(grid, file("arithmetic", seed));
    }

    /** Parses {@code "a,b,c - d,e + f"} into signed terms of sample indices. */
    public static List<Term> parse(String expression) {
        String e = expression == null ? "" : expression.replace(" ", "");
        if (!e.matches("[+-]?\\d+(,\\d+)*([+-]\\d+(,\\d+)*)*")) {
            throw new IllegalArgumentException("vector arithmetic expression '" + expression + "' is invalid; "
                    + "expected terms of comma-separated sample indices joined by + or -, e.g. '12,31,40 - 3,7,9 + 55,61,70'");
        }
        List<Term> terms = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([+-]?)(\\d+(?:,\\d+)*)").matcher(e);
        while (m.find()) {
            List<Integer> idx = new ArrayList<>();
            for (String s : m.group(2).split(",")) {
                idx.add(Integer.parseInt(s));
            }
            terms.add(new Term(m.group(1).equals("-") ? -1 : 1, List.copyOf(idx)));
        }
        return terms;
    }

    private INDArray labels(int first, int count) {
        return model.classes() > 0 ? Players.cyclingLabels(first, count, model.classes()) : null;
    }

    /** {@code count} rows of the class of sample {@code index}; null in unconditional runs. */
    private INDArray sameLabel(int index, int count) {
        if (model.classes() == 0) {
            return null;
        }
        INDArray l = Nd4j.zeros(DataType.FLOAT, count, model.classes());
        for (int i = 0; i < count; i++) {
            l.putScalar(i, index % model.classes(), 1);
        }
        return l;
    }

    private Path file(String kind, long seed) throws IOException {
        Files.createDirectories(dir);
        return dir.resolve(String.format(Locale.ROOT, "%s-seed%d-%d.png", kind, seed, System.currentTimeMillis()));
    }

    private static void check(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + " is " + value + "; expected " + expected);
        }
    }
}
