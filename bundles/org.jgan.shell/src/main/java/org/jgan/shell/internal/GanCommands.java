package org.jgan.shell.internal;

import java.util.Arrays;
import java.util.Set;
import org.apache.felix.service.command.Descriptor;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.RunStatusDTO;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands in scope {@code gan}: a thin adapter over {@link TrainingService}. Errors are thrown as
 * IllegalArgumentException with one line naming the problem; Gogo prints it.
 */
@Component(service = GanCommands.class, immediate = true, property = {
    "osgi.command.scope=gan",
    "osgi.command.function=components", "osgi.command.function=presets", "osgi.command.function=start",
    "osgi.command.function=runs", "osgi.command.function=progress", "osgi.command.function=pause",
    "osgi.command.function=resume", "osgi.command.function=stop", "osgi.command.function=validate",
    "osgi.command.function=set", "osgi.command.function=sample", "osgi.command.function=interpolate", "osgi.command.function=arithmetic",
    "osgi.command.function=mix", "osgi.command.function=traverse",
    "osgi.command.function=evaluate", "osgi.command.function=crosstest", "osgi.command.function=exit"})
public final class GanCommands {

    private final TrainingService training;

    @Activate
    public GanCommands(@Reference TrainingService training) {
        this.training = training;
    }

    @Descriptor("List installed components of every kind with their options and defaults")
    public String components() {
        return Formats.components(training.components(), null);
    }

    @Descriptor("List installed components of one kind with their options and defaults")
    public String components(
            @Descriptor("kind: settings, architecture, loss, regularizer, penalty, constraint, reparametrization, input-transform, "
                    + "dataset, metric, feature-extractor, model or preset") String kind) {
        return Formats.components(training.components(), kind);
    }

    @Descriptor("List presets (named run recipes) with their settings")
    public String presets() {
        return Formats.components(training.components(), "preset");
    }

