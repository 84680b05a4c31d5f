package org.jgan.metrics.fashion.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.felix.service.command.Descriptor;
import org.jgan.api.DataSource;
import org.jgan.api.Dataset;
import org.jgan.api.NumericsBackend;
import org.jgan.api.Options;
import org.jgan.api.OptionSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code gan:classifier}: retrains the Fashion-MNIST classifier reproducibly, or measures a weights file's test
 * accuracy. The data come from the {@code idx} dataset (the real Fashion-MNIST of the Debian package by default).
 */
@Component(service = ClassifierCommands.class, immediate = true, property = {
    "osgi.command.scope=gan", "osgi.command.function=classifier"})
public final class ClassifierCommands {

    static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("path", "/usr/share/datasets/fashion-mnist");
        DEFAULTS.put("steps", "3000");
        DEFAULTS.put("batch", "128");
        DEFAULTS.put("lr", "0.001");
        DEFAULTS.put("seed", "1");
        DEFAULTS.put("out", "fashion-classifier.bin");
        DEFAULTS.put("weights", "shipped");
    }

    private final Dataset idx;

    @Activate
    public ClassifierCommands(@Reference(target = "(gan.name=idx)") Dataset idx,
            @Reference(target = "(" + NumericsBackend.READY + "=true)") NumericsBackend backend) {
        this.idx = idx;
    }

    @Descriptor("Retrain the Fashion-MNIST classifier of the 'fashion-mnist' feature extractor (train), or measure "
            + "the test accuracy of its weights (test)")
    public String classifier(@Descriptor("train | test") String action,
            @Descriptor("path=/usr/share/datasets/fashion-mnist, train: steps=3000 batch=128 lr=0.001 seed=1 "
                    + "out=fashion-classifier.bin; test: weights=shipped|FILE") String... options) throws IOException {
        Map<String, String> o = parse(action, List.of(options));
        DataSource test = open(o.get("path"), "test");
        if (action.equals("test")) {
            String w = o.get("weights");
            Classifier c = w.equals("shipped") ? Classifier.shipped() : new Classifier(readWeights(Path.of(w)));
            return String.format(Locale.ROOT, "test accuracy %.4f on %d images (weights: %s)",
                    ClassifierTraining.accuracy(c, test), test.size(), w);
        }
        ClassifierTraining.Settings s = new ClassifierTraining.Settings(Integer.parseInt(o.get("steps")),
                Integer.parseInt(o.get("batch")), Double.parseDouble(o.get("lr")), Long.parseLong(o.get("seed")));
        Map<String, INDArray> params = ClassifierTraining.train(open(o.get("path"), "train"), s, System.out::println);
        Path out = Path.of(o.get("out")).toAbsolutePath();
        Files.createDirectories(out.getParent());
        try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(out))) {
            ClassifierNet.write(params, os);
        }
        return String.format(Locale.ROOT, "wrote %s; test accuracy %.4f on %d images (%s)", out,
                ClassifierTraining.accuracy(new Classifier(params), test), test.size(), s);
    }

    static Map<String, String> parse(String action, List<String> options) {
        if (!Set.of("train", "test").contains(action)) {
            throw new IllegalArgumentException("gan:classifier: unknown action '" + action + "'; expected train or test");
        }
        Map<String, String> o = new LinkedHashMap<>(DEFAULTS);
        for (String s : options) {
            int eq = s.indexOf('=');
            String key = eq < 0 ? s : s.substring(0, eq);
            if (eq < 0 || !DEFAULTS.containsKey(key)) {
                throw new IllegalArgumentException("gan:classifier: unexpected '" + s + "'; expected key=value with key in "
                        + DEFAULTS.keySet());
            }
            o.put(key, s.substring(eq + 1));
        }
        try {
            Integer.parseInt(o.get("steps"));
            Integer.parseInt(o.get("batch"));
            Double.parseDouble(o.get("lr"));
            Long.parseLong(o.get("seed"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("gan:classifier: steps, batch and seed must be integers and lr a number; "
                    + e.getMessage());
        }
        return o;
    }

    private DataSource open(String path, String split) {
        Map<String, String> given = Map.of("path", path, "split", split, "labels", "true", "size", "0");
        List<OptionSpec> specs = idx.options();
        return idx.open(Options.resolve("dataset 'idx'", specs, given));
    }

    static Map<String, INDArray> readWeights(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("classifier weights " + file.toAbsolutePath()
                    + " do not exist; expected a file written by gan:classifier train");
        }
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            return ClassifierNet.read(in, file.toString());
        }
    }
}
