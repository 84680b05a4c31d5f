package org.jgan.api;

import java.util.List;
import java.util.Map;
import org.jgan.api.dto.ComponentDTO;
import org.jgan.api.dto.MemoryDTO;
import org.jgan.api.dto.RunStatusDTO;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The training engine, as the shell and other bundles see it. Runs are factory configurations (PID
 * {@value #RUN_FACTORY_PID}); {@link #start} creates one.
 */
@ProviderType
public interface TrainingService {

    /** Factory PID of run configurations. */
    String RUN_FACTORY_PID = "org.jgan.run";

    /** Installed components of every kind, with their options. */
    List<ComponentDTO> components();

    /**
     * Checks a run configuration (preset merged with overrides) without starting it.
     *
     * @param preset   a preset name, or {@code null}
     * @param settings run configuration keys and values, overriding the preset's
     * @return the full resolved configuration
     * @throws IllegalArgumentException naming the first problem and what is expected
     */
    Map<String, String> validate(String preset, Map<String, String> settings);

    /**
     * Validates and starts a run by creating its factory configuration.
     *
     * @return the new run's status
     * @throws IllegalArgumentException for an invalid configuration (nothing is created)
     * @throws IllegalStateException when the numerics backend is not available
     */
    RunStatusDTO start(String preset, Map<String, String> settings);

    /** Every known run, oldest first. */
    List<RunStatusDTO> runs();

    /**
     * The runs in the folder of run folders ({@code runs/} of the working directory) that this runtime does not
     * train: those of earlier runtimes and of other processes, by folder name, with the state, iteration, losses,
     * scores and error their status.json recorded. One recorded as starting, running or paused whose folder no
     * process holds was interrupted: it comes as STOPPED with an error saying so (its run command resumes it).
     *
     * @since 1.9
     */
    List<RunStatusDTO> recordedRuns();

    /**
     * The runtime's memory: resident size, Java heap, and the ND4J arrays its runs hold.
     *
     * @since 1.6
     */
    MemoryDTO memory();

    /** @throws IllegalArgumentException for an unknown run id */
    RunStatusDTO status(String runId);

    /**
     * Pauses the run at its next iteration boundary (a checkpoint is saved); waits up to 30 s for it to get there.
     *
     * @return the run's status then: PAUSED, unless the boundary is further away (a long iteration) or it ended
     */
    RunStatusDTO pause(String runId);

    /** Resumes a paused run; waits up to 30 s for it to run again and returns its status then. */
    RunStatusDTO resume(String runId);

    /** Stops the run after its current iteration, saving a checkpoint. */
    RunStatusDTO stop(String runId);

    /**
     * Changes settings of a running or paused run from its next iteration on, keeping its weights and optimizer
     * state: learning rates, optimizer hyperparameters, {@code dSteps}, {@code iterations}, sample, checkpoint and
     * progress intervals, early stopping ({@code stopScore}, {@code stopGoal}, {@code stopPatience},
     * {@code stopDelta}), and regularizer {@code weight}, {@code every}, {@code anneal} and {@code decay}. The
     * change is stored in the run's configuration, logged with the iteration it took effect at, and appended to the
     * run's {@code history.csv}.
     *
     * @param changes keys and values as for {@link #start}
     * @throws IllegalArgumentException for an unknown or finished run, an invalid value, or a setting that needs a
     *                                  restart; the run goes on with its old configuration
     * @since 1.4
     */
    RunStatusDTO set(String runId, Map<String, String> changes);

    /**
     * Writes a PNG grid of {@code count} samples of a run's generator, restored from the run's latest checkpoint
     * (with the EMA weights where the run keeps them). Sample i of a batch sits at row-major position i; the
     * interpolation and arithmetic commands refer to samples by these indices.
     *
     * @param runId a run of this runtime, or the output folder of an earlier one (a path, or a name under runs/)
     * @param seed  the sample batch; {@code null} for the fixed batch of the run's own sample grids
     * @return the file written, under the run's {@code explore/} folder
     * @throws IllegalArgumentException for an unknown run, a run without a checkpoint or an invalid value
     * @since 1.4
     */
    String sample(String runId, int count, Long seed);

    /**
     * As {@link #sample(String, int, Long)}, with sampling-time controls. Options: {@code count} (1..1024, default
     * 100), {@code seed}; {@code class} (conditional runs: every sample of that class, 0 .. classes - 1; default:
     * sample i has class i mod classes); and the options the run's architecture declares for its sampling graphs
     * ({@link SamplingOptions}), by name, e.g. {@code psi} (StyleGAN's truncation in W) or {@code truncation} (BigGAN's
     * threshold). Any other option is refused.
     *
     * @return the file written, under the run's {@code explore/} folder
     * @throws IllegalArgumentException for an unknown run, a run without a checkpoint, an unknown option or an invalid
     *                                  value, naming it
     * @since 1.10
     */
    String sample(String runId, Map<String, String> options);

    /**
     * Style mixing (Karras et al. 2018, section 3.1, figure 3) for architectures whose networks are a
     * {@link StyleMixer}: a grid whose first row shows the {@code columns} samples, whose first column shows the
     * {@code rows} samples, and whose cell (r, c) takes the styles of layers before {@code layer} from row sample r and
     * the others from column sample c. Options: {@code rows} and {@code columns} (comma-separated sample indices of
     * the batch, 0..1023, at most 16 each), {@code layer} (1 .. L - 1; default L / 2), {@code seed}, and the
     * architecture's sampling options as for {@link #sample(String, Map)}.
     *
     * @return the file written, under the run's {@code explore/} folder
     * @throws IllegalArgumentException for an unknown run, an architecture without style layers, an unknown option or
     *                                  an invalid value
     * @since 1.10
     */
    String mix(String runId, Map<String, String> options);

    /**
     * Latent code traversal for runs with latent codes (InfoGAN, Chen et al. 2016, figure 2): for each code, rows
     * with a fixed latent (the noise and the other codes of one sample of the batch) along which the code varies: a
     * categorical code through its values, a continuous one from {@code -range} to {@code range} in {@code steps}.
     * Options: {@code rows} per code (1..16, default 4: samples 0 .. rows - 1), {@code steps} (2..32, default 10),
     * {@code range} (default 2, the paper's figures), {@code seed}.
     *
     * @return the file written, under the run's {@code explore/} folder
     * @throws IllegalArgumentException for an unknown run, a run without latent codes or an invalid value
     * @since 1.10
     */
    String traverse(String runId, Map<String, String> options);

    /**
     * Latent space interpolation (Radford et al. 2015, section 6.1): row r of the grid walks in {@code steps}
     * images from sample 2r to sample 2r + 1 of the batch, linearly or, with {@code spherical}, along the great
     * circle (White 2016).
     *
     * @see #sample
     * @since 1.4
     */
    String interpolate(String runId, int rows, int steps, Long seed, boolean spherical);

    /**
     * Latent vector arithmetic (Radford et al. 2015, section 6.3.2) on averaged latents of samples, e.g.
     * {@code "12,31,40 - 3,7,9 + 55,61,70"}: one grid row per term (its samples and their average) and a result
     * row (the result and {@code variants} copies with uniform noise in [-noise, noise]).
     *
     * @see #sample
     * @since 1.4
     */
    String arithmetic(String runId, String expression, Long seed, int variants, double noise);

    /**
     * Scores a run's generator, restored from its latest checkpoint (EMA weights where the run keeps them), with
     * metrics, and writes {@code eval/evaluation-<iteration>.json} and a readable {@code .txt} next to the run's
     * outputs. Every score comes with the sample counts it used; the same seed gives the same scores.
     *
     * @param runId   a run of this runtime or the output folder of an earlier one, as for {@link #sample}
     * @param options {@code metrics} ({@code auto}: every installed metric that supports the run's data, or a comma
     *                list), {@code seed}, and metric options as {@code metric.NAME.OPTION=value} (e.g.
     *                {@code metric.features.samples=10000})
     * @return the readable summary, ending with the paths of the files written
     * @throws IllegalArgumentException for an unknown run, a run without a checkpoint, an unknown metric or option
     *                                  or an invalid value
     * @since 1.5
     */
    String evaluate(String runId, Map<String, String> options);

    /**
     * The cross-testing protocol of Roth et al. 2017 (section 5.5): each run's discriminator classifies {@code
     * samples} held-out data points (the dataset's test split where it has one) against as many samples of its own
     * generator (a confusion matrix with the false-positive and false-negative fractions), then the samples of the
     * other run's generator. Writes {@code crosstest-<a>-vs-<b>.json} and a readable {@code .txt} under the first
     * run's {@code eval/} folder.
     *
     * @param options {@code samples} (default 10000), {@code seed}
     * @return the readable tables, ending with the paths of the files written
     * @since 1.5
     */
    String crossTest(String runA, String runB, Map<String, String> options);
}
