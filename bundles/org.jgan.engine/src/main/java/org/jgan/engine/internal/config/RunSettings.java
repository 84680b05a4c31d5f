package org.jgan.engine.internal.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jgan.api.OptionSpec;

/**
 * The engine's own settings of a run, typed and immutable, and the one definition of their keys, types, defaults,
 * ranges and descriptions: each component below is a setting, its {@link Setting} annotation says the rest. The
 * parser ({@link #parse}), the shell's listing ({@link #SPECS}), Metatype ({@link RunMetaType}) and the code that
 * reads a setting (a typed accessor, never a string key) all come from here, so they cannot drift apart.
 *
 * <p>Component options ({@code architecture.X}, {@code loss.X}, {@code dataset.X}, {@code regularizer.NAME.X},
 * {@code metric.NAME.X}) are not settings of the engine; their components declare them.
 */
public record RunSettings(
        @Setting(value = "", description = "Run id; generated from the time when empty")
        String name,
        @Setting(value = "", description = "Preset the configuration started from (informational)")
        String preset,
        @Setting(value = "mlp", description = "Architecture component name")
        String architecture,
        @Setting(value = "nonsaturating", description = "Adversarial loss component name")
        String loss,
        @Setting(value = "gan", description = "Model family: 'gan' (the two-player game of the loss and "
                + "regularizers) or a model component name such as 'vae', trained by one joint update of both networks")
        String model,
        @Setting(value = "ring8", description = "Dataset component name")
        String dataset,
        @Setting(value = "", description = "Comma-separated regularizer, penalty, constraint or reparametrization names")
        String regularizers,
        @Setting(value = "auto", description = "Comma-separated metric names; 'auto' = every installed metric that "
                + "supports the dataset; 'none'")
        String metrics,
        @Setting(value = "64", min = 1, max = 1 << 16, description = "Minibatch size m of both players")
        int batchSize,
        @Setting(value = "1", min = 1, max = 1 << 16, description = "Gradient accumulation: each step's batch is "
                + "processed as this many micro-batches of batchSize/accumulate whose gradients are averaged before "
                + "one update (a large batch in less memory, BigGAN); must divide batchSize")
        int accumulate,
        @Setting(value = "16", min = 1, max = 1 << 16, description = "Size of the latent vector z ~ N(0, I)")
        int latent,
        @Setting(value = "1e-4", min = 1e-12, max = 10, description = "Generator learning rate")
        double lrG,
        @Setting(value = "1e-4", min = 1e-12, max = 10, description = "Discriminator learning rate")
        double lrD,
        @Setting(value = "adam", choices = {"adam", "rmsprop"}, description = "Optimizer of both players")
        String optimizer,
        @Setting(value = "0.5", min = 0, max = 0.999999, description = "Adam beta1")
        double beta1,
        @Setting(value = "0.999", min = 0, max = 0.999999, description = "Adam beta2")
        double beta2,
        @Setting(value = "1e-8", min = 1e-12, max = 1, description = "Adam / RMSProp epsilon")
        double epsilon,
        @Setting(value = "0.9", min = 0, max = 0.999999, description = "RMSProp decay of the squared-gradient average")
        double rmsDecay,
        @Setting(value = "1", min = 1, max = 1000, description = "Discriminator steps k per generator step")
        int dSteps,
        @Setting(value = "1", min = 1, max = 64, description = "Packing m of PacGAN (Lin et al. 2018): D judges packs "
                + "of m samples, all data or all generated, concatenated (vector data along its features, images "
                + "along their channels); batchSize counts samples, so D sees batchSize/m packs (1: off)")
        int packing,
        @Setting(value = "1", min = 0, max = 1e6, description = "Weight of the generator's adversarial term (0 when "
                + "feature matching alone is G's objective, Salimans et al. 2016)")
        double gAdvWeight,
        @Setting(value = "0", min = 0, max = 0.999999999, description = "Decay of the exponential moving average of "
                + "G's weights used for samples and metrics (0: off; BigGAN 0.9999)")
        double ema,
        @Setting(value = "0", min = 0, description = "Generator steps before the EMA starts averaging (until then it "
                + "copies G)")
        int emaStart,
        @Setting(value = "0", min = 0, max = 1e12, description = "Half-life of the EMA of G's weights in generated "
                + "samples (Karras et al.: ema_kimg x 1000); when above 0 (or scheduled) the decay per generator step "
                + "is 0.5^(batchSize/emaHalfLife) instead of ema")
        double emaHalfLife,
        @Setting(value = "2000", min = 1, description = "Generator steps to train")
        int iterations,
        @Setting(value = "1", description = "Seed of every random stream of the run")
        int seed,
        @Setting(value = "", description = "Output folder; runs/<name> when empty")
        String outputDir,
        @Setting(value = "500", min = 0, description = "Write samples and metrics every N iterations (0: only at the "
                + "end)")
        int sampleInterval,
        @Setting(value = "1000", min = 0, description = "Write a checkpoint every N iterations (0: only at the end)")
        int checkpointInterval,
        @Setting(value = "5", min = 0.1, max = 3600, description = "Seconds between progress lines")
        double progressInterval,
        @Setting(value = "", description = "Early stopping: the score watched at each evaluation, as metrics.csv "
                + "names it (e.g. features.fd); the run completes once it has not improved for stopPatience "
                + "evaluations in a row (empty: off; needs sampleInterval above 0)")
        String stopScore,
        @Setting(value = "min", choices = {"min", "max"}, description = "Early stopping: whether a lower (min) or "
                + "higher (max) stopScore is better")
        String stopGoal,
        @Setting(value = "5", min = 1, max = 1_000_000, description = "Early stopping: evaluations in a row without "
                + "an improvement of stopScore after which the run completes")
        int stopPatience,
        @Setting(value = "0", min = 0, description = "Early stopping: how much stopScore must improve on its best so "
                + "far to count as an improvement")
        double stopDelta) {

    private static final RecordComponent[] COMPONENTS = RunSettings.class.getRecordComponents();

    /** Every setting as an option declaration, in the order above (the shell's listing, Metatype). */
    public static final List<OptionSpec> SPECS = Arrays.stream(COMPONENTS).map(RunSettings::spec).toList();

    private static final Map<String, OptionSpec> BY_KEY = new LinkedHashMap<>();

    static {
        SPECS.forEach(s -> BY_KEY.put(s.name(), s));
    }

    private static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]*";

    /** Whether {@code key} is an engine setting (rather than a component option or unknown). */
    public static boolean isSetting(String key) {
        return BY_KEY.containsKey(key);
    }

    /** The keys of every setting, in declaration order. */
    public static List<String> keys() {
        return List.copyOf(BY_KEY.keySet());
    }

    /**
     * Checks one setting's value on its own, as both the parser and Metatype's validation do.
     *
     * @return the value as Integer, Double or String
     * @throws IllegalArgumentException naming the setting, the value and what is expected
     */
    public static Object check(String key, String text) {
        Object value = BY_KEY.get(key).parse("setting", text);
        if (key.equals("name") && !((String) value).isEmpty() && !((String) value).matches(NAME_PATTERN)) {
            throw new IllegalArgumentException("setting 'name' is '" + value
                    + "'; expected letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (key.equals("stopScore")) {
            String score = ((String) value).trim();
            if (!score.isEmpty() && !score.matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("setting 'stopScore' is '" + score + "'; expected a score as "
                        + "metrics.csv names it, METRIC.SCORE (e.g. features.fd), or empty for no early stopping");
            }
            return score;
        }
        return value;
    }

    /**
     * The engine's settings of a raw configuration, every default filled in: {@code name} from {@code defaultName}
     * when empty, {@code outputDir} {@code runs/<name>} when empty. Keys that are not settings are ignored here.
     *
     * @throws IllegalArgumentException for the first setting (in key order) that is out of its range, an
     *                                  {@code accumulate} that does not divide {@code batchSize}, or a
     *                                  {@code packing} that does not divide the micro-batch
     */
    public static RunSettings parse(Map<String, String> raw, String defaultName) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String key : BY_KEY.keySet().stream().sorted().toList()) {
            String given = raw.get(key);
            values.put(key, check(key, given != null ? given : BY_KEY.get(key).defaultValue()));
        }
        if (((String) values.get("name")).isEmpty()) {
            values.put("name", check("name", defaultName));
        }
        int batchSize = (Integer) values.get("batchSize");
        int accumulate = (Integer) values.get("accumulate");
        if (batchSize % accumulate != 0) {
            throw new IllegalArgumentException("setting 'accumulate' is " + accumulate + ", which does not divide "
                    + "batchSize " + batchSize + "; expected a divisor of batchSize (micro-batches of equal size)");
        }
        int packing = (Integer) values.get("packing");
        if ((batchSize / accumulate) % packing != 0) {
            throw new IllegalArgumentException("setting 'packing' is " + packing + ", which does not divide the "
                    + (accumulate > 1 ? "micro-batch batchSize/accumulate " : "batchSize ") + batchSize / accumulate
                    + "; expected a divisor (whole packs of samples)");
        }
        String stopScore = (String) values.get("stopScore");
        if (!stopScore.isEmpty() && (Integer) values.get("sampleInterval") == 0) {
            throw new IllegalArgumentException("setting 'stopScore' is '" + stopScore + "' with sampleInterval 0; "
                    + "expected sampleInterval above 0 (the score is watched at each evaluation)");
        }
        if (((String) values.get("outputDir")).isEmpty()) {
            values.put("outputDir", "runs/" + values.get("name"));
        }
        return of(values);
    }

    /**
     * The decay of the EMA of G's weights for a half-life in samples: {@code 0.5^(batchSize / halfLife)}, so that a
     * sample's weight halves after {@code halfLife} further samples (StyleGAN2-ADA's and R3GAN's ema_beta); 0 for a
     * half-life of 0 (the average copies G).
     */
    public double decayOfHalfLife(double halfLife) {
        return halfLife <= 0 ? 0 : Math.pow(0.5, batchSize / halfLife);
    }

    private static RunSettings of(Map<String, Object> values) {
        Object[] args = Arrays.stream(COMPONENTS).map(c -> values.get(c.getName())).toArray();
        Class<?>[] types = Arrays.stream(COMPONENTS).map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            Constructor<RunSettings> canonical = RunSettings.class.getDeclaredConstructor(types);
            return canonical.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build the run settings from " + values, e);
        }
    }

    /** Every setting as text (as {@link String#valueOf(Object)} writes its value), in declaration order. */
    public Map<String, String> asText() {
        Map<String, String> out = new LinkedHashMap<>();
        for (RecordComponent c : COMPONENTS) {
            try {
                out.put(c.getName(), String.valueOf(c.getAccessor().invoke(this)));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read setting " + c.getName(), e);
            }
        }
        return out;
    }

    private static OptionSpec spec(RecordComponent c) {
        Setting s = c.getAnnotation(Setting.class);
        if (s == null) {
            throw new IllegalStateException("run setting '" + c.getName() + "' has no @Setting");
        }
        Class<?> type = c.getType();
        if (type == int.class) {
            return new OptionSpec(c.getName(), OptionSpec.Type.INT, Integer.toString(Integer.parseInt(s.value())),
                    Math.max(s.min(), Integer.MIN_VALUE), Math.min(s.max(), Integer.MAX_VALUE), List.of(),
                    s.description());
        } else if (type == double.class) {
            return new OptionSpec(c.getName(), OptionSpec.Type.DOUBLE, Double.toString(Double.parseDouble(s.value())),
                    s.min(), s.max(), List.of(), s.description());
        } else if (type == String.class && s.choices().length > 0) {
            return OptionSpec.ofChoice(c.getName(), s.value(), List.of(s.choices()), s.description());
        } else if (type == String.class) {
            return OptionSpec.ofString(c.getName(), s.value(), s.description());
        }
        throw new IllegalStateException("run setting '" + c.getName() + "' has unsupported type " + type);
    }
}
