package org.jgan.engine.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.api.Dataset;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;

/**
 * A checked, immutable run configuration: the engine's settings plus the chosen components and their options.
 * Parsed at once from the raw key/value configuration; every problem is reported as one
 * {@link IllegalArgumentException} naming the key, the value and what is expected.
 *
 * <p>Keys: the engine settings of {@link #SETTINGS}; {@code architecture.X}, {@code loss.X}, {@code dataset.X} for
 * the chosen components' options; {@code regularizer.NAME.X} for each listed regularizer (plus the engine's
 * {@code weight} and {@code every} for terms); {@code metric.NAME.X} for metrics.
 */
public record RunSpec(String name, Map<String, Object> settings, Choice architecture, Choice loss, Choice dataset,
        List<RegularizerChoice> regularizers, List<Choice> metrics) {

    /** A chosen component and its checked options. */
    public record Choice(ComponentCatalog.Entry entry, Options options) {
        public String name() {
            return entry.name();
        }
    }

    /**
     * A chosen regularization component. {@code weight} multiplies its term; {@code every} applies it lazily every
     * N steps of its player with the weight scaled by N (Karras et al. 2020); with {@code anneal} the weight decays
     * exponentially from {@code weight} at the first iteration to {@code weight * decay} at the last (Roth et al.
     * 2017, section 4.2). All are refused for constraints and reparametrizations.
     */
    public record RegularizerChoice(ComponentCatalog.Entry entry, Options options, double weight, int every,
            boolean anneal, double decay) {
        public String name() {
            return entry.name();
        }

        public Kind kind() {
            return entry.kind();
        }
    }

    /** The engine's own settings, with types, ranges and defaults. */
    public static final List<OptionSpec> SETTINGS = List.of(
            OptionSpec.ofString("name", "", "Run id; generated from the time when empty"),
            OptionSpec.ofString("preset", "", "Preset the configuration started from (informational)"),
            OptionSpec.ofString("architecture", "mlp", "Architecture component name"),
            OptionSpec.ofString("loss", "nonsaturating", "Adversarial loss component name"),
            OptionSpec.ofString("dataset", "ring8", "Dataset component name"),
            OptionSpec.ofString("regularizers", "", "Comma-separated regularizer, penalty, constraint or reparametrization names"),
            OptionSpec.ofString("metrics", "auto", "Comma-separated metric names; 'auto' = every installed metric that supports the dataset; 'none'"),
            OptionSpec.ofInt("batchSize", 64, 1, 1 << 16, "Minibatch size m of both players"),
            OptionSpec.ofInt("accumulate", 1, 1, 1 << 16, "Gradient accumulation: each step's batch is processed as this many micro-batches of batchSize/accumulate whose gradients are averaged before one update (a large batch in less memory, BigGAN); must divide batchSize"),
            OptionSpec.ofInt("latent", 16, 1, 1 << 16, "Size of the latent vector z ~ N(0, I)"),
            OptionSpec.ofDouble("lrG", 1e-4, 1e-12, 10, "Generator learning rate"),
            OptionSpec.ofDouble("lrD", 1e-4, 1e-12, 10, "Discriminator learning rate"),
            OptionSpec.ofChoice("optimizer", "adam", List.of("adam", "rmsprop"), "Optimizer of both players"),
            OptionSpec.ofDouble("beta1", 0.5, 0, 0.999999, "Adam beta1"),
            OptionSpec.ofDouble("beta2", 0.999, 0, 0.999999, "Adam beta2"),
            OptionSpec.ofDouble("epsilon", 1e-8, 1e-12, 1, "Adam / RMSProp epsilon"),
            OptionSpec.ofDouble("rmsDecay", 0.9, 0, 0.999999, "RMSProp decay of the squared-gradient average"),
            OptionSpec.ofInt("dSteps", 1, 1, 1000, "Discriminator steps k per generator step"),
            OptionSpec.ofDouble("gAdvWeight", 1, 0, 1e6, "Weight of the generator's adversarial term (0 when feature matching alone is G's objective, Salimans et al. 2016)"),
            OptionSpec.ofDouble("ema", 0, 0, 0.999999999, "Decay of the exponential moving average of G's weights used for samples and metrics (0: off; BigGAN 0.9999)"),
            OptionSpec.ofInt("emaStart", 0, 0, Integer.MAX_VALUE, "Generator steps before the EMA starts averaging (until then it copies G)"),
            OptionSpec.ofInt("iterations", 2000, 1, Integer.MAX_VALUE, "Generator steps to train"),
            OptionSpec.ofInt("seed", 1, Integer.MIN_VALUE, Integer.MAX_VALUE, "Seed of every random stream of the run"),
            OptionSpec.ofString("outputDir", "", "Output folder; runs/<name> when empty"),
            OptionSpec.ofInt("sampleInterval", 500, 0, Integer.MAX_VALUE, "Write samples and metrics every N iterations (0: only at the end)"),
            OptionSpec.ofInt("checkpointInterval", 1000, 0, Integer.MAX_VALUE, "Write a checkpoint every N iterations (0: only at the end)"),
            OptionSpec.ofDouble("progressInterval", 5, 0.1, 3600, "Seconds between progress lines"));

    private static final Map<String, OptionSpec> SETTING_BY_NAME = new LinkedHashMap<>();

    static {
        SETTINGS.forEach(s -> SETTING_BY_NAME.put(s.name(), s));
    }

    private static final List<OptionSpec> TERM_SETTINGS = List.of(
            OptionSpec.ofDouble("weight", 1.0, 0, 1e9, "Multiplier of the term"),
            OptionSpec.ofInt("every", 1, 1, 1_000_000, "Apply every N steps with the weight scaled by N (lazy regularization)"),
            OptionSpec.ofBoolean("anneal", false, "Decay the weight exponentially over the run (Roth et al. 2017, sec. 4.2)"),
            OptionSpec.ofDouble("decay", 0.01, 1e-12, 1, "With anneal: the final weight as a fraction of the initial one"));

    public int intSetting(String key) {
        return (Integer) settings.get(key);
    }

    public double doubleSetting(String key) {
        return ((Number) settings.get(key)).doubleValue();
    }

    public String stringSetting(String key) {
        return (String) settings.get(key);
    }

    /**
     * Parses a raw configuration.
     *
     * @param raw         keys and values (preset already merged in)
     * @param catalog     installed components
     * @param defaultName run id to use when {@code name} is empty
     */
    public static RunSpec parse(Map<String, String> raw, ComponentCatalog catalog, String defaultName) {
        Map<String, Object> settings = new LinkedHashMap<>();
        Map<String, Map<String, String>> byPrefix = new TreeMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(raw).entrySet()) {
            String key = e.getKey();
            OptionSpec spec = SETTING_BY_NAME.get(key);
            if (spec != null) {
                settings.put(key, spec.parse("setting", e.getValue()));
                continue;
            }
            int dot = key.lastIndexOf('.');
            if (dot <= 0 || !isComponentKey(key)) {
                throw new IllegalArgumentException("unknown setting '" + key + "'; known settings: "
                        + String.join(", ", SETTING_BY_NAME.keySet())
                        + ", and architecture.*, loss.*, dataset.*, regularizer.NAME.*, metric.NAME.* options");
            }
            byPrefix.computeIfAbsent(key.substring(0, dot), p -> new TreeMap<>()).put(key.substring(dot + 1),
                    e.getValue());
        }
        for (OptionSpec s : SETTINGS) {
            settings.putIfAbsent(s.name(), s.parse("setting", s.defaultValue()));
        }
        String name = (String) settings.get("name");
        if (name.isEmpty()) {
            name = defaultName;
            settings.put("name", name);
        }
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("setting 'name' is '" + name
                    + "'; expected letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        int batchSize = (Integer) settings.get("batchSize");
        int accumulate = (Integer) settings.get("accumulate");
        if (batchSize % accumulate != 0) {
            throw new IllegalArgumentException("setting 'accumulate' is " + accumulate + ", which does not divide "
                    + "batchSize " + batchSize + "; expected a divisor of batchSize (micro-batches of equal size)");
        }
        if (((String) settings.get("outputDir")).isEmpty()) {
            settings.put("outputDir", "runs/" + name);
        }
        Choice architecture = choose(catalog, Kind.ARCHITECTURE, (String) settings.get("architecture"),
                byPrefix.remove("architecture"));
        Choice loss = choose(catalog, Kind.LOSS, (String) settings.get("loss"), byPrefix.remove("loss"));
        Choice dataset = choose(catalog, Kind.DATASET, (String) settings.get("dataset"), byPrefix.remove("dataset"));
        List<RegularizerChoice> regularizers = new ArrayList<>();
        for (String r : names((String) settings.get("regularizers"))) {
            regularizers.add(regularizer(catalog, r, byPrefix.remove("regularizer." + r)));
        }
        List<Choice> metrics = new ArrayList<>();
        String metricSetting = ((String) settings.get("metrics")).trim();
        if (!metricSetting.equals("auto") && !metricSetting.equals("none")) {
            for (String m : names(metricSetting)) {
                metrics.add(choose(catalog, Kind.METRIC, m, byPrefix.remove("metric." + m)));
            }
        } else if (metricSetting.equals("auto")) {
            for (ComponentCatalog.Entry e : catalog.list(Kind.METRIC)) {
                metrics.add(choose(catalog, Kind.METRIC, e.name(), byPrefix.remove("metric." + e.name())));
            }
        }
        if (!byPrefix.isEmpty()) {
            String prefix = byPrefix.keySet().iterator().next();
            throw new IllegalArgumentException("settings '" + prefix + ".*' name no chosen component; '" + prefix
                    + "' is not among the run's architecture, loss, dataset, regularizers or metrics");
        }
        return new RunSpec(name, Map.copyOf(settings), architecture, loss, dataset, List.copyOf(regularizers),
                List.copyOf(metrics));
    }

    private static boolean isComponentKey(String key) {
        return key.startsWith("architecture.") || key.startsWith("loss.") || key.startsWith("dataset.")
                || key.startsWith("regularizer.") || key.startsWith("metric.");
    }

    private static List<String> names(String list) {
        List<String> out = new ArrayList<>();
        for (String s : list.split(",")) {
            if (!s.isBlank() && !out.contains(s.trim())) {
                out.add(s.trim());
            }
        }
        return out;
    }

    private static Choice choose(ComponentCatalog catalog, Kind kind, String name, Map<String, String> options) {
        ComponentCatalog.Entry entry = catalog.require(kind, name);
        String owner = kind.label() + " '" + name + "'";
        return new Choice(entry, Options.resolve(owner, entry.component().options(),
                options == null ? Map.of() : options));
    }

    private static RegularizerChoice regularizer(ComponentCatalog catalog, String name, Map<String, String> given) {
        ComponentCatalog.Entry entry = catalog.requireRegularization(name);
        String owner = entry.kind().label() + " '" + name + "'";
        Map<String, String> own = new TreeMap<>(given == null ? Map.of() : given);
        boolean term = entry.kind() == Kind.REGULARIZER || entry.kind() == Kind.PENALTY;
        Options engine = Options.resolve(owner, TERM_SETTINGS, term ? extract(own, TERM_SETTINGS) : Map.of());
        return new RegularizerChoice(entry, Options.resolve(owner, entry.component().options(), own),
                engine.getDouble("weight"), engine.getInt("every"), engine.getBoolean("anneal"),
                engine.getDouble("decay"));
    }

    private static Map<String, String> extract(Map<String, String> from, List<OptionSpec> specs) {
        Map<String, String> out = new TreeMap<>();
        for (OptionSpec s : specs) {
            String v = from.remove(s.name());
            if (v != null) {
                out.put(s.name(), v);
            }
        }
        return out;
    }

    /** The full resolved configuration, every default filled in, sorted by key. */
    public Map<String, String> resolved() {
        Map<String, String> out = new TreeMap<>();
        settings.forEach((k, v) -> out.put(k, String.valueOf(v)));
        put(out, "architecture.", architecture.options());
        put(out, "loss.", loss.options());
        put(out, "dataset.", dataset.options());
        for (RegularizerChoice r : regularizers) {
            put(out, "regularizer." + r.name() + ".", r.options());
            if (r.kind() == Kind.REGULARIZER || r.kind() == Kind.PENALTY) {
                out.put("regularizer." + r.name() + ".weight", String.valueOf(r.weight()));
                out.put("regularizer." + r.name() + ".every", String.valueOf(r.every()));
                out.put("regularizer." + r.name() + ".anneal", String.valueOf(r.anneal()));
                out.put("regularizer." + r.name() + ".decay", String.valueOf(r.decay()));
            }
        }
        for (Choice m : metrics) {
            put(out, "metric." + m.name() + ".", m.options());
        }
        return out;
    }

    private static void put(Map<String, String> out, String prefix, Options options) {
        options.asMap().forEach((k, v) -> out.put(prefix + k, String.valueOf(v)));
    }

    /** The dataset component, typed. */
    public Dataset datasetComponent() {
        return (Dataset) dataset.entry().component();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "run %s: %s", name, resolved());
    }

    /** Names of every component the run uses, for error messages and the bundle list. */
    public List<ComponentCatalog.Entry> components() {
        List<ComponentCatalog.Entry> out = new ArrayList<>();
        out.add(architecture.entry());
        out.add(loss.entry());
        out.add(dataset.entry());
        regularizers.forEach(r -> out.add(r.entry()));
        metrics.forEach(m -> out.add(m.entry()));
        return out;
    }
}
