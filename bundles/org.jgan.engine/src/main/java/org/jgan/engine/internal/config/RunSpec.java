package org.jgan.engine.internal.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jgan.api.Dataset;
import org.jgan.api.OptionSpec;
import org.jgan.api.Options;
import org.jgan.api.Regularizer;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;

/**
 * A checked, immutable run configuration: the engine's settings plus the chosen components and their options.
 * Parsed at once from the raw key/value configuration; every problem is reported as one
 * {@link IllegalArgumentException} naming the key, the value and what is expected.
 *
 * <p>Keys: the engine settings of {@link RunSettings}; {@code architecture.X}, {@code loss.X}, {@code dataset.X} for
 * the chosen components' options; {@code regularizer.NAME.X} for each listed regularizer (plus the engine's
 * {@code weight} and {@code every} for terms); {@code metric.NAME.X} for metrics; {@code schedule.TARGET} for a
 * {@link ValueSchedule} of the setting TARGET (one of {@link #SCHEDULED_SETTINGS}, {@code regularizer.NAME.weight} or a
 * numeric option {@code model.NAME} of the chosen model);
 * {@code model.X} for the options of a chosen {@link org.jgan.api.Model} ({@code model} other than {@value #GAN}).
 *
 * @param model the model component of {@code model=NAME}, or {@code null} for the GAN game ({@code model=gan})
 */