    @Descriptor("Check a run configuration and print it resolved, without starting it")
    public String validate(@Descriptor("[preset] key=value ... (see gan:components settings)") String... args) {
        Arguments a = Arguments.parse(Arrays.asList(args));
        StringBuilder sb = new StringBuilder();
        training.validate(a.preset(), a.settings()).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    @Descriptor("Start a training run from a preset and/or key=value settings")
    public String start(@Descriptor("[preset] key=value ... e.g. 'default iterations=500 lrD=2e-4'") String... args) {
        Arguments a = Arguments.parse(Arrays.asList(args));
        RunStatusDTO s = training.start(a.preset(), a.settings());
        return "started " + s.id + "\n" + Formats.detail(s);
    }

    @Descriptor("End the runtime with status 0: every run still going stops at its next iteration boundary, saved")
    public void exit() {
        exit(0);
    }

    @Descriptor("End the runtime with a status: every run still going stops at its next iteration boundary, saved")
    public void exit(@Descriptor("exit status") int status) {
        // saved here, before the JVM's shutdown stops the framework (a shutdown does not wait for a run's save)
        HeadlessRunner.stopUnfinished(training);
        System.out.flush();
        System.exit(status);
    }

    @Descriptor("List runs with state, iteration, rate, ETA and latest losses, the runtime's memory, then the runs of "
            + "runs/ from earlier runtimes and other processes with their recorded state")
    public String runs() {
        return Formats.runs(training.runs(), training.memory(), training.recordedRuns());
    }

    @Descriptor("Show a run's progress")
    public String progress(@Descriptor("run id") String run) {
        return Formats.detail(training.status(run));
    }

    @Descriptor("Pause a run at the next iteration boundary (a checkpoint is saved)")
    public String pause(@Descriptor("run id") String run) {
        return Formats.detail(training.pause(run));
    }

    @Descriptor("Resume a paused run")
    public String resume(@Descriptor("run id") String run) {
        return Formats.detail(training.resume(run));
    }

    @Descriptor("Stop a run at the next iteration boundary, saving a checkpoint")
    public String stop(@Descriptor("run id") String run) {
        return Formats.detail(training.stop(run));
    }

    @Descriptor("Change settings of a running or paused run from its next iteration, keeping its weights: learning "
            + "rates, beta1/beta2/epsilon/rmsDecay, dSteps, iterations, intervals, regularizer.NAME.weight/every/anneal/decay")
    public String set(@Descriptor("run id") String run,
            @Descriptor("key=value ... e.g. 'lrD=1e-4 regularizer.r1.weight=5'") String... settings) {
        Arguments a = Arguments.parse(Arrays.asList(settings));
        if (a.preset() != null || a.settings().isEmpty()) {
            throw new IllegalArgumentException("gan:set " + run + ": expected key=value settings, e.g. lrD=1e-4");
        }
        return Formats.detail(training.set(run, a.settings()));
    }

    @Descriptor("Write a grid of samples of a run's generator (from its latest checkpoint); sample i sits at "
            + "row-major position i, the index the interpolate and arithmetic commands use")
    public String sample(@Descriptor("run id") String run,
            @Descriptor("count=100 (1..1024), seed=N (default: the batch of the run's own sample grids), class=K "
                    + "(conditional runs: every sample of class K), and the architecture's sampling options, e.g. "
                    + "psi=0.7 (stylegan) or truncation=1.0 (biggan)") String... options) {
        return "wrote " + training.sample(run, keyValues("gan:sample", options));
    }

    @Descriptor("Write a style mixing grid (StyleGAN, Karras et al. 2018, figure 3): cell (r, c) takes the styles of "
            + "the layers before 'layer' from row sample r, the others from column sample c")
    public String mix(@Descriptor("run id") String run,
            @Descriptor("rows=3,7,12 columns=5,9,20 (sample indices, at most 16 each), layer=L (1..style layers - 1; "
                    + "default half), seed=N, psi=...") String... options) {
        return "wrote " + training.mix(run, keyValues("gan:mix", options));
    }

    @Descriptor("Write a latent code traversal (InfoGAN, Chen et al. 2016, figure 2): per code, rows with a fixed "
            + "latent along which the code varies")
    public String traverse(@Descriptor("run id") String run,
            @Descriptor("rows=4 (per code, 1..16), steps=10 (2..32, continuous codes), range=2 (continuous codes "
                    + "from -range to range), seed=N") String... options) {
        return "wrote " + training.traverse(run, keyValues("gan:traverse", options));
    }

    @Descriptor("Write a latent interpolation grid (DCGAN, Radford et al. section 6.1): row r walks from sample 2r to "
            + "sample 2r+1 of the batch")
    public String interpolate(@Descriptor("run id") String run,
            @Descriptor("rows=10 (1..32), steps=10 (2..32), seed=N (default: the run's sample grid batch), "
                    + "mode=linear|spherical") String... options) {
        ExploreArguments a = ExploreArguments.parse("gan:interpolate", Arrays.asList(options),
                Set.of("rows", "steps", "seed", "mode"));
        noWords(a);
        boolean spherical = a.choice("mode", "linear", Set.of("linear", "spherical")).equals("spherical");
        return "wrote " + training.interpolate(run, a.intValue("rows", 10), a.intValue("steps", 10), a.seed(), spherical);
    }

    @Descriptor("Write a latent vector arithmetic grid (DCGAN, Radford et al. section 6.3.2) on averaged latents of "
            + "samples, e.g. gan:arithmetic RUN 12,31,40 - 3,7,9 + 55,61,70")
    public String arithmetic(@Descriptor("run id") String run,
            @Descriptor("terms of comma-separated sample indices joined by + or -, then options: seed=N (default: the "
                    + "run's sample grid batch), variants=8 (0..32), noise=0.25") String... expressionAndOptions) {
        ExploreArguments a = ExploreArguments.parse("gan:arithmetic", Arrays.asList(expressionAndOptions),
                Set.of("seed", "variants", "noise"));
        return "wrote " + training.arithmetic(run, a.words(), a.seed(), a.intValue("variants", 8),
                a.doubleValue("noise", 0.25));
    }

    @Descriptor("Score a run's generator (latest checkpoint) with metrics: FD, KID, classifier score, precision/recall "
            + "on image data, modes on mixtures; writes eval/evaluation-*.json and .txt in the run's folder")
    public String evaluate(@Descriptor("run id or run folder") String run,
            @Descriptor("metrics=auto|NAME,..., seed=N, metric.NAME.OPTION=value e.g. metric.features.samples=10000")
            String... options) {
        return training.evaluate(run, keyValues("gan:evaluate", options));
    }

    @Descriptor("Cross-test two runs (Roth et al. 2017, section 5.5): each discriminator on held-out data against its "
            + "own generator's samples (confusion matrix, FP and FN fractions), then on the other generator's samples")
    public String crosstest(@Descriptor("run A") String runA, @Descriptor("run B") String runB,
            @Descriptor("samples=10000, seed=N") String... options) {
        return training.crossTest(runA, runB, keyValues("gan:crosstest", options));
    }

    private static java.util.Map<String, String> keyValues(String command, String... options) {
        Arguments a = Arguments.parse(Arrays.asList(options));
        if (a.preset() != null) {
            throw new IllegalArgumentException(command + ": unexpected '" + a.preset() + "'; expected key=value options");
        }
        return a.settings();
    }

    private static void noWords(ExploreArguments a) {
        if (!a.words().isEmpty()) {
            throw new IllegalArgumentException(a.command() + ": unexpected '" + a.words() + "'; expected key=value options");
        }
    }
}