public record RunSpec(String name, RunSettings settings, Choice architecture, Choice loss, Choice dataset,
        List<RegularizerChoice> regularizers, List<Choice> metrics, Map<String, ValueSchedule> schedules,
        Choice model) {

    /** The value of setting {@code model} that selects the engine's own two-player game. */
    public static final String GAN = "gan";

    /** The prefix of a schedule's key: {@code schedule.TARGET}. */
    public static final String SCHEDULE = "schedule.";
    /** The engine settings a schedule may change (besides {@code regularizer.NAME.weight} of a chosen term). */
    static final List<String> SCHEDULED_SETTINGS = List.of("lrG", "lrD", "beta1", "beta2", "ema", "emaHalfLife");

    public RunSpec {
        schedules = Map.copyOf(schedules);
    }

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

    private static final List<OptionSpec> TERM_SETTINGS = List.of(
            OptionSpec.ofDouble("weight", 1.0, 0, 1e9, "Multiplier of the term"),
            OptionSpec.ofInt("every", 1, 1, 1_000_000, "Apply every N steps with the weight scaled by N (lazy regularization)"),
            OptionSpec.ofBoolean("anneal", false, "Decay the weight exponentially over the run (Roth et al. 2017, sec. 4.2)"),
            OptionSpec.ofDouble("decay", 0.01, 1e-12, 1, "With anneal: the final weight as a fraction of the initial one"));

    /**
     * Parses a raw configuration.
     *
     * @param raw         keys and values (preset already merged in)
     * @param catalog     installed components
     * @param defaultName run id to use when {@code name} is empty
     */
    public static RunSpec parse(Map<String, String> raw, ComponentCatalog catalog, String defaultName) {
        Map<String, Map<String, String>> byPrefix = new TreeMap<>();
        Map<String, String> scheduled = new TreeMap<>();
        for (String key : new TreeMap<>(raw).keySet()) {
            if (RunSettings.isSetting(key)) {
                continue;
            }
            if (key.startsWith(SCHEDULE)) {
                scheduled.put(key.substring(SCHEDULE.length()), raw.get(key));
                continue;
            }
            int dot = key.lastIndexOf('.');
            if (dot <= 0 || !isComponentKey(key)) {
                throw new IllegalArgumentException("unknown setting '" + key + "'; known settings: "
                        + String.join(", ", RunSettings.keys())
                        + ", and architecture.*, loss.*, dataset.*, model.*, regularizer.NAME.*, metric.NAME.* options "
                        + "and schedule.* schedules");
            }
            byPrefix.computeIfAbsent(key.substring(0, dot), p -> new TreeMap<>()).put(key.substring(dot + 1),
                    raw.get(key));
        }
        RunSettings settings = RunSettings.parse(raw, defaultName);
        Choice architecture = choose(catalog, Kind.ARCHITECTURE, settings.architecture(),
                byPrefix.remove("architecture"));
        Choice loss = choose(catalog, Kind.LOSS, settings.loss(), byPrefix.remove("loss"));
        Choice dataset = choose(catalog, Kind.DATASET, settings.dataset(), byPrefix.remove("dataset"));
        Choice model = settings.model().trim().equals(GAN) ? null
                : choose(catalog, Kind.MODEL, settings.model().trim(), byPrefix.remove("model"));
        List<RegularizerChoice> regularizers = new ArrayList<>();
        for (String r : names(settings.regularizers())) {
            regularizers.add(regularizer(catalog, r, byPrefix.remove("regularizer." + r)));
        }
        List<Choice> metrics = new ArrayList<>();
        String metricSetting = settings.metrics().trim();
        if (!metricSetting.equals("auto") && !metricSetting.equals("none")) {
            for (String m : names(metricSetting)) {
                metrics.add(choose(catalog, Kind.METRIC, m, byPrefix.remove("metric." + m)));
            }
        } else if (metricSetting.equals("auto")) {
            for (ComponentCatalog.Entry e : catalog.list(Kind.METRIC)) {
                metrics.add(choose(catalog, Kind.METRIC, e.name(), byPrefix.remove("metric." + e.name())));
            }
        }
        String stopMetric = settings.stopScore().isEmpty() ? null
                : settings.stopScore().substring(0, settings.stopScore().indexOf('.'));
        if (stopMetric != null && metrics.stream().noneMatch(m -> m.name().equals(stopMetric))) {
            throw new IllegalArgumentException("setting 'stopScore' is '" + settings.stopScore() + "', a score of "
                    + "metric '" + stopMetric + "', which is not among the run's metrics ["
                    + String.join(", ", metrics.stream().map(Choice::name).toList()) + "]; expected a score of one of "
                    + "them (metrics=" + settings.metrics() + ")");
        }
        if (settings.packing() > 1) {
            for (RegularizerChoice r : regularizers) {
                if (r.kind() == Kind.REGULARIZER
                        && !((Regularizer) r.entry().component()).latentCodes(r.options()).isEmpty()) {
                    throw new IllegalArgumentException("setting 'packing' is " + settings.packing() + " with "
                            + r.kind().label() + " '" + r.name() + "', which recovers each sample's latent codes from "
                            + "D's features where a packed D sees packs; expected packing=1");
                }
            }
        }
        if (model != null) {
            refuseGameSettings(model, settings, regularizers);
        }
        if (!byPrefix.isEmpty()) {
            String prefix = byPrefix.keySet().iterator().next();
            throw new IllegalArgumentException("settings '" + prefix + ".*' name no chosen component; '" + prefix
                    + "' is not among the run's architecture, loss, dataset, model, regularizers or metrics");
        }
        return new RunSpec(settings.name(), settings, architecture, loss, dataset, List.copyOf(regularizers),
                List.copyOf(metrics), schedules(scheduled, regularizers, model), model);
    }

    /**
     * A model run has no game: settings that only the two-player game reads are refused when set to anything but
     * their default, rather than silently ignored.
     */
    private static void refuseGameSettings(Choice model, RunSettings settings, List<RegularizerChoice> regularizers) {
        String owner = "model '" + model.name() + "'";
        if (!regularizers.isEmpty()) {
            throw new IllegalArgumentException("setting 'regularizers' is '" + settings.regularizers() + "' with "
                    + owner + ", which trains one objective of its own; expected no regularizers (model=gan for them)");
        }
        if (settings.dSteps() != 1) {
            throw new IllegalArgumentException("setting 'dSteps' is " + settings.dSteps() + " with " + owner
                    + ", which updates both networks together once per iteration; expected 1");
        }
        if (settings.packing() != 1) {
            throw new IllegalArgumentException("setting 'packing' is " + settings.packing() + " with " + owner
                    + ", which has no discriminator to pack for; expected 1");
        }
        if (settings.gAdvWeight() != 1) {
            throw new IllegalArgumentException("setting 'gAdvWeight' is " + settings.gAdvWeight() + " with " + owner
                    + ", which has no adversarial term; expected 1");
        }
    }

    /** Whether the run is the engine's two-player game ({@code model=gan}) rather than a model's objective. */
    public boolean isGame() {
        return model == null;
    }

    private static Map<String, ValueSchedule> schedules(Map<String, String> given, List<RegularizerChoice> terms,
            Choice model) {
        Map<String, ValueSchedule> out = new TreeMap<>();
        List<String> targets = new ArrayList<>(SCHEDULED_SETTINGS);
        for (RegularizerChoice r : terms) {
            if (r.kind() == Kind.REGULARIZER || r.kind() == Kind.PENALTY) {
                targets.add("regularizer." + r.name() + ".weight");
            }
        }
        if (model != null) {
            model.entry().component().options().stream().filter(o -> o.type() == OptionSpec.Type.DOUBLE)
                    .forEach(o -> targets.add("model." + o.name()));
        }
        given.forEach((target, text) -> {
            requireTarget(target, targets);
            if (text.isBlank() || text.trim().equals("none")) {
                // no schedule: the setting keeps its value (how a preset's schedule is switched off)
                return;
            }
            ValueSchedule schedule = ValueSchedule.parse(SCHEDULE + target, text);
            // the values it passes through lie between from, the base and to: each must be a value of the setting,
            // or 0 (a learning rate warming up from 0 or decaying to it)
            for (double v : new double[] {schedule.to(), schedule.from()}) {
                if (v == 0 || v == schedule.from() && schedule.warmup() == 0) {
                    continue;
                }
                try {
                    if (RunSettings.isSetting(target)) {
                        RunSettings.check(target, Double.toString(v));
                    } else if (target.startsWith("model.")) {
                        String option = target.substring("model.".length());
                        Options.resolve("model '" + model.name() + "'", model.entry().component().options().stream()
                                .filter(o -> o.name().equals(option)).toList(), Map.of(option, Double.toString(v)));
                    } else if (v < 0) {
                        throw new IllegalArgumentException("a weight is at least 0");
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("setting '" + SCHEDULE + target + "' is '" + text + "': it "
                            + "reaches " + v + ", which '" + target + "' cannot take (" + e.getMessage() + ")");
                }
            }
            out.put(target, schedule);
        });
        return out;
    }

    private static void requireTarget(String target, List<String> targets) {
        if (!targets.contains(target)) {
            throw new IllegalArgumentException("setting '" + SCHEDULE + target + "' schedules no setting of this run; "
                    + "expected one of " + String.join(", ", targets.stream().map(t -> SCHEDULE + t).toList()));
        }
    }

    /**
     * A schedulable setting's value at an iteration: its configured value, changed by its schedule when it has one.
     *
     * @param target one of {@link #SCHEDULED_SETTINGS} or {@code regularizer.NAME.weight} of a chosen term
     */
    public double value(String target, long iteration) {
        double base = switch (target) {
            case "lrG" -> settings.lrG();
            case "lrD" -> settings.lrD();
            case "beta1" -> settings.beta1();
            case "beta2" -> settings.beta2();
            case "ema" -> settings.ema();
            case "emaHalfLife" -> settings.emaHalfLife();
            default -> target.startsWith("model.") && model != null
                    && model.options().asMap().get(target.substring("model.".length())) instanceof Number n
                    ? n.doubleValue()
                    : regularizers.stream().filter(r -> target.equals("regularizer." + r.name() + ".weight"))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("'" + target
                            + "' is not a schedulable setting of the run")).weight();
        };
        ValueSchedule s = schedules.get(target);
        return s == null ? base : s.at(base, iteration, settings.iterations());
    }

    /** Whether the run keeps an EMA of G's weights: {@code ema} or {@code emaHalfLife} above 0 or scheduled. */
    public boolean keepsAverage() {
        return settings.ema() > 0 || settings.emaHalfLife() > 0 || schedules.containsKey("ema")
                || schedules.containsKey("emaHalfLife");
    }

    /**
     * The EMA's decay at a generator step of this iteration: from the half-life when one is given or scheduled
     * ({@link RunSettings#decayOfHalfLife}), else {@code ema} (scheduled or not).
     */
    public double emaDecay(long iteration) {
        if (settings.emaHalfLife() > 0 || schedules.containsKey("emaHalfLife")) {
            return settings.decayOfHalfLife(value("emaHalfLife", iteration));
        }
        return value("ema", iteration);
    }

    private static boolean isComponentKey(String key) {
        return key.startsWith("architecture.") || key.startsWith("loss.") || key.startsWith("dataset.")
                || key.startsWith("regularizer.") || key.startsWith("metric.") || key.startsWith("model.");
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
        out.putAll(settings.asText());
        put(out, "architecture.", architecture.options());
        put(out, "loss.", loss.options());
        put(out, "dataset.", dataset.options());
        if (model != null) {
            put(out, "model.", model.options());
        }
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
        schedules.forEach((target, s) -> out.put(SCHEDULE + target, s.toString()));
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
        if (model != null) {
            out.add(model.entry());
        }
        regularizers.forEach(r -> out.add(r.entry()));
        metrics.forEach(m -> out.add(m.entry()));
        return out;
    }
}
